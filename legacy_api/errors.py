"""The Node.js face's errors: Scribe's envelope (``detail``, ``code``, ``request_id``)
plus ``msg``, the sentence the deployed frontend shows.

Views name the sentence of a failure where the Node.js backend had one
(``node_msg("Consultation not found", NotFound)``); any other error carries its
``detail`` as ``msg``. Authentication failures carry Node's four sentences.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from scribe.core.exceptions import ApplicationError, NotFound, exception_handler

NO_TOKEN = "Please login, no token provided"
LOGGED_OUT = "Session logged out. Please log in again."
EXPIRED = "Token expired. Please log in again."
INVALID_TOKEN = "Not authorized, invalid token"

_AUTH_SENTENCES = {"token_revoked": LOGGED_OUT, "token_expired": EXPIRED}


class NodeError(ApplicationError):
    """A failure whose status is Node's own choice (e.g. ``401`` for a taken email)."""

    def __init__(
        self, msg: str, *, status: int, code: str, detail: str | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        self.status_code = status
        super().__init__(detail or msg, code=code, extra={"msg": msg, **(extra or {})})


@contextmanager
def node_msg(msg: str, *kinds: type[ApplicationError]) -> Iterator[None]:
    """Give the errors of ``kinds`` (default ``NotFound``) raised in the block Node's ``msg``."""
    caught = kinds or (NotFound,)
    try:
        yield
    except caught as error:
        error.extra = {**error.extra, "msg": msg}
        raise


def _first_error(errors: Any) -> str | None:
    if isinstance(errors, dict):
        for name, messages in errors.items():
            if isinstance(messages, list) and messages:
                return f"{name}: {messages[0]}"
    return None


def node_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Scribe's exception handler, then ``msg`` added (Node's sentence where it had one)."""
    msg = None
    if isinstance(exc, drf_exceptions.NotAuthenticated):
        msg = NO_TOKEN
    elif isinstance(exc, drf_exceptions.AuthenticationFailed):
        msg = _AUTH_SENTENCES.get(str(exc.get_codes()), INVALID_TOKEN)
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        data = response.data
        if msg is not None:
            data["msg"] = msg
        else:
            data.setdefault("msg", _first_error(data.get("errors")) or data.get("detail"))
    return response
