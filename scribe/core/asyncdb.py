"""Database work from async code (the AI views, the WebSocket consumer).

``database_sync_to_async(fn)`` is ``asgiref``'s ``sync_to_async`` that also gives the
thread's database connection back once ``fn`` returned, when it is obsolete under
``CONN_MAX_AGE`` (``0`` in the ASGI process: gunicorn.conf.py) and no transaction is
open. Django's ASGI handler runs each request's sync code in a thread of its own, so a
connection kept there is never reused: with a persistent connection, every request
waiting on the AI provider would hold one PostgreSQL connection for its whole wait, and
a hundred of them would exhaust the server (measured: README "Process layout and AI
waits"). MongoDB's client is one pool per process: nothing changes there.

Code that runs outside Django's request handler (the WebSocket consumer) has no
per-request thread: there ``database_executor(pool)`` makes the ``database_sync_to_async``
steps of the block (and of the tasks it starts) run in ``pool`` instead of the process's
one shared "sync" thread, so recordings do not queue behind each other's database work
and the number of connections stays bounded by the pool's size.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from asgiref.sync import SyncToAsync, sync_to_async
from django.db import connections

_executor: ContextVar[Executor | None] = ContextVar("scribe_database_executor", default=None)


def release_connections() -> None:
    """Close this thread's obsolete connections outside a transaction (see the module doc)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def database_sync_to_async(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        finally:
            release_connections()

    executor = _executor.get()
    if executor is not None:
        return SyncToAsync(run, thread_sensitive=False, executor=executor)
    return sync_to_async(run)


@contextmanager
def database_executor(executor: Executor) -> Iterator[None]:
    """Run the ``database_sync_to_async`` steps made inside the block in ``executor``."""
    token = _executor.set(executor)
    try:
        yield
    finally:
        _executor.reset(token)
