"""One error shape for every response: ``{detail, code, request_id}`` (+ ``errors``).

Services raise ``ApplicationError`` subclasses; DRF's exceptions, Django's
``Http404``/``PermissionDenied`` and the framework-level failures (unknown path,
413, 500) are all rendered here, so the frontend sees one shape everywhere.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from scribe.core.logging import current_request_id

logger = logging.getLogger("scribe.errors")


class ApplicationError(Exception):
    """A failure a client can act on. Subclasses fix the status and code."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "error"
    default_detail = "The request could not be completed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        if code:
            self.code = code
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.detail)


class InvalidInput(ApplicationError):
    status_code = 400
    code = "invalid"
    default_detail = "Invalid input."


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    default_detail = "Not found."


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"
    default_detail = "The request conflicts with the current state of the object."


class RateLimited(ApplicationError):
    status_code = 429
    code = "rate_limited"
    default_detail = "Too many requests. Please wait before trying again."


class ServiceUnavailable(ApplicationError):
    status_code = 503
    code = "service_unavailable"
    default_detail = "A service Scribe depends on is unavailable. Please try again later."


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    default_detail = "The database is unavailable. Please try again shortly."


# How long a client should wait after a database outage answer (seconds).
DATABASE_RETRY_AFTER_SECONDS = 5

# Errors that mean "the database cannot be reached or dropped the connection", as opposed
# to a bug in a query: Django's wrappers of the SQL drivers' errors, and PyMongo's (which
# django-mongodb-backend re-raises as a plain DatabaseError *from* the PyMongo error).
# PyMongo's are looked up only once PyMongo is loaded (a PyMongo error cannot exist before
# that), so a SQL deployment never imports it (about 8 MB per process; README "Memory").
_SQL_UNAVAILABLE: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)


def _database_unavailable_types() -> tuple[type[BaseException], ...]:
    errors = sys.modules.get("pymongo.errors")
    if errors is None:
        return _SQL_UNAVAILABLE
    return (*_SQL_UNAVAILABLE, errors.ServerSelectionTimeoutError, errors.AutoReconnect)


def database_unavailable_cause(exc: BaseException | None) -> BaseException | None:
    """The database-availability error in ``exc``'s chain (cause/context), or None."""
    seen: set[int] = set()
    unavailable = _database_unavailable_types()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, unavailable):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _database_unavailable_body_and_log(cause: BaseException) -> tuple[dict[str, Any], dict[str, str]]:
    # One line per request, the error's class only: a driver's message can name hosts,
    # users or the statement's parameters.
    logger.error("database_unavailable", extra={"event": "database_unavailable", "error": type(cause).__name__})
    body = error_body(DatabaseUnavailable.default_detail, DatabaseUnavailable.code)
    return body, {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}


class UpstreamError(ApplicationError):
    status_code = 502
    code = "upstream_error"
    default_detail = "An upstream service failed."


class UpstreamTimeout(ApplicationError):
    status_code = 504
    code = "upstream_timeout"
    default_detail = "An upstream service did not answer in time."


def error_body(detail: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": str(detail), "code": code, "request_id": current_request_id(), **extra}


def _flatten_errors(data: Any) -> dict[str, list[str]]:
    if isinstance(data, dict):
        out: dict[str, list[str]] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten_errors(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub, msgs in _flatten_errors(item).items():
                        out[f"{key}.{index}.{sub}"] = msgs
            else:
                out[str(key)] = [str(m) for m in (value if isinstance(value, list) else [value])]
        return out
    if isinstance(data, list):
        return {"non_field_errors": [str(m) for m in data]}
    return {"non_field_errors": [str(data)]}


# django-ratelimit's decorators do not say when their window ends (Scribe's own limits,
# accounts.ratelimits, do and send the exact time): a minute is the hint for those.
DECORATOR_RETRY_AFTER_SECONDS = 60

_DRF_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every API error leaves through here."""
    cause = database_unavailable_cause(exc)
    if cause is not None:
        set_rollback()
        body, headers = _database_unavailable_body_and_log(cause)
        response = Response(body, status=503, headers=headers)
        response._has_been_logged = True  # Django's request logger would log it a second time
        return response
    if isinstance(exc, Ratelimited):
        # django-ratelimit's decorators raise a PermissionDenied subclass: a 429, never a 403.
        exc = RateLimited(headers={"Retry-After": str(DECORATOR_RETRY_AFTER_SECONDS)})
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        set_rollback()
        return Response(error_body("Request body is too large.", "request_too_large"), status=413)
    elif isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )

    if isinstance(exc, ApplicationError):
        set_rollback()
        body = error_body(exc.detail, exc.code, **exc.extra)
        if exc.errors:
            body["errors"] = exc.errors
        return Response(body, status=exc.status_code, headers=exc.headers)

    if isinstance(exc, drf_exceptions.APIException):
        set_rollback()
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        code = _DRF_CODES.get(exc.status_code, "error")
        if isinstance(exc, drf_exceptions.ValidationError):
            body = error_body("Invalid input.", "invalid", errors=_flatten_errors(exc.detail))
        elif isinstance(exc, drf_exceptions.ParseError):
            # Malformed JSON is invalid input too: same code, and `errors` like every 400.
            body = error_body(str(exc.detail), "invalid", errors={"non_field_errors": [str(exc.detail)]})
        else:
            detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
            if isinstance(exc, drf_exceptions.AuthenticationFailed | drf_exceptions.NotAuthenticated):
                code = getattr(exc.detail, "code", None) or code
                if code in ("authentication_failed", "token_not_valid", "user_not_found", "user_inactive"):
                    code = "not_authenticated"
            body = error_body(str(detail), code)
        return Response(body, status=exc.status_code, headers=headers)

    # Anything else is a bug: DRF re-raises, Django's handler500 answers JSON.
    return None


# --- Django-level handlers (outside DRF views) ------------------------------------


def json_error(status_code: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse(error_body(detail, code), status=status_code)


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    # Django routes RequestDataTooBig (a SuspiciousOperation) here; it is a 413.
    if isinstance(exception, RequestDataTooBig):
        return json_error(413, "Request body is too large.", "request_too_large")
    return json_error(400, "Bad request.", "bad_request")


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, Ratelimited):  # a decorated plain Django view
        return ratelimited_view(request, exception)
    return json_error(403, "You do not have permission to perform this action.", "permission_denied")


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error(404, "Not found.", "not_found")


def handler500(request: HttpRequest) -> JsonResponse:
    # Django calls this while handling the exception, so it is still sys.exc_info():
    # plain Django views (admin, probes) get the same 503 for a database outage.
    cause = database_unavailable_cause(sys.exc_info()[1])
    if cause is not None:
        body, headers = _database_unavailable_body_and_log(cause)
        response = JsonResponse(body, status=503, headers=headers)
        response._has_been_logged = True
        return response
    return json_error(500, "Internal server error.", "server_error")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return json_error(403, "CSRF verification failed.", "csrf_failed")


def ratelimited_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """django-ratelimit's RATELIMIT_VIEW: 429 with Retry-After, never 403."""
    response = json_error(429, RateLimited.default_detail, RateLimited.code)
    response["Retry-After"] = str(DECORATOR_RETRY_AFTER_SECONDS)
    return response
