"""``CONN_HEALTH_CHECKS`` only for a connection that has been idle (issue 16).

Django's health check runs an unlogged ``SELECT 1`` before the first query of *every*
request on a persistent connection. A connection this thread used less than
``FRESH_SECONDS`` ago is almost certainly alive, so the check is skipped for it; an idle
one is still checked (a PostgreSQL restart or an idle timeout in between is healed before
the request's first query). If a connection does die within those seconds, the request's
query fails as it would without health checks, and Django closes the connection at the
end of that request (``errors_occurred``), so the next one reconnects.

Two signal receivers, connected after Django's own ``close_old_connections`` (which resets
``health_check_done`` at the start and end of each request): at the end of a request,
note when each open connection was last used; at the start of the next, mark a fresh
one as already checked.
"""

from __future__ import annotations

import time

from django.db import connections

FRESH_SECONDS = 5.0


def note_connections_used(**kwargs) -> None:
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            connection.scribe_used_at = now


def skip_fresh_health_checks(**kwargs) -> None:
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        used_at = getattr(connection, "scribe_used_at", None)
        if connection.connection is not None and used_at is not None and now - used_at < FRESH_SECONDS:
            connection.health_check_done = True
