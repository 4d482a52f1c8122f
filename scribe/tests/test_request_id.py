"""X-Request-ID: echoed when the client's is sane, replaced otherwise, on every response."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "offered",
    ["abc123", "f47ac10b-58cc-4372-a567-0e02b2c3d479", "frontend.req:42_x", "a" * 128],
)
def test_it_echoes_a_sane_request_id(api_client, offered):
    response = api_client.get("/health", HTTP_X_REQUEST_ID=offered)
    assert response["X-Request-ID"] == offered


@pytest.mark.parametrize(
    "offered",
    [
        "a" * 129,  # too long
        "abc\n",  # trailing newline (regex "$" would let it through)
        "abc\r\nSet-Cookie: session=evil",  # header injection
        "abc def",  # space
        "<script>",
        "-leading-dash",
        "naïve",
        "abc\x00",
    ],
)
def test_it_replaces_an_unsafe_request_id(api_client, offered):
    response = api_client.get("/health", HTTP_X_REQUEST_ID=offered)
    assert response.status_code == 200
    assert GENERATED.fullmatch(response["X-Request-ID"])
    assert "Set-Cookie" not in response


def test_it_generates_a_request_id_when_none_is_sent(api_client):
    first = api_client.get("/health")["X-Request-ID"]
    second = api_client.get("/health")["X-Request-ID"]
    assert GENERATED.fullmatch(first)
    assert first != second


def test_it_puts_the_request_id_on_error_bodies_and_headers(api_client):
    response = api_client.get("/missing", HTTP_X_REQUEST_ID="trace-me-1")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-me-1"
    assert response.json()["request_id"] == "trace-me-1"
