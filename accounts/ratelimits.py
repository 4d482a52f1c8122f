"""Rate limits for the account endpoints (django-ratelimit on the shared cache).

Each limit is a fixed window counted in the cache named by RATELIMIT_USE_CACHE;
a limited request raises ``RateLimited`` (429 with ``Retry-After``, never 403).

When the shared cache is down (Redis unreachable) the limits are not dropped and
logins are not refused: the same limits are counted in this process's memory
instead, and a warning is logged. Reasoning, for a clinical system:
- failing open would hand an attacker unlimited password guesses whenever Redis
  is unavailable (or made unavailable);
- failing closed would lock clinicians out of the app, or log them out mid
  consultation at the hourly refresh, because of a cache blip;
- per-process counters keep brute force bounded (each worker enforces the limit,
  so the effective limit is multiplied by the number of workers) while people
  keep working. ``/health/ready`` already reports the cache as down.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django_ratelimit.core import get_usage

from scribe.core.clientip import client_ip
from scribe.core.exceptions import RateLimited

logger = logging.getLogger("scribe.security")

_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# Used only while the shared cache is unreachable (see the module docstring).
_fallback_cache = LocMemCache("scribe-ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
_fallback_lock = threading.Lock()


def fallback_counters_clear() -> None:
    """Forget the per-process counters (tests; an operator after an outage)."""
    _fallback_cache.clear()


@dataclass(frozen=True)
class Usage:
    count: int
    limit: int
    retry_after: int


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/15m"`` -> (10, 900). Same syntax as django-ratelimit."""
    match = _RATE.match(rate.strip())
    if not match:
        raise ValueError(f"Bad rate {rate!r}: use N/[M]s|m|h|d, e.g. 10/15m")
    count, multiplier, unit = match.groups()
    return int(count), _PERIOD_SECONDS[unit] * int(multiplier or 1)


def _fallback_usage(group: str, value: str, rate: str, *, increment: bool) -> Usage:
    limit, period = parse_rate(rate)
    now = int(time.time())
    window_end = now - (now % period) + period
    key = hashlib.sha256(f"{group}|{rate}|{value}|{window_end}".encode()).hexdigest()
    with _fallback_lock:
        if increment:
            count = 1 if _fallback_cache.add(key, 1, period + 5) else _fallback_cache.incr(key)
        else:
            count = _fallback_cache.get(key, 0)
    return Usage(count=count, limit=limit, retry_after=max(window_end - now, 1))


def _usage(request, *, group: str, value: str, rate: str, increment: bool) -> Usage | None:
    if not settings.RATELIMIT_ENABLE:
        return None
    try:
        usage = get_usage(
            getattr(request, "_request", request),
            group=group,
            key=lambda _group, _request: value,
            rate=rate,
            increment=increment,
        )
    except Exception as exc:  # the cache backend's own errors (redis.ConnectionError, timeouts...)
        logger.warning(
            "ratelimit_cache_unavailable",
            extra={"event": "ratelimit_cache_unavailable", "group": group, "error": type(exc).__name__},
        )
        return _fallback_usage(group, value, rate, increment=increment)
    if usage is None:
        return None
    return Usage(count=usage["count"], limit=usage["limit"], retry_after=max(int(usage["time_left"]), 1))


def _raise(request, group: str, usage: Usage, *, user_id: str | None = None) -> None:
    logger.warning(
        "rate_limited",
        extra={
            "event": "rate_limited",
            "group": group,
            "user_id": user_id,
            "ip": client_ip(request),
            "retry_after": usage.retry_after,
        },
    )
    raise RateLimited(headers={"Retry-After": str(usage.retry_after)})


def hit(request, *, group: str, value: str, rate: str, user_id: str | None = None) -> None:
    """Count one request; raise RateLimited once the window's count is over ``rate``."""
    usage = _usage(request, group=group, value=value, rate=rate, increment=True)
    if usage is not None and usage.count > usage.limit:
        _raise(request, group, usage, user_id=user_id)


def check(request, *, group: str, value: str, rate: str, user_id: str | None = None) -> None:
    """Raise RateLimited when ``rate`` is already used up (counts nothing)."""
    usage = _usage(request, group=group, value=value, rate=rate, increment=False)
    if usage is not None and usage.count >= usage.limit:
        _raise(request, group, usage, user_id=user_id)


def count(request, *, group: str, value: str, rate: str) -> None:
    """Count one event (e.g. a failed login) without refusing this request."""
    _usage(request, group=group, value=value, rate=rate, increment=True)


# --- The account limits --------------------------------------------------------------


def login_ip(request) -> None:
    hit(request, group="accounts.login.ip", value=client_ip(request), rate=settings.RATELIMIT_LOGIN_IP)


def login_email_check(request, email: str) -> None:
    check(request, group="accounts.login.email", value=email, rate=settings.RATELIMIT_LOGIN_EMAIL)


def login_email_failed(request, email: str) -> None:
    count(request, group="accounts.login.email", value=email, rate=settings.RATELIMIT_LOGIN_EMAIL)


def register_ip(request) -> None:
    hit(request, group="accounts.register.ip", value=client_ip(request), rate=settings.RATELIMIT_REGISTER_IP)


def refresh_user(request, user_id: str) -> None:
    hit(request, group="accounts.refresh.user", value=user_id, rate=settings.RATELIMIT_REFRESH_USER, user_id=user_id)


def check_email_ip(request) -> None:
    hit(request, group="accounts.check_email.ip", value=client_ip(request), rate=settings.RATELIMIT_CHECK_EMAIL_IP)
