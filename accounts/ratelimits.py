"""Rate limits for the account endpoints (django-ratelimit on the shared cache).

The per-IP and per-user limits are django-ratelimit's windows in the cache named by
RATELIMIT_USE_CACHE. The per-email lockout is a window that starts at the account's
first failure (``_started_window_usage``): a clock-aligned window would let a lockout
last anywhere from a second to the whole period depending on when the failures fell.
A limited request raises ``RateLimited`` (429, never 403) whose ``Retry-After`` is the
longest wait among every limit that refused it, so a client that waits that long is
not refused again by the other one.

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
import math
import re
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django_ratelimit.core import get_usage

from scribe.core import metrics
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


def _started_window_usage(store, group: str, value: str, rate: str, *, increment: bool) -> Usage:
    """A window of ``rate``'s period that starts at the first counted event for ``value``.

    Cache keys only (no transactions, no locks): the window's start is added once
    (``add`` is atomic on Redis and in local memory), its count lives under a key named
    after that start, so a new window always counts from zero. Expiry is decided by the
    clock against the stored start, not by the keys' TTL (which only collects garbage).
    """
    limit, period = parse_rate(rate)
    now = time.time()
    base = "rl:" + hashlib.sha256(f"{group}|{rate}|{value}".encode()).hexdigest()
    start = store.get(f"{base}:start")
    if start is None or start + period <= now:
        if not increment:
            return Usage(count=0, limit=limit, retry_after=period)
        if start is None:
            store.add(f"{base}:start", now, period + 60)
        else:  # an expired window whose key is still there: begin the next one now
            store.set(f"{base}:start", now, period + 60)
        start = store.get(f"{base}:start", now)
    count_key = f"{base}:{start!r}"
    if increment:
        store.add(count_key, 0, period + 60)
        count = store.incr(count_key)
    else:
        count = store.get(count_key, 0)
    return Usage(count=count, limit=limit, retry_after=max(math.ceil(start + period - now), 1))


def _fallback_usage(group: str, value: str, rate: str, *, increment: bool) -> Usage:
    with _fallback_lock:
        return _started_window_usage(_fallback_cache, group, value, rate, increment=increment)


def _usage(request, *, group: str, value: str, rate: str, increment: bool, started: bool = False) -> Usage | None:
    """Count (or read) one limit. ``started``: a window from the first event (the lockout)."""
    if not settings.RATELIMIT_ENABLE:
        return None
    try:
        if started:
            return _started_window_usage(caches[settings.RATELIMIT_USE_CACHE], group, value, rate, increment=increment)
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


def _raise(request, refusals: list[tuple[str, Usage]], *, user_id: str | None = None) -> None:
    retry_after = max(usage.retry_after for _, usage in refusals)
    metrics.rate_limit_refused(limits=[group for group, _ in refusals])
    logger.warning(
        "rate_limited",
        extra={
            "event": "rate_limited",
            "group": ",".join(group for group, _ in refusals),
            "user_id": user_id,
            "ip": client_ip(request),
            "retry_after": retry_after,
        },
    )
    raise RateLimited(headers={"Retry-After": str(retry_after)})


def _hit(request, *, group: str, value: str, rate: str) -> Usage | None:
    """Count one request; the usage when it is over ``rate`` (refused), else None."""
    usage = _usage(request, group=group, value=value, rate=rate, increment=True)
    return usage if usage is not None and usage.count > usage.limit else None


def _used_up(request, *, group: str, value: str, rate: str, started: bool = False) -> Usage | None:
    """Count nothing; the usage when ``rate`` is already used up (refused), else None."""
    usage = _usage(request, group=group, value=value, rate=rate, increment=False, started=started)
    return usage if usage is not None and usage.count >= usage.limit else None


def enforce(request, refusals: dict[str, Usage | None], *, user_id: str | None = None) -> None:
    """Raise RateLimited when any limit refused, waiting for the longest of them."""
    refused = [(group, usage) for group, usage in refusals.items() if usage is not None]
    if refused:
        _raise(request, refused, user_id=user_id)


def hit(request, *, group: str, value: str, rate: str, user_id: str | None = None) -> None:
    """Count one request; raise RateLimited once the window's count is over ``rate``."""
    enforce(request, {group: _hit(request, group=group, value=value, rate=rate)}, user_id=user_id)


# --- The account limits --------------------------------------------------------------

LOGIN_IP = "accounts.login.ip"
LOGIN_EMAIL = "accounts.login.email"


def login_attempt(request, email: str) -> None:
    """Every login attempt counts for its IP; the email's failure lockout is checked too.
    Both are evaluated, so Retry-After covers whichever refusal lasts longer."""
    enforce(
        request,
        {
            LOGIN_IP: _hit(request, group=LOGIN_IP, value=client_ip(request), rate=settings.RATELIMIT_LOGIN_IP),
            LOGIN_EMAIL: _used_up(
                request, group=LOGIN_EMAIL, value=email, rate=settings.RATELIMIT_LOGIN_EMAIL, started=True
            ),
        },
    )


def login_email_check(request, email: str) -> None:
    enforce(
        request,
        {
            LOGIN_EMAIL: _used_up(
                request, group=LOGIN_EMAIL, value=email, rate=settings.RATELIMIT_LOGIN_EMAIL, started=True
            )
        },
    )


def login_email_failed(request, email: str) -> None:
    """Count one failed login (the lockout's window starts at the first one)."""
    _usage(request, group=LOGIN_EMAIL, value=email, rate=settings.RATELIMIT_LOGIN_EMAIL, increment=True, started=True)


def register_ip(request) -> None:
    hit(request, group="accounts.register.ip", value=client_ip(request), rate=settings.RATELIMIT_REGISTER_IP)


def refresh_user(request, user_id: str) -> None:
    hit(request, group="accounts.refresh.user", value=user_id, rate=settings.RATELIMIT_REFRESH_USER, user_id=user_id)


def check_email_ip(request) -> None:
    hit(request, group="accounts.check_email.ip", value=client_ip(request), rate=settings.RATELIMIT_CHECK_EMAIL_IP)
