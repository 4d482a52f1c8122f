"""The per-user limit of open live-transcription sockets (``LIVE_MAX_SOCKETS_PER_USER``).

Counted in the shared cache (Redis in production), so the limit holds across server
processes. The count expires ``LIVE_SOCKET_COUNT_TTL_SECONDS`` after its last change,
so a process that died without closing its sockets cannot lock a user out for long.
When the cache fails (Redis down) the socket is still served: the limit then counts
this process's sockets only (logged once per failure, ids only), because refusing every
recording while Redis is down would be worse than a looser limit.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("scribe.ai.live")

_local = Counter()
_local_lock = threading.Lock()


def _key(user_id: object) -> str:
    return f"live:sockets:{user_id}"


@dataclass
class SocketSlot:
    user_id: object
    shared: bool  # counted in the cache (else in this process)
    counted: bool = True  # False: no limit configured, nothing to give back


def _claim_local(user_id: object, limit: int) -> SocketSlot | None:
    with _local_lock:
        if _local[user_id] >= limit:
            return None
        _local[user_id] += 1
    return SocketSlot(user_id, shared=False)


def socket_claim(*, user_id: object) -> SocketSlot | None:
    """A slot for one more open socket of the user, or None when they have the most allowed.

    Blocking (a cache round trip): call it from a thread."""
    limit = int(settings.LIVE_MAX_SOCKETS_PER_USER)
    if limit <= 0:  # no limit
        return SocketSlot(user_id, shared=False, counted=False)
    ttl = int(settings.LIVE_SOCKET_COUNT_TTL_SECONDS)
    key = _key(user_id)
    try:
        cache.add(key, 0, ttl)
        count = cache.incr(key)
        if count > limit:
            cache.decr(key)
            return None
        cache.touch(key, ttl)
        return SocketSlot(user_id, shared=True)
    except Exception as error:  # the cache is down: this process's own count
        logger.warning("live_socket_count_unshared", extra={"user_id": str(user_id), "error": type(error).__name__})
        return _claim_local(user_id, limit)


def socket_release(slot: SocketSlot | None) -> None:
    if slot is None or not slot.counted:
        return
    if not slot.shared:
        with _local_lock:
            _local[slot.user_id] -= 1
            if _local[slot.user_id] <= 0:
                del _local[slot.user_id]
        return
    try:
        if cache.decr(_key(slot.user_id)) < 0:
            cache.set(_key(slot.user_id), 0, int(settings.LIVE_SOCKET_COUNT_TTL_SECONDS))
    except Exception as error:  # expired (ValueError) or the cache is down: the TTL ends it
        logger.info("live_socket_release_skipped", extra={"user_id": str(slot.user_id), "error": type(error).__name__})


def socket_refresh(slot: SocketSlot | None) -> None:
    """Keep the user's count alive while a long socket stays open."""
    if slot is None or not slot.shared:
        return
    try:
        cache.touch(_key(slot.user_id), int(settings.LIVE_SOCKET_COUNT_TTL_SECONDS))
    except Exception as error:  # the cache is down: the count may expire early, never lock anyone out
        logger.info("live_socket_refresh_skipped", extra={"user_id": str(slot.user_id), "error": type(error).__name__})
