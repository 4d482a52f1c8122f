"""Bodies over the limit answer 413 before a view reads them, with or without Content-Length."""

from __future__ import annotations

import io
import json

import pytest
from django.test import override_settings

pytestmark = [pytest.mark.django_db, pytest.mark.urls("scribe.tests.urls")]

LIMIT = 1000


def json_of_size(size: int) -> bytes:
    """A JSON object whose encoding is exactly ``size`` bytes."""
    body = json.dumps({"text": ""}).encode()
    return json.dumps({"text": "x" * (size - len(body))}).encode()


def chunked_post(client, path: str, body: bytes, **extra):
    # What a WSGI server hands Django for `Transfer-Encoding: chunked`: the
    # de-chunked stream and no Content-Length.
    return client.generic(
        "POST",
        path,
        data=b"",
        content_type="application/json",
        **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked", **extra},
    )


def assert_413(response) -> None:
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "request_too_large"
    assert body["request_id"] == response["X-Request-ID"]


@override_settings(MAX_REQUEST_BODY_BYTES=LIMIT)
def test_it_accepts_a_body_at_the_limit(api_client):
    response = api_client.post("/probe/echo", data=json_of_size(LIMIT), content_type="application/json")
    assert response.status_code == 200
    assert len(response.json()["received"]["text"]) > LIMIT - 20


@override_settings(MAX_REQUEST_BODY_BYTES=LIMIT)
def test_it_refuses_a_declared_body_over_the_limit(api_client):
    response = api_client.post("/probe/echo", data=json_of_size(LIMIT + 1), content_type="application/json")
    assert_413(response)


@override_settings(MAX_REQUEST_BODY_BYTES=LIMIT)
def test_it_refuses_a_large_body_on_an_unknown_path_too(api_client):
    response = api_client.post("/nowhere", data=json_of_size(LIMIT + 1), content_type="application/json")
    assert_413(response)


@override_settings(MAX_REQUEST_BODY_BYTES=LIMIT)
def test_it_refuses_a_chunked_body_over_the_limit(api_client):
    assert_413(chunked_post(api_client, "/probe/echo", json_of_size(LIMIT * 50)))


@override_settings(MAX_REQUEST_BODY_BYTES=LIMIT)
def test_it_reads_a_chunked_body_under_the_limit_instead_of_dropping_it(api_client):
    response = chunked_post(api_client, "/probe/echo", b'{"text": "segment one"}')
    assert response.status_code == 200
    assert response.json() == {"received": {"text": "segment one"}}


@override_settings(MAX_REQUEST_BODY_BYTES=LIMIT, UPLOAD_BODY_LIMITS={"/probe/upload/": LIMIT * 5})
def test_it_applies_a_larger_limit_to_upload_paths(api_client):
    big = json_of_size(LIMIT * 3)
    assert api_client.post("/probe/upload/echo", data=big, content_type="application/json").status_code == 200
    assert_413(api_client.post("/probe/echo", data=big, content_type="application/json"))
    assert_413(api_client.post("/probe/upload/echo", data=json_of_size(LIMIT * 6), content_type="application/json"))


@pytest.mark.parametrize("value", ["-1", "12abc", "1e3", "٣"])
def test_it_rejects_a_malformed_content_length(api_client, value):
    response = api_client.generic(
        "POST", "/probe/echo", data=b"{}", content_type="application/json", CONTENT_LENGTH=value
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10)
def test_it_answers_413_when_django_itself_finds_the_body_too_big(api_client):
    # The framework's own cap (a view reading the body) also maps to 413, not 400.
    response = api_client.post("/probe/echo", data=json_of_size(100), content_type="application/json")
    assert_413(response)


@override_settings(MAX_REQUEST_BODY_BYTES=LIMIT, CORS_ALLOWED_ORIGINS=["http://localhost:3000"])
def test_it_lets_the_browser_read_a_413(api_client):
    response = api_client.post(
        "/probe/echo",
        data=json_of_size(LIMIT + 1),
        content_type="application/json",
        HTTP_ORIGIN="http://localhost:3000",
    )
    assert_413(response)
    assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response["X-Content-Type-Options"] == "nosniff"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10)
def test_it_answers_413_for_an_oversized_form_outside_the_api(client):
    # The admin login form is read by Django, not DRF: handler400 turns it into a 413.
    response = client.post("/admin/login/", {"username": "someone@example.com", "password": "x" * 50})
    assert_413(response)
