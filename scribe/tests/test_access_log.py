"""One JSON access line per request; the request id on every line; no bodies or query strings."""

from __future__ import annotations

import pytest

from scribe.tests.urls import PATIENT_NAME

pytestmark = [pytest.mark.django_db, pytest.mark.urls("scribe.tests.urls")]


def test_it_writes_one_json_access_line_per_request(api_client, log):
    response = api_client.get("/health", HTTP_X_REQUEST_ID="req-one")
    lines = log.by_logger("scribe.request")
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "req-one" == response["X-Request-ID"]
    assert line["method"] == "GET"
    assert line["route"] == "health"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert line["level"] == "INFO"


def test_it_logs_the_route_pattern_and_the_user_when_known(client_for, clinician, log):
    response = client_for(clinician).get("/probe/whoami")
    assert response.status_code == 200
    (line,) = log.by_logger("scribe.request")
    assert line["user_id"] == str(clinician.pk)
    assert line["route"] == "probe/whoami"


def test_it_logs_unmatched_paths_without_the_path(api_client, log):
    api_client.get(f"/patients/{PATIENT_NAME.replace(' ', '-')}")
    (line,) = log.by_logger("scribe.request")
    assert line["status"] == 404
    assert line["route"] == "<unmatched>"
    assert "Quagmire" not in log.text


def test_it_never_logs_query_strings_or_bodies(api_client, log):
    api_client.get("/health", {"patient": PATIENT_NAME, "nhs_number": "9434765919"})
    api_client.post("/probe/echo", {"transcript": f"{PATIENT_NAME} reports chest pain"}, format="json")
    assert len(log.by_logger("scribe.request")) == 2
    assert "Quagmire" not in log.text
    assert "9434765919" not in log.text
    assert "chest pain" not in log.text


def test_it_stamps_every_line_of_a_request_with_its_id(api_client, log):
    response = api_client.get("/probe/chatty")
    request_id = response["X-Request-ID"]
    records = log.records
    assert [r["message"] for r in records] == ["first line from the view", "second line from the view", "request"]
    assert {r["request_id"] for r in records} == {request_id}


def test_it_keeps_requests_ids_apart(api_client, log):
    api_client.get("/probe/chatty", HTTP_X_REQUEST_ID="first")
    api_client.get("/probe/chatty", HTTP_X_REQUEST_ID="second")
    assert [r["request_id"] for r in log.records] == ["first"] * 3 + ["second"] * 3


def test_it_logs_an_unhandled_exception_with_its_traceback_but_not_its_message(api_client, log):
    api_client.raise_request_exception = False
    response = api_client.get("/probe/crash")
    assert response.status_code == 500
    (error,) = [r for r in log.records if r["level"] == "ERROR"]
    assert error["logger"] == "django.request"
    assert error["request_id"] == response["X-Request-ID"]
    assert "CrashView" in error["exc_info"] or "def get" in error["exc_info"] or "in get" in error["exc_info"]
    assert "builtins.RuntimeError (message withheld)" in error["exc_info"]
    assert "Quagmire" not in log.text
    (access,) = log.by_logger("scribe.request")
    assert access["status"] == 500


def test_it_stamps_lines_logged_while_a_response_streams(api_client, log):
    response = api_client.get("/probe/stream", HTTP_X_REQUEST_ID="stream-1")
    assert b"".join(response.streaming_content) == b"first,second"
    (line,) = [r for r in log.records if r["message"] == "line from inside the stream"]
    assert line["request_id"] == "stream-1"


def test_it_keeps_http_client_and_sdk_chatter_out_of_the_logs(log):
    import logging

    # httpx logs every URL with its query string at INFO; the openai SDK logs prompts at DEBUG.
    logging.getLogger("httpx").info("HTTP Request: GET https://terminology.example/fhir?filter=%s", "chest pain")
    logging.getLogger("openai._base_client").debug("Request options: %s", {"messages": "patient history"})
    assert log.text == ""
