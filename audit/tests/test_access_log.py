"""GET /api/v1/consultations/{id}/access-log: who accessed a consultation, owner only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from consultations.tests.factories import consultation_for, note_for

pytestmark = pytest.mark.django_db


def url(consultation) -> str:
    return f"/api/v1/consultations/{consultation.pk}/access-log"


def test_it_lists_who_accessed_the_consultation_and_its_records(client_for, clinician, other_clinician):
    consultation = consultation_for(clinician)
    other = consultation_for(clinician)
    note = note_for(consultation)
    owner = client_for(clinician)
    owner.get(f"/api/v1/consultations/{consultation.pk}")
    owner.get(f"/api/v1/transcripts/{consultation.transcript.pk}")
    owner.get(f"/api/v1/notes/{note.pk}")
    owner.get(f"/api/transcript/{consultation.pk}")  # the Node face, by consultation id
    owner.get(f"/api/v1/consultations/{other.pk}")  # another consultation: not listed
    client_for(other_clinician).get(f"/api/v1/consultations/{consultation.pk}")  # refused: listed, 404

    response = owner.get(url(consultation))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 5
    rows = body["results"]
    assert [(r["model"], r["action"], r["status"]) for r in rows] == [
        ("consultation", "read", 404),
        ("transcript", "read", 200),
        ("note", "read", 200),
        ("transcript", "read", 200),
        ("consultation", "read", 200),
    ]
    assert rows[0]["user_id"] == str(other_clinician.pk)
    assert {r["user_id"] for r in rows[1:]} == {str(clinician.pk)}
    assert set(rows[0]) == {
        "at",
        "user_id",
        "role",
        "action",
        "model",
        "object_id",
        "source",
        "status",
        "request_id",
        "ip",
    }


def test_it_is_paginated_like_other_lists(client_for, clinician):
    consultation = consultation_for(clinician)
    owner = client_for(clinician)
    for _ in range(3):
        owner.get(f"/api/v1/consultations/{consultation.pk}")
    page = owner.get(url(consultation), {"page_size": 2}).json()
    assert (page["count"], len(page["results"])) == (3, 2)
    assert page["next"] is not None
    assert owner.get(url(consultation), {"page_size": "x"}).status_code == 400


@pytest.mark.parametrize(
    ("who", "expected"), [("other_clinician", 404), ("patient", 403), ("staff_user", 403), (None, 401)]
)
def test_it_shows_the_access_log_to_the_owner_only(who, expected, request, client_for, clinician):
    consultation = consultation_for(clinician)
    client = client_for(request.getfixturevalue(who)) if who else APIClient()
    response = client.get(url(consultation))
    assert response.status_code == expected
    assert {"detail", "code", "request_id"} <= set(response.json())


def test_it_answers_another_clinician_as_for_a_missing_consultation(client_for, clinician, other_clinician):
    consultation = consultation_for(clinician)
    client = client_for(other_clinician)
    theirs = client.get(url(consultation)).json()
    missing = client.get("/api/v1/consultations/999999999/access-log").json()
    theirs.pop("request_id"), missing.pop("request_id")
    assert theirs == missing


def test_it_is_in_the_openapi_schema(api_client):
    schema = api_client.get("/openapi.json").json()
    assert "get" in schema["paths"]["/api/v1/consultations/{id}/access-log/"]
