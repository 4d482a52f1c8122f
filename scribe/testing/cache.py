"""Emptying the test cache without touching another test process's keys."""

from __future__ import annotations


def cache_clear() -> None:
    """Empty the default cache: on Redis only this worker's keys (``clear()`` is FLUSHDB)."""
    from django.core.cache import caches

    backend = caches["default"]
    prefix = getattr(backend, "key_prefix", "")
    if type(backend).__name__ == "RedisCache" and prefix.startswith("scribe-test-"):
        client = backend._cache.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        backend.clear()
