"""Request id, access log, body size limit and Content-Security-Policy."""

from __future__ import annotations

import io
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse

from scribe.core.exceptions import json_error
from scribe.core.logging import bind_request_id, reset_request_id

access_logger = logging.getLogger("scribe.request")

# A client's id is echoed only when it is short and plain (no log or header injection).
# fullmatch, not match + "$": "$" also matches before a trailing newline.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")


def _request_id_from(request: HttpRequest) -> str:
    offered = request.META.get("HTTP_X_REQUEST_ID", "")
    if offered and _SANE_REQUEST_ID.fullmatch(offered):
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
            if response.streaming and not response.is_async:
                # A stream's body runs after this returns (the server iterates it):
                # give its log lines the request id too.
                response.streaming_content = _with_request_id(response.streaming_content, request_id)
            return response
        finally:
            reset_request_id(token)

    @staticmethod
    def _log(request: HttpRequest, status_code: int, started: float) -> None:
        match = getattr(request, "resolver_match", None)
        # The route pattern, never the path: paths and query strings can carry identifiers.
        route = match.route if match and match.url_name != "not-found" else "<unmatched>"
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
                # A machine client's key (accounts.api_keys): its id, never the secret.
                **({"api_key_id": request.api_key_id} if "api_key_id" in request.__dict__ else {}),
            },
        )


def _with_request_id(chunks: Iterable[bytes], request_id: str) -> Iterator[bytes]:
    iterator = iter(chunks)
    while True:
        token = bind_request_id(request_id)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            reset_request_id(token)
        yield chunk


def _body_limit_for(path: str) -> int:
    for prefix, limit in getattr(settings, "UPLOAD_BODY_LIMITS", {}).items():
        if path.startswith(prefix):
            return limit
    return settings.MAX_REQUEST_BODY_BYTES


class BodySizeLimitMiddleware:
    """Answers 413 before any view reads a body larger than its path's limit.

    A declared Content-Length is checked without reading. A chunked body (no
    Content-Length) is read up to the limit + 1 byte: over the limit is a 413,
    otherwise the buffered body is handed on with its length, because Django's
    WSGI request reads only Content-Length bytes and would silently see an
    empty body. It sits after CORS so a browser can read the 413.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = _body_limit_for(request.path)
        raw = request.META.get("CONTENT_LENGTH") or ""
        if raw:
            if not raw.isascii() or not raw.isdigit():
                return json_error(400, "Invalid Content-Length header.", "bad_request")
            if int(raw) > limit:
                return json_error(413, "Request body is too large.", "request_too_large")
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and "wsgi.input" in request.META:
            body = request.META["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return json_error(413, "Request body is too large.", "request_too_large")
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
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
# The admin's forms need the browser's Origin header: with "no-referrer" (the API's policy,
# SECURE_REFERRER_POLICY) Chromium sends "Origin: null" on their POSTs and Django's CSRF
# origin check refuses every login, save and logout. Same-origin still sends nothing to
# other sites.
ADMIN_REFERRER_POLICY = "same-origin"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            page = request.path.startswith(PAGE_PREFIXES)
            response["Content-Security-Policy"] = PAGE_CSP if page else API_CSP
        if request.path.startswith("/admin/"):
            # Set before SecurityMiddleware (outer), which only fills in a missing header.
            response.headers.setdefault("Referrer-Policy", ADMIN_REFERRER_POLICY)
        return response
