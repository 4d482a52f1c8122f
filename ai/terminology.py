"""The NHS terminology server client: the only module talking to it (through ``httpx``).

``concepts_search(term)`` answers SNOMED CT concepts ``[{name, code, url}]``
from FHIR ``ValueSet/$expand`` at ``NHS_TERMINOLOGY_URL`` (value set
``NHS_VALUESET_URL``). Authentication is OAuth2 client credentials at
``NHS_AUTH_URL``; the token is kept in the shared cache until shortly before
it expires, and a 401 from the FHIR server drops it and retries once.
Results are cached per term for ``NHS_CACHE_SECONDS``. The cache only saves
calls: with the cache down, every search fetches a token and expands afresh.

Failures are Scribe's errors: not configured -> 503 naming the setting,
timeout -> 504, 429/503 -> 503 with Retry-After, anything else -> 502.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import httpx
from django.conf import settings
from django.core.cache import cache

from scribe.core.exceptions import ServiceUnavailable, UpstreamError, UpstreamTimeout

logger = logging.getLogger("scribe.ai.terminology")

SNOMED_SYSTEM = "http://snomed.info/sct"
SNOMED_CONCEPT_URL = "http://snomed.info/id/{code}"
# Refresh this many seconds before the server says the token expires.
TOKEN_EXPIRY_MARGIN = 60
TOKEN_CACHE_KEY = "ai:nhs:token"
DEFAULT_RETRY_AFTER = 30


def _check_configured() -> None:
    for name in ("NHS_CLIENT_ID", "NHS_CLIENT_SECRET", "NHS_AUTH_URL", "NHS_TERMINOLOGY_URL"):
        if not getattr(settings, name, ""):
            raise ServiceUnavailable(
                f"The NHS terminology service is not configured: set {name}.", code="terminology_not_configured"
            )


def _timeout() -> httpx.Timeout:
    seconds = float(settings.NHS_TIMEOUT_SECONDS)
    return httpx.Timeout(seconds, connect=min(seconds, 5.0))


def _failure(response: httpx.Response) -> Exception:
    if response.status_code in (429, 503):
        retry_after = response.headers.get("retry-after", "").strip()
        return ServiceUnavailable(
            "The NHS terminology service is busy. Please try again shortly.",
            code="terminology_unavailable",
            headers={"Retry-After": retry_after if retry_after.isdigit() else str(DEFAULT_RETRY_AFTER)},
        )
    return UpstreamError("The NHS terminology service returned an error.", code="terminology_error")


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception as error:  # the cache's client errors (redis.ConnectionError, ...)
        logger.warning("terminology_cache_unavailable", extra={"error": type(error).__name__})
        return None


def _cache_set(key: str, value: Any, timeout: int) -> None:
    try:
        cache.set(key, value, timeout=timeout)
    except Exception as error:
        logger.warning("terminology_cache_unavailable", extra={"error": type(error).__name__})


def _token_key() -> str:
    # Keyed by the credentials' identity so a rotated client id never reuses an old token.
    return f"{TOKEN_CACHE_KEY}:{hashlib.sha256(settings.NHS_CLIENT_ID.encode()).hexdigest()[:16]}"


def _token(client: httpx.Client, *, fresh: bool = False) -> str:
    if not fresh:
        token = _cache_get(_token_key())
        if token:
            return token
    response = client.post(
        settings.NHS_AUTH_URL,
        data={
            "grant_type": "client_credentials",
            "client_id": settings.NHS_CLIENT_ID,
            "client_secret": settings.NHS_CLIENT_SECRET,
        },
    )
    if response.status_code != 200:
        raise _failure(response)
    try:
        body = response.json()
        token = str(body["access_token"])
        expires_in = int(body.get("expires_in", 300))
    except (ValueError, KeyError, TypeError) as error:
        raise UpstreamError("The NHS terminology service returned an error.", code="terminology_error") from error
    lifetime = expires_in - TOKEN_EXPIRY_MARGIN
    if lifetime > 0:
        _cache_set(_token_key(), token, lifetime)
    return token


def _expand(client: httpx.Client, term: str, token: str) -> httpx.Response:
    return client.get(
        f"{settings.NHS_TERMINOLOGY_URL.rstrip('/')}/ValueSet/$expand",
        params={"url": settings.NHS_VALUESET_URL, "filter": term, "count": settings.NHS_RESULT_COUNT},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"},
    )


def _concepts_from(body: Any) -> list[dict[str, str]]:
    contains = body["expansion"].get("contains", []) if isinstance(body, dict) else None
    if not isinstance(contains, list):
        raise ValueError("no expansion")
    concepts = []
    for item in contains:
        code, name = str(item["code"]), str(item["display"])
        concepts.append({"name": name, "code": code, "url": SNOMED_CONCEPT_URL.format(code=code)})
    return concepts


def concepts_search(term: str) -> list[dict[str, str]]:
    """SNOMED CT concepts whose descriptions match ``term`` (at most ``NHS_RESULT_COUNT``)."""
    _check_configured()
    normalised = " ".join(term.lower().split())
    cache_key = "ai:nhs:expand:" + hashlib.sha256(f"{settings.NHS_VALUESET_URL}\n{normalised}".encode()).hexdigest()
    cached = _cache_get(cache_key)
    if cached is not None:
        return cached

    started = time.perf_counter()
    outcome = "ok"
    try:
        with httpx.Client(timeout=_timeout(), follow_redirects=False) as client:
            response = _expand(client, normalised, _token(client))
            if response.status_code == 401:
                # Revoked or expired early: one fresh token, one retry.
                response = _expand(client, normalised, _token(client, fresh=True))
            if response.status_code != 200:
                raise _failure(response)
            try:
                concepts = _concepts_from(response.json())
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise UpstreamError(
                    "The NHS terminology service returned an answer Scribe could not use.",
                    code="terminology_error",
                ) from error
    except httpx.TimeoutException as error:
        outcome = "timeout"
        raise UpstreamTimeout(
            "The NHS terminology service did not answer in time.", code="terminology_timeout"
        ) from error
    except httpx.HTTPError as error:
        outcome = "unreachable"
        raise ServiceUnavailable(
            "The NHS terminology service could not be reached.",
            code="terminology_unreachable",
            headers={"Retry-After": str(DEFAULT_RETRY_AFTER)},
        ) from error
    except Exception as error:
        outcome = type(error).__name__
        raise
    finally:
        logger.info(
            "terminology_call",
            extra={"latency_ms": round((time.perf_counter() - started) * 1000, 1), "outcome": outcome},
        )
    _cache_set(cache_key, concepts, settings.NHS_CACHE_SECONDS)
    return concepts
