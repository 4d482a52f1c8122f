"""API keys for machine clients: service accounts, keys, their check on every request.

A service account is a ``User`` with role ``service`` and no usable password: it cannot
log in (API or admin) and no clinical permission admits its role. A key authenticates
*as* that user, so ``request.user`` is the service account (the audit trail records its
id and role like anyone's) and ``request.auth`` is the ``ApiKey`` row.

Keys are accepted only by views that list ``ApiKeyAuthentication`` explicitly (the
read-only routes under ``/api/v1/service/``); every other view authenticates with bearer
tokens only, so a key sent to a write endpoint is simply not a credential there (401).

Storage: ``scribe_<prefix>.<secret>``; the row keeps ``prefix`` (public, unique) and
``HMAC-SHA256(secret)`` keyed with ``SECRET_KEY``. The secret is 256 random bits, so a
slow password hash (Argon2: tens of milliseconds of CPU on every request) would buy
nothing: there is no dictionary to stretch against. The key makes a database dump alone
useless for checking guesses. ``SECRET_KEY_FALLBACKS`` are tried too (Django's rotation
setting); replacing ``SECRET_KEY`` without one invalidates every key.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from accounts import ratelimits
from accounts.audit import security_event
from accounts.models import ApiKey, ApiKeyScope, Role, User

KEYWORD = "Api-Key"
_KEY_PREFIX = "scribe_"
_HMAC_SALT = "scribe.accounts.api_key"

INVALID_KEY = "Invalid API key."
EXPIRED_KEY = "API key expired."
REVOKED_KEY = "API key revoked."


class ServiceAccountInvalid(ValueError):
    """A key for a user who is not an active service account."""


# --- services (writes) ------------------------------------------------------------------


def service_account_create(*, name: str) -> User:
    """A new service account: role ``service``, no usable password, never staff."""
    name = name.strip()[:50] or "service"
    # A unique address nobody can receive mail at (RFC 2606 ``.invalid``).
    email = f"service-{secrets.token_hex(6)}@service.invalid"
    return User.objects.create_user(email=email, password=None, username=name, role=Role.SERVICE)


def _hash(secret: str, *, key: str) -> str:
    return salted_hmac(_HMAC_SALT, secret, secret=key, algorithm="sha256").hexdigest()


def api_key_create(
    *, user: User, label: str, scopes: Iterable[str], expires_at: datetime, created_by: User | None
) -> tuple[ApiKey, str]:
    """A new key for the service account ``user``: ``(row, full key)``. The full key exists
    only in the return value: show it once, it cannot be recovered. Raises
    ``ServiceAccountInvalid`` for a user who is not an active service account, ``ValueError``
    for an unknown scope."""
    if user.role != Role.SERVICE or not user.is_active:
        raise ServiceAccountInvalid("API keys belong to active service accounts only.")
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(ApiKeyScope.values)
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(sorted(unknown))}")
    secret = secrets.token_urlsafe(32)
    for _attempt in range(3):
        # Collisions of 48 random bits are all but impossible; the unique index decides.
        prefix = secrets.token_hex(6)
        try:
            row = ApiKey.objects.create(
                user=user,
                label=label.strip()[:100],
                prefix=prefix,
                hashed_secret=_hash(secret, key=settings.SECRET_KEY),
                scopes=scopes,
                expires_at=expires_at,
                created_by=created_by,
            )
        except IntegrityError:
            continue
        return row, f"{_KEY_PREFIX}{prefix}.{secret}"
    raise RuntimeError("could not allocate a unique API key prefix")


def api_keys_revoke(*, key_ids: Iterable[Any], by: User | None) -> int:
    """Revoke keys (idempotent: an already revoked key keeps its first revocation). The
    next request with a revoked key is refused: every request re-reads its row."""
    return ApiKey.objects.filter(pk__in=list(key_ids), revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )


# --- selectors (reads) ------------------------------------------------------------------


def _parse(raw: str) -> tuple[str, str] | None:
    if not raw.startswith(_KEY_PREFIX):
        return None
    prefix, dot, secret = raw[len(_KEY_PREFIX) :].partition(".")
    if not dot or not prefix or not secret or len(prefix) > 16:
        return None
    return prefix, secret


def api_key_get_by_prefix(*, prefix: str) -> ApiKey | None:
    return ApiKey.objects.select_related("user").filter(prefix=prefix).first()


def api_key_secret_matches(*, api_key: ApiKey, secret: str) -> bool:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(_hash(secret, key=key), api_key.hashed_secret) for key in keys)


# --- the API face: authentication and the scope permission -----------------------------


class _Rejected(Exception):
    def __init__(self, reason: str, detail: str, code: str, key_id: object | None = None) -> None:
        super().__init__(reason)
        self.reason, self.detail, self.code, self.key_id = reason, detail, code, key_id


def _checked(raw: str) -> ApiKey:
    parsed = _parse(raw)
    if parsed is None:
        raise _Rejected("malformed", INVALID_KEY, "not_authenticated")
    prefix, secret = parsed
    api_key = api_key_get_by_prefix(prefix=prefix)
    if api_key is None or not api_key_secret_matches(api_key=api_key, secret=secret):
        raise _Rejected("unknown_or_wrong_secret", INVALID_KEY, "not_authenticated")
    if api_key.revoked_at is not None:
        raise _Rejected("revoked", REVOKED_KEY, "api_key_revoked", api_key.pk)
    if api_key.expires_at <= timezone.now():
        raise _Rejected("expired", EXPIRED_KEY, "api_key_expired", api_key.pk)
    if api_key.user.role != Role.SERVICE or not api_key.user.is_active:
        raise _Rejected("inactive_service_account", INVALID_KEY, "not_authenticated", api_key.pk)
    return api_key


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key scribe_<prefix>.<secret>`` -> ``(service account, ApiKey)``.

    Then the key's rate limit (``RATELIMIT_API_KEY`` per key, on the shared cache like every
    limit: 429 + Retry-After). The key's id (never the secret) goes to the access log."""

    def authenticate_header(self, request) -> str:
        return KEYWORD

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _, raw = header.partition(" ")
        if keyword != KEYWORD:
            return None
        try:
            api_key = _checked(raw.strip())
        except _Rejected as rejected:
            security_event(
                "api_key_rejected",
                request=request,
                api_key_id=None if rejected.key_id is None else str(rejected.key_id),
                reason=rejected.reason,
            )
            raise AuthenticationFailed(rejected.detail, code=rejected.code) from None
        # For the access log (scribe.core.middleware): the key's id, never its secret.
        request._request.api_key_id = str(api_key.pk)
        ratelimits.hit(
            request,
            group="accounts.api_key",
            value=str(api_key.pk),
            rate=settings.RATELIMIT_API_KEY,
            user_id=str(api_key.user_id),
        )
        return api_key.user, api_key


class HasApiKeyScope(BasePermission):
    """The request came with an API key holding the view's ``required_scope`` (403 otherwise)."""

    message = "This API key does not have the scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False
        if view.required_scope in api_key.scopes:
            return True
        security_event(
            "api_key_scope_denied",
            request=request,
            user_id=api_key.user_id,
            api_key_id=str(api_key.pk),
            required=view.required_scope,
        )
        return False
