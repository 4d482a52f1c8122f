"""Request id, access log, body size limit and Content-Security-Policy."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from scribe.core.exceptions import json_error
from scribe.core.logging import bind_request_id, reset_request_id

access_logger = logging.getLogger("scribe.request")

# A client's id is echoed only when it is short and plain (no log or header injection).
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")


def _request_id_from(request: HttpRequest) -> str:
    offered = request.META.get("HTTP_X_REQUEST_ID", "")
    if offered and _SANE_REQUEST_ID.match(offered):
        return offered
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Outermost: gives the request its id, echoes it and writes the one access line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id_from(request)
        request.request_id = request_id
        token = bind_request_id(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            self._log(request, response.status_code, started)
            return response
        finally:
            reset_request_id(token)

    @staticmethod
    def _log(request: HttpRequest, status_code: int, started: float) -> None:
        match = getattr(request, "resolver_match", None)
        # The route pattern, never the path: paths and query strings can carry identifiers.
        route = match.route if match else "<unmatched>"
        user = request.__dict__.get("user")  # only if something already authenticated
        user_id = str(user.pk) if user is not None and getattr(user, "is_authenticated", False) else None
        access_logger.info(
            "request",
            extra={
                "method": request.method,
                "route": route,
                "status": status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": user_id,
            },
        )


def _body_limit_for(path: str) -> int:
    for prefix, limit in getattr(settings, "UPLOAD_BODY_LIMITS", {}).items():
        if path.startswith(prefix):
            return limit
    return settings.MAX_REQUEST_BODY_BYTES


class BodySizeLimitMiddleware:
    """Answers 413 from the declared Content-Length before any view reads the body.

    Chunked bodies without a Content-Length are still bounded by
    DATA_UPLOAD_MAX_MEMORY_SIZE when read (RequestDataTooBig, also a 413).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return json_error(400, "Invalid Content-Length header.", "bad_request")
        if length > _body_limit_for(request.path):
            return json_error(413, "Request body is too large.", "request_too_large")
        return self.get_response(request)


# API responses are JSON: nothing may load, frame or run. The browsable pages
# (Swagger UI, ReDoc, admin) load their own scripts and styles from /static/ only.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)
PAGE_PREFIXES = ("/docs", "/redoc", "/admin/", "/static/")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            page = request.path.startswith(PAGE_PREFIXES)
            response["Content-Security-Policy"] = PAGE_CSP if page else API_CSP
        return response
