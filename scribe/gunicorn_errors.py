"""gunicorn's own error answers as JSON ``{detail, code, request_id}``, never HTML.

gunicorn refuses some requests before Scribe sees them: a request line or header over
its limits (414, 431), malformed or ambiguous framing such as ``Transfer-Encoding`` with
``Content-Length`` or two ``Content-Length`` headers (400), unsupported transfer codings
(501). It writes those through ``gunicorn.util.write_error``, an HTML page; importing
this module (gunicorn.conf.py does) replaces that function with one writing the
contract's JSON error. gunicorn's message is not echoed: it quotes the offending
header or URL, which can carry identifiers. No Django here: it runs in gunicorn itself.
"""

from __future__ import annotations

import json
import uuid

from gunicorn import util

CODES = {
    400: "bad_request",
    403: "permission_denied",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "request_header_fields_too_large",
    500: "server_error",
    501: "not_implemented",
}
DETAILS = {
    400: "Bad request.",
    414: "The request URL is too long.",
    431: "The request's headers are too large.",
    501: "The request's transfer coding is not supported.",
}


def json_error_response(status_int: int, reason: str) -> bytes:
    request_id = uuid.uuid4().hex
    body = json.dumps(
        {
            "detail": DETAILS.get(status_int, f"{reason}."),
            "code": CODES.get(status_int, "error"),
            "request_id": request_id,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-ID: {request_id}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    util.write_nonblock(sock, json_error_response(status_int, reason))


util.write_error = write_error
