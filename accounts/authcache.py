"""The warm path of bearer-token authentication: a token's last accepted check, kept in
the shared cache (Redis), so a request with a token checked before costs one cache round
trip and no database query (README "Accounts, tokens and rate limits", "What a bearer
token costs").

An entry ``auth:tok:<token key>`` holds the user's columns (never the password hash) and
the two *generations* that were current when the database said "active, not revoked":
``auth:gen`` (every revocation of a token or a login) and ``auth:gen:u:<user>`` (any change
to that user's row: deactivation, password, role...). Invalidating is deleting a
generation; the next check creates a fresh random one, so every entry written under the
old one no longer matches. The generations are read *before* the database, so a check
that races a revocation writes an entry tagged with a generation the revocation then
deletes (the revocation deletes after its commit; see ``invalidate_*``). Only acceptances
are cached; refusals always go to the database.

Only a cache shared by every worker may hold this: with a per-process cache (local memory,
the development default) a revocation on one worker could not reach another's entries, so
the cache is not used at all and each request costs one query (``enabled``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger("scribe.accounts")

GLOBAL_GENERATION = "auth:gen"
_NOT_SHARED = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def enabled() -> bool:
    """True when token checks may be cached: a positive ``AUTH_CACHE_SECONDS`` and a cache
    shared between processes (not local memory)."""
    return settings.AUTH_CACHE_SECONDS > 0 and settings.CACHES["default"]["BACKEND"] not in _NOT_SHARED


def user_generation_key(uid: str) -> str:
    return f"auth:gen:u:{uid}"


def _entry_key(token_key: str) -> str:
    return f"auth:tok:{token_key}"


def user_uids(*, pk: object, legacy_id: str | None) -> list[str]:
    """The ids a token may name this user by: its pk (Scribe tokens), its Node.js id."""
    uids = [str(pk)]
    if legacy_id:
        uids.append("L" + legacy_id.lower())
    return uids


Generations = tuple[str, str]


def cached_fields(*, uid: str, token_key: str) -> tuple[dict | None, Generations | None]:
    """``(columns, generations)``: the user's columns if this token was accepted under the
    current generations, else ``(None, generations or None)``. One cache round trip."""
    keys = [GLOBAL_GENERATION, user_generation_key(uid), _entry_key(token_key)]
    try:
        found = cache.get_many(keys)
    except Exception:
        logger.warning("auth cache unavailable", extra={"event": "auth_cache_unavailable"})
        return None, None
    generations = (found.get(keys[0]), found.get(keys[1]))
    entry = found.get(keys[2])
    if entry is not None and None not in generations and entry[0] == generations:
        return entry[1], generations
    return None, generations if None not in generations else _fresh_generations(keys[:2], generations)


def _fresh_generations(keys: list[str], current: tuple) -> Generations | None:
    try:
        for key, value in zip(keys, current, strict=True):
            if value is None:
                cache.add(key, uuid.uuid4().hex, timeout=None)
        found = cache.get_many(keys)
    except Exception:
        return None
    generations = (found.get(keys[0]), found.get(keys[1]))
    return None if None in generations else generations


def remember(*, token_key: str, generations: Generations, fields: dict, expires: float) -> None:
    """Cache an accepted check, read from the database after ``generations`` were read."""
    seconds = min(settings.AUTH_CACHE_SECONDS, int(expires - datetime.now(tz=UTC).timestamp()))
    if seconds <= 0:
        return
    try:
        cache.set(_entry_key(token_key), (generations, fields), timeout=seconds)
    except Exception:
        logger.warning("auth cache unavailable", extra={"event": "auth_cache_unavailable"})


def _delete(keys: list[str]) -> None:
    try:
        cache.delete_many(keys)
    except Exception:
        # The cache is unreachable: requests cannot read it either, so the database decides
        # for now. An entry that survives the outage lives at most AUTH_CACHE_SECONDS.
        logger.error("auth cache invalidation failed", extra={"event": "auth_cache_invalidation_failed"})


def _invalidate(keys: list[str]) -> None:
    """Delete ``keys`` now and again after the surrounding transaction commits (a check
    that read the database in between wrote under a generation deleted by the second).
    A cache outage never blocks the change itself: the database row is what counts
    (logins keep working with the cache down, README "Rate limits")."""
    if not enabled():
        return
    _delete(keys)
    transaction.on_commit(lambda: _delete(keys))


def invalidate_all() -> None:
    """A token or a login was revoked, or users changed in bulk: every cached check is stale."""
    _invalidate([GLOBAL_GENERATION])


def invalidate_user(*, pk: object, legacy_id: str | None) -> None:
    """The user's row changed (active flag, role, password...): its cached checks are stale."""
    _invalidate([user_generation_key(uid) for uid in user_uids(pk=pk, legacy_id=legacy_id)])
