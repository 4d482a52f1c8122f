"""Every bad input answers the contract's error JSON and writes nothing."""

from __future__ import annotations

import json

import pytest

from consultations.models import Consultation, Note, Prompt, Segment, Summary, Transcript
from consultations.tests.factories import consultation_for

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Consultation, Transcript, Segment, Summary, Note, Prompt)}


def assert_invalid(response, field: str | None = None) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"]
    assert "request_id" in body
    if field is not None:
        assert field in body["errors"], body["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "patient_data"),
        ({"patient_data": None}, "patient_data"),
        ({"patient_data": "Leo Jones"}, "patient_data"),
        ({"patient_data": ["Leo"]}, "patient_data"),
        ({"patient_data": {}}, "patient_data.name"),
        ({"patient_data": {"name": 42}}, "patient_data.name"),
        ({"patient_data": {"name": ""}}, "patient_data.name"),
        ({"patient_data": {"name": "x" * 201}}, "patient_data.name"),
        ({"patient_data": {"name": "Leo", "age": "38"}}, "patient_data.age"),
        ({"patient_data": {"name": "Leo", "age": -1}}, "patient_data.age"),
        ({"patient_data": {"name": "Leo", "nhs_number": "12345"}}, "patient_data.nhs_number"),
        ({"patient_data": {"name": "Leo", "nhs_number": 6281948219}}, "patient_data.nhs_number"),
        ({"patient_data": {"name": "Leo", "history": "x" * 20_000}}, "patient_data"),
        ({"patient_data": {"name": "Leo"}, "status": "ended"}, "status"),
        ({"patient_data": {"name": "Leo"}, "clinician": "1"}, "clinician"),
    ],
)
def test_it_rejects_a_bad_start(client_for, clinician, payload, field):
    before = counts()
    assert_invalid(client_for(clinician).post("/api/v1/consultations/start", payload, format="json"), field)
    assert counts() == before


def test_it_rejects_a_body_that_is_not_json(client_for, clinician):
    client = client_for(clinician)
    before = counts()
    broken = client.generic("POST", "/api/v1/consultations/start", "{not json", content_type="application/json")
    assert_invalid(broken)
    form = client.generic(
        "POST", "/api/v1/consultations/start", "a=b", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 415
    assert form.json()["code"] == "unsupported_media_type"
    array = client.post("/api/v1/consultations/start", [{"patient_data": {"name": "x"}}], format="json")
    assert_invalid(array)
    assert counts() == before


def test_it_answers_413_for_a_body_over_the_limit(client_for, clinician, settings):
    consultation = consultation_for(clinician)
    before = counts()
    oversized = json.dumps({"seq": 1, "text": "x" * (settings.MAX_REQUEST_BODY_BYTES + 1)})
    response = client_for(clinician).generic(
        "POST", f"/api/v1/transcripts/{consultation.transcript.pk}/segments", oversized, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert counts() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"summary": 12}, "summary"),
        ({"summary": ["a"]}, "summary"),
        ({"status": "active"}, "status"),
    ],
)
def test_it_rejects_a_bad_end_and_leaves_the_consultation_active(client_for, clinician, payload, field):
    consultation = consultation_for(clinician)
    assert_invalid(
        client_for(clinician).post(f"/api/v1/consultations/{consultation.pk}/end", payload, format="json"), field
    )
    consultation.refresh_from_db()
    assert consultation.status == "active"
    assert consultation.ended_at is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "b"}, "consultation"),
        ({"consultation": "{c}"}, "body"),
        ({"consultation": "{c}", "body": 5}, "body"),
        ({"consultation": "{c}", "body": ""}, "body"),
        ({"consultation": ["{c}"], "body": "b"}, "consultation"),
        ({"consultation": "{c}", "body": "b", "clinician": "1"}, "clinician"),
        ({"consultation": "{c}", "body": "x" * 50_001}, "body"),
    ],
)
def test_it_rejects_a_bad_note(client_for, clinician, payload, field):
    consultation = consultation_for(clinician)
    filled = json.loads(json.dumps(payload).replace("{c}", str(consultation.pk)))
    before = counts()
    assert_invalid(client_for(clinician).post("/api/v1/notes/", filled, format="json"), field)
    assert counts() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"prompt_text": "t"}, "prompt_name"),
        ({"prompt_name": "n"}, "prompt_text"),
        ({"prompt_name": "n", "prompt_text": "t", "is_shareable": "yes"}, "is_shareable"),
        ({"prompt_name": "n", "prompt_text": "t", "is_shareable": 1}, "is_shareable"),
        ({"prompt_name": "n" * 201, "prompt_text": "t"}, "prompt_name"),
        ({"prompt_name": "n", "prompt_text": "t", "owner": {"id": "1"}}, "owner"),
        ({"prompt_name": "n", "prompt_text": "t", "is_deleted": True}, "is_deleted"),
    ],
)
def test_it_rejects_a_bad_prompt(client_for, clinician, payload, field):
    before = counts()
    assert_invalid(client_for(clinician).post("/api/v1/prompts/", payload, format="json"), field)
    assert counts() == before
