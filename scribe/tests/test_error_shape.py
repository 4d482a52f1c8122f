"""Every framework-level error is JSON ``{detail, code, request_id}``, never HTML."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_it_answers_an_unknown_path_with_json_404(api_client):
    assert_error(api_client.get("/no/such/page"), 404, "not_found")


def test_it_answers_an_unknown_api_path_with_json_404(api_client):
    assert_error(api_client.post("/api/v1/nothing-here", {"a": 1}, format="json"), 404, "not_found")


def test_it_answers_a_wrong_method_with_json_405(api_client):
    body = assert_error(api_client.delete("/health"), 405, "method_not_allowed")
    assert "DELETE" in body["detail"]


@override_settings(ROOT_URLCONF="scribe.tests.urls")
def test_it_answers_an_unsupported_media_type_with_json_415(api_client):
    response = api_client.post("/probe/echo", data="name=x", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


@override_settings(ROOT_URLCONF="scribe.tests.urls")
def test_it_answers_malformed_json_with_a_400_listing_the_error(api_client):
    response = api_client.post("/probe/echo", data='{"broken": ', content_type="application/json")
    body = assert_error(response, 400, "invalid")
    assert body["errors"]["non_field_errors"]


@override_settings(ROOT_URLCONF="scribe.tests.urls", DEBUG=False)
def test_it_answers_an_unhandled_exception_with_json_500_and_no_trace(api_client):
    api_client.raise_request_exception = False
    response = api_client.get("/probe/crash")
    body = assert_error(response, 500, "server_error")
    text = response.content.decode()
    assert set(body) == {"detail", "code", "request_id"}
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    assert "Quagmire" not in text
    assert "<html" not in text.lower()


def test_it_answers_a_failed_csrf_check_with_json_403(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "a@b.c", "password": "x"})
    assert_error(response, 403, "csrf_failed")


def test_it_answers_a_plain_options_request_with_json_405(api_client):
    # No DRF metadata: it would fetch objects (a 500 on viewsets) and describe serializers.
    # Browsers' CORS preflights are answered before this (see test_cors).
    assert_error(api_client.options("/health"), 405, "method_not_allowed")


@override_settings(DEBUG=True)
def test_it_answers_unknown_paths_with_json_even_with_debug_on(api_client):
    # `make run` has DEBUG on; the frontend still gets the contract's shape, not Django's debug page.
    assert_error(api_client.get("/no/such/page"), 404, "not_found")


def test_it_answers_an_unknown_path_without_asking_for_a_csrf_token(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/no/such/form", {"a": "1"})
    assert_error(response, 404, "not_found")
