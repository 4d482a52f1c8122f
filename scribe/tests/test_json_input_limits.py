"""Every JSON body passes one parser: nesting beyond 64 levels and NUL characters are 400s.

Through the real endpoints (login is unauthenticated, consultations/start writes JSON
to the database), so a new endpoint is covered by the same parser without asking.
"""

from __future__ import annotations

import json

import pytest

from consultations.models import Consultation
from scribe.core.parsers import JSON_MAX_DEPTH, json_depth_exceeds

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/users/login"
START = "/api/v1/consultations/start"


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def post_raw(client, url: str, body: str):
    return client.post(url, data=body.encode(), content_type="application/json")


def test_it_refuses_deeply_nested_json_with_a_400_and_logs_no_traceback(api_client, log):
    body = '{"email": ' + nested(1000) + ', "password": "x"}'
    response = post_raw(api_client, LOGIN, body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "invalid"
    assert "nested deeper than 64" in payload["detail"]
    assert payload["request_id"] == response["X-Request-ID"]
    assert "Traceback" not in log.text
    assert all(record["level"] != "ERROR" for record in log.records)


def test_it_accepts_nesting_up_to_the_limit(api_client, clinician, client_for):
    # 64 levels counting patient_data's own object and the body's.
    patient = {"name": "Ann", "extra": json.loads(nested(JSON_MAX_DEPTH - 2))}
    response = client_for(clinician).post(START, {"patient_data": patient}, format="json")
    assert response.status_code == 201, response.json()
    too_deep = {"name": "Ann", "extra": json.loads(nested(JSON_MAX_DEPTH - 1))}
    response = client_for(clinician).post(START, {"patient_data": too_deep}, format="json")
    assert response.status_code == 400


def test_it_counts_brackets_inside_strings_as_text():
    assert not json_depth_exceeds(json.dumps({"note": "[" * 500}))
    assert json_depth_exceeds(nested(65))
    assert not json_depth_exceeds(nested(64))
    assert not json_depth_exceeds(json.dumps({"a": '\\"[[[' * 100}))


@pytest.mark.parametrize(
    ("patient_data", "field"),
    [
        ({"name": "x", "notes": ["a\u0000b"]}, "patient_data.notes.0"),
        ({"name": "x", "gp": {"practice": "Hill\u0000side"}}, "patient_data.gp.practice"),
        ({"name": "x", "bad\u0000key": 1}, "patient_data.<key>"),
        ({"name": "a\u0000b"}, "patient_data.name"),
    ],
)
def test_it_refuses_a_nul_anywhere_in_json_naming_the_field(clinician, client_for, patient_data, field):
    response = client_for(clinician).post(START, {"patient_data": patient_data}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    assert not Consultation.objects.exists()


def test_it_refuses_a_nul_in_a_text_field_on_an_unauthenticated_endpoint(api_client):
    response = api_client.post(LOGIN, {"email": "a\u0000@example.com", "password": "x"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_it_refuses_a_nul_in_a_query_parameter(clinician, client_for):
    response = client_for(clinician).get("/api/v1/consultations/", {"search": "An\u0000n"})
    assert response.status_code == 400
    assert "search" in response.json()["errors"]


def test_it_refuses_a_nul_in_a_multipart_text_field(clinician, client_for):
    response = client_for(clinician).post(
        "/api/v1/ai/images", {"prompt": "look\u0000here", "images": []}, format="multipart"
    )
    assert response.status_code == 400
    assert "prompt" in response.json()["errors"]
