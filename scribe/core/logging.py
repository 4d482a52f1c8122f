"""Request ids in a context variable, stamped on every log record."""

from __future__ import annotations

import logging
import traceback
from contextvars import ContextVar

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

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


class ScribeJsonFormatter(JsonFormatter):
    """One JSON object per line that never carries a request or an exception's message.

    Django attaches the request to its records (its repr includes the query
    string), and exception messages can quote patient data (a database error
    repeats the values it rejected). The traceback's frames and the exception
    types are enough to find a bug.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)

    def formatException(self, ei) -> str:
        _type, exc, _tb = ei
        chain: list[BaseException] = []
        while exc is not None and exc not in chain:
            chain.append(exc)
            exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        parts: list[str] = []
        for error in reversed(chain):
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(error.__traceback__))
            kind = type(error)
            parts.append(f"{kind.__module__}.{kind.__qualname__} (message withheld)\n")
        return "".join(parts).rstrip("\n")
