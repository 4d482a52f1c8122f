"""Request ids in a context variable, stamped on every log record."""

from __future__ import annotations

import logging
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("scribe_request_id", default=None)
_user_id: ContextVar[str | None] = ContextVar("scribe_user_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(value: str | None):
    return _request_id.set(value)


def reset_request_id(token) -> None:
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record emitted while a request runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get()
        return True
