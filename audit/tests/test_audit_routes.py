"""The audit table: every patient-data route of both API surfaces leaves its record.

Each request, sent the way a client sends it, must leave exactly the expected audit event
(who, role, model, object id, action, request id, client IP, status), and no stored audit
field may carry any of the plain values the test wrote (names, note and transcript text).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from consultations.tests.factories import consultation_for, note_for, prompt_for

pytestmark = pytest.mark.django_db

PATIENT_NAME = "Zebedee Quillfeather-Osei"
NOTE_BODY = "Quixotic rash on the left forearm 7731"
TYPED = "Xylophonic cough since Tuesday 9981"
SECRETS = [PATIENT_NAME, NOTE_BODY, TYPED, "Quillfeather", "Xylophonic", "Quixotic"]


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with the owner's ids: {consultation}, {transcript}, {note}, {prompt}
    body: dict[str, Any] | None
    model: str
    action: str
    object_id: str | None  # "{consultation}"-style key, "created" (the answer's id) or None (empty)
    consultation_id: str | None = None


V1_CASES = [
    Case("get", "/api/v1/consultations/", None, "consultation", "list", None),
    Case(
        "post",
        "/api/v1/consultations/start",
        {"patient_data": {"name": PATIENT_NAME}},
        "consultation",
        "create",
        "created",
        "created",
    ),
    Case("get", "/api/v1/consultations/{consultation}", None, "consultation", "read", "consultation", "consultation"),
    Case(
        "post",
        "/api/v1/consultations/{consultation}/end",
        {"summary": TYPED},
        "consultation",
        "update",
        "consultation",
        "consultation",
    ),
    Case("get", "/api/v1/transcripts/{transcript}", None, "transcript", "read", "transcript"),
    Case("put", "/api/v1/transcripts/{transcript}", {"transcript_text": TYPED}, "transcript", "update", "transcript"),
    Case(
        "post",
        "/api/v1/transcripts/{transcript}/segments",
        {"seq": 1, "text": TYPED},
        "transcript",
        "update",
        "transcript",
    ),
    Case("get", "/api/v1/transcripts/{transcript}/segments", None, "transcript", "read", "transcript"),
    Case("post", "/api/v1/transcripts/{transcript}/summarize", {}, "transcript", "ai", "transcript"),
    Case("post", "/api/v1/transcripts/{transcript}/summaries/1/sign", {}, "transcript", "sign", "transcript"),
    Case("get", "/api/v1/notes/", None, "note", "list", None),
    Case("post", "/api/v1/notes/", {"consultation": "{consultation}", "body": NOTE_BODY}, "note", "create", "created"),
    Case("get", "/api/v1/notes/{note}", None, "note", "read", "note"),
    Case("put", "/api/v1/notes/{note}", {"body": NOTE_BODY}, "note", "update", "note"),
    Case("patch", "/api/v1/notes/{note}", {"body": NOTE_BODY}, "note", "update", "note"),
    Case("delete", "/api/v1/notes/{note}", None, "note", "delete", "note"),
    Case("post", "/api/v1/ai/summary", {"transcript_text": TYPED}, "ai", "ai", None),
    Case("post", "/api/v1/ai/search", {"query": TYPED}, "ai", "ai", None),
    Case(
        "get",
        "/api/v1/consultations/{consultation}/documents/referral-letter",
        None,
        "document",
        "read",
        None,
        "consultation",
    ),
    Case(
        "put",
        "/api/v1/consultations/{consultation}/documents/referral-letter",
        {"body": NOTE_BODY},
        "document",
        "update",
        None,
        "consultation",
    ),
    Case(
        "get",
        "/api/v1/consultations/{consultation}/documents/note.pdf",
        None,
        "document",
        "export",
        None,
        "consultation",
    ),
    Case(
        "get",
        "/api/v1/consultations/{consultation}/questionnaires",
        None,
        "questionnaire",
        "list",
        None,
        "consultation",
    ),
    Case(
        "post",
        "/api/v1/consultations/{consultation}/questionnaires",
        {"instrument": "phq9", "answers": [0] * 9},
        "questionnaire",
        "create",
        "created",
        "consultation",
    ),
    Case(
        "post",
        "/api/v1/consultations/{consultation}/questionnaire-links",
        {"instrument": "phq9"},
        "questionnaire_link",
        "create",
        None,
        "consultation",
    ),
    Case("get", "/api/v1/questionnaires/", None, "questionnaire", "list", None),
]

NODE_CASES = [
    Case("get", "/api/consultation", None, "consultation", "list", None),
    Case(
        "post",
        "/api/consultation/start",
        {"patient_data": {"name": PATIENT_NAME}},
        "consultation",
        "create",
        "created",
        "created",
    ),
    Case("get", "/api/consultation/{consultation}", None, "consultation", "read", "consultation", "consultation"),
    Case("post", "/api/consultation/{consultation}/end", {}, "consultation", "update", "consultation", "consultation"),
    Case("get", "/api/transcript/{consultation}", None, "transcript", "read", None, "consultation"),
    Case(
        "post",
        "/api/transcript/update-text",
        {"transcript_id": "{transcript}", "transcript_text": TYPED},
        "transcript",
        "update",
        "transcript",
    ),
    Case("post", "/api/notes/{consultation}", {"body": NOTE_BODY}, "note", "create", "created", "consultation"),
    Case("get", "/api/notes/{consultation}", None, "note", "list", None, "consultation"),
    Case("patch", "/api/notes/{note}", {"body": NOTE_BODY}, "note", "update", "note"),
    Case("delete", "/api/notes/{note}", None, "note", "delete", "note"),
    Case("patch", "/api/prompts/{prompt}/add-prompt/{transcript}", None, "transcript", "update", "transcript"),
    Case("post", "/api/ai/{consultation}/summarise", {}, "transcript", "ai", None, "consultation"),
    Case("post", "/api/ai/analyze", {"prompt": TYPED}, "ai", "ai", None),
]


@pytest.fixture
def owned(clinician) -> dict[str, str]:
    consultation = consultation_for(clinician, name=PATIENT_NAME)
    return {
        "consultation": str(consultation.pk),
        "transcript": str(consultation.transcript.pk),
        "note": str(note_for(consultation, body=NOTE_BODY).pk),
        "prompt": str(prompt_for(clinician).pk),
    }


def send(client: APIClient, case: Case, ids: dict[str, str]):
    body = (
        {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in case.body.items()}
        if case.body is not None
        else None
    )
    return getattr(client, case.method)(case.path.format(**ids), body, format="json")


def stored_values() -> list[str]:
    return [str(value) for row in AuditEvent.objects.values() for value in row.values()]


def _created_id(response) -> str:
    body = response.json()
    inner = body.get("data") or {}
    for container in (body, inner.get("consultation"), body.get("note"), inner.get("note")):
        if isinstance(container, dict):
            for key in ("id", "_id"):
                if key in container:
                    return str(container[key])
    raise AssertionError(f"no id in {body}")


def expected_id(key: str | None, ids: dict[str, str], response) -> str:
    if key is None:
        return ""
    if key == "created":
        return _created_id(response)
    return ids[key]


@pytest.mark.parametrize("case", V1_CASES + NODE_CASES, ids=lambda c: f"{c.method} {c.path}")
def test_it_records_every_patient_data_request_without_its_data(case, owned, client_for, clinician, openai_stub):
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    response = send(client_for(clinician), case, owned)
    assert response.status_code < 500, response.content

    new = [e for e in AuditEvent.objects.all() if e.pk not in before]
    assert len(new) == 1, [(e.model, e.action, e.source) for e in new]
    event = new[0]
    assert (event.model, event.action) == (case.model, case.action)
    assert event.object_id == expected_id(case.object_id, owned, response)
    assert event.consultation_id == expected_id(case.consultation_id, owned, response)
    assert (event.user_id, event.role) == (str(clinician.pk), "clinician")
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "127.0.0.1"
    assert event.status == response.status_code
    assert event.at is not None

    for value in stored_values():
        for secret in SECRETS:
            assert secret.lower() not in value.lower(), (secret, value)


def test_it_records_refused_requests_with_who_tried(owned, client_for, other_clinician, patient):
    client_for(other_clinician).get(f"/api/v1/consultations/{owned['consultation']}")
    client_for(patient).get(f"/api/consultation/{owned['consultation']}")
    APIClient().get(f"/api/v1/consultations/{owned['consultation']}")
    events = list(AuditEvent.objects.order_by("pk").values_list("user_id", "role", "status"))
    assert events == [(str(other_clinician.pk), "clinician", 404), (str(patient.pk), "patient", 403), ("", "", 401)]


def test_an_error_after_the_read_still_leaves_the_record(owned, client_for, clinician, openai_stub, settings):
    # The transcript is read, then the AI provider fails: the answer is an error, and the
    # batch written at the end of the request still holds the read.
    client_for(clinician).put(f"/api/v1/transcripts/{owned['transcript']}", {"transcript_text": "words"}, format="json")
    openai_stub.fail_status = 400
    response = client_for(clinician).post(f"/api/v1/transcripts/{owned['transcript']}/summarize", {}, format="json")
    assert response.status_code >= 400
    event = AuditEvent.objects.get(request_id=response["X-Request-ID"])
    assert (event.model, event.action, event.object_id, event.status) == (
        "transcript",
        "ai",
        owned["transcript"],
        response.status_code,
    )


def test_it_uses_the_trusted_proxys_client_address(owned, client_for, clinician, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = client_for(clinician)
    response = client.get(f"/api/v1/consultations/{owned['consultation']}", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert AuditEvent.objects.get(request_id=response["X-Request-ID"]).ip == "203.0.113.9"


def test_it_does_not_record_routes_without_patient_data(client_for, clinician):
    client_for(clinician).get("/api/v1/prompts/")
    client_for(clinician).get("/api/v1/users/profile")
    APIClient().get("/health")
    assert not AuditEvent.objects.exists()


def test_it_records_nothing_when_switched_off_for_the_benchmark(owned, client_for, clinician, settings):
    settings.AUDIT_ENABLED = False
    client_for(clinician).get(f"/api/v1/consultations/{owned['consultation']}")
    assert not AuditEvent.objects.exists()
