"""Every object endpoint and method, for every kind of caller.

The owner's request works; another clinician gets 404 (the object's existence
is not revealed); a patient and a staff user who is not a clinician get 403;
no token gets 401. No refused request changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from consultations.models import Note
from consultations.tests.factories import consultation_for, note_for, owned_records, records_snapshot

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with the owner's objects: {consultation}, {transcript}, {note}, {prompt}
    body: dict[str, Any] | None
    owner_status: int


OBJECT_CASES = [
    Case("get", "/api/v1/consultations/{consultation}", None, 200),
    Case("post", "/api/v1/consultations/{consultation}/end", {"summary": "done"}, 200),
    Case("get", "/api/v1/transcripts/{transcript}", None, 200),
    Case("put", "/api/v1/transcripts/{transcript}", {"transcript_text": "typed"}, 200),
    Case("post", "/api/v1/transcripts/{transcript}/segments", {"seq": 1, "text": "hello"}, 201),
    Case("get", "/api/v1/transcripts/{transcript}/segments", None, 200),
    Case("get", "/api/v1/notes/{note}", None, 200),
    Case("put", "/api/v1/notes/{note}", {"body": "changed"}, 200),
    Case("patch", "/api/v1/notes/{note}", {"body": "changed"}, 200),
    Case("delete", "/api/v1/notes/{note}", None, 204),
    Case("get", "/api/v1/prompts/{prompt}", None, 200),
    Case("put", "/api/v1/prompts/{prompt}", {"prompt_name": "n", "prompt_text": "t"}, 200),
    Case("patch", "/api/v1/prompts/{prompt}", {"prompt_text": "t2"}, 200),
    Case("delete", "/api/v1/prompts/{prompt}", None, 204),
]

COLLECTION_CASES = [
    Case("get", "/api/v1/consultations/", None, 200),
    Case("post", "/api/v1/consultations/start", {"patient_data": {"name": "Ann"}}, 201),
    Case("get", "/api/v1/notes/", None, 200),
    Case("post", "/api/v1/notes/", {"consultation": "{consultation}", "body": "b"}, 201),
    Case("get", "/api/v1/prompts/", None, 200),
    Case("post", "/api/v1/prompts/", {"prompt_name": "n", "prompt_text": "t"}, 201),
]


snapshot = records_snapshot


@pytest.fixture
def owned(clinician) -> dict[str, str]:
    return owned_records(clinician)


def send(client: APIClient, case: Case, ids: dict[str, str]):
    body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in case.body.items()} if case.body else None
    return getattr(client, case.method)(case.path.format(**ids), body, format="json")


def callers(client_for, other_clinician, patient, staff_user) -> list[tuple[str, APIClient, int]]:
    return [
        ("another clinician", client_for(other_clinician), 404),
        ("patient", client_for(patient), 403),
        ("staff, not a clinician", client_for(staff_user), 403),
        ("no token", APIClient(), 401),
    ]


@pytest.mark.parametrize("case", OBJECT_CASES, ids=lambda c: f"{c.method} {c.path}")
def test_it_lets_only_the_owner_use_an_object(case, owned, client_for, clinician, other_clinician, patient, staff_user):
    before = snapshot()
    for who, client, expected in callers(client_for, other_clinician, patient, staff_user):
        response = send(client, case, owned)
        assert response.status_code == expected, (who, response.status_code, response.content)
        assert response["Content-Type"].startswith("application/json")
        assert set(response.json()) >= {"detail", "code", "request_id"}
    assert snapshot() == before, "a refused request changed something"

    response = send(client_for(clinician), case, owned)
    assert response.status_code == case.owner_status, response.content


@pytest.mark.parametrize("case", OBJECT_CASES, ids=lambda c: f"{c.method} {c.path}")
def test_it_answers_another_clinician_exactly_as_for_a_missing_object(case, owned, client_for, other_clinician):
    client = client_for(other_clinician)
    theirs = send(client, case, owned).json()
    missing = send(client, case, dict.fromkeys(owned, "999999999")).json()
    malformed = send(client, case, dict.fromkeys(owned, "not-an-id")).json()
    for body in (theirs, missing, malformed):
        body.pop("request_id")
    assert theirs == missing == malformed


@pytest.mark.parametrize("case", COLLECTION_CASES, ids=lambda c: f"{c.method} {c.path}")
def test_it_lets_only_clinicians_use_the_collections(case, owned, client_for, clinician, patient, staff_user):
    before = snapshot()
    for who, client, expected in [
        ("patient", client_for(patient), 403),
        ("staff", client_for(staff_user), 403),
        ("no token", APIClient(), 401),
    ]:
        response = send(client, case, owned)
        assert response.status_code == expected, (who, response.content)
    assert snapshot() == before

    assert send(client_for(clinician), case, owned).status_code == case.owner_status


@pytest.mark.parametrize("path", ["/api/v1/consultations/", "/api/v1/notes/", "/api/v1/prompts/"])
def test_it_lists_nothing_of_another_clinicians(path, owned, client_for, other_clinician):
    body = client_for(other_clinician).get(path).json()
    assert body["count"] == 0
    assert body["results"] == []


def test_it_refuses_a_note_on_another_clinicians_consultation_without_revealing_it(
    client_for, clinician, other_clinician
):
    theirs = consultation_for(other_clinician)
    client = client_for(clinician)
    refused = client.post("/api/v1/notes/", {"consultation": str(theirs.pk), "body": "sneaky"})
    missing = client.post("/api/v1/notes/", {"consultation": "999999999", "body": "sneaky"})
    assert refused.status_code == missing.status_code == 400
    assert refused.json()["errors"] == missing.json()["errors"] == {"consultation": ["Consultation not found."]}
    assert Note.objects.count() == 0


def test_it_refuses_moving_a_note_to_another_consultation(client_for, clinician, other_clinician):
    note = note_for(consultation_for(clinician))
    home = note.consultation_id
    theirs = consultation_for(other_clinician)
    mine_too = consultation_for(clinician)
    client = client_for(clinician)
    for target in (theirs, mine_too):
        response = client.put(f"/api/v1/notes/{note.pk}", {"consultation": str(target.pk), "body": "moved"})
        assert response.status_code == 400
        assert response.json()["errors"] == {"consultation": ["A note cannot move to another consultation."]}
    note.refresh_from_db()
    assert (note.consultation_id, note.body) == (home, "Follow up in two weeks.")
