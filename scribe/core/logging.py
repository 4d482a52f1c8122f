"""Request ids in a context variable, stamped on every log record."""

from __future__ import annotations

import logging
import re
import traceback
from contextvars import ContextVar
from importlib import metadata

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

_request_id: ContextVar[str | None] = ContextVar("scribe_request_id", default=None)
_user_id: ContextVar[str | None] = ContextVar("scribe_user_id", default=None)


# The SDKs Scribe reaches the network with (ai/client.py: openai; ai/terminology.py: httpx),
# and the usual Python HTTP stacks should one ever be installed.
HTTP_CLIENT_DISTRIBUTIONS = ("openai", "httpx", "requests", "urllib3", "aiohttp")
_REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9._-]+")


def _top_level_modules(dist: metadata.Distribution) -> set[str]:
    listed = dist.read_text("top_level.txt")
    if listed:
        return {line.strip() for line in listed.splitlines() if line.strip()}
    modules = set()
    for file in dist.files or ():
        parts = file.parts
        if len(parts) == 2 and parts[1] == "__init__.py" and not parts[0].endswith((".dist-info", ".data")):
            modules.add(parts[0])
        elif len(parts) == 1 and parts[0].endswith(".py"):
            modules.add(parts[0][:-3])
    return modules


def http_client_logger_names(roots: tuple[str, ...] = HTTP_CLIENT_DISTRIBUTIONS) -> list[str]:
    """The top-level modules (= logger names) of the installed HTTP SDKs and everything
    they depend on, read from the installed packages' metadata.

    Not a fixed list: the openai SDK moved from ``httpx``/``httpcore`` to ``httpx2``/
    ``httpcore2``, whose INFO lines (``HTTP Request: POST <url>``) and DEBUG lines (request
    bodies: prompts) then went to the log. Whatever transport an SDK pulls in is found
    here. Optional extras are not followed (they are not what the SDK uses by default).
    """
    seen: set[str] = set()
    modules: set[str] = set()
    queue = list(roots)
    while queue:
        name = re.sub(r"[-_.]+", "-", queue.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        modules |= _top_level_modules(dist)
        for requirement in dist.requires or ():
            if "extra ==" in requirement:
                continue
            match = _REQUIREMENT_NAME.match(requirement)
            if match:
                queue.append(match.group())
    return sorted(module for module in modules if not module.startswith("_"))


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
