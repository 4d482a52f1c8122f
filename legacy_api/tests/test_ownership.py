"""The ownership table, extended to every Node.js route.

The owner's request works; another clinician gets 404 with the same answer as for a
missing object; a patient gets 403; no token gets 401 with Node's sentence. No refused
request changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from consultations.tests.factories import consultation_for, owned_records, prompt_for, records_snapshot

pytestmark = pytest.mark.django_db

NO_TOKEN = "Please login, no token provided"


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with the owner's ids: {consultation}, {transcript}, {note}, {prompt}
    body: dict[str, Any] | None
    owner_status: int


OBJECT_CASES = [
    Case("get", "/api/consultation/{consultation}", None, 200),
    Case("post", "/api/consultation/{consultation}/end", {}, 200),
    Case("get", "/api/transcript/{consultation}", None, 200),
    Case("post", "/api/transcript/update-text", {"transcript_id": "{transcript}", "transcript_text": "typed"}, 200),
    Case("post", "/api/notes/{consultation}", {"body": "a note"}, 201),
    Case("get", "/api/notes/{consultation}", None, 200),
    Case("patch", "/api/notes/{note}", {"body": "changed"}, 200),
    Case("delete", "/api/notes/{note}", None, 200),
    Case("patch", "/api/prompts/{prompt}", {"prompt_text": "t2"}, 200),
    Case("delete", "/api/prompts/{prompt}", None, 200),
    Case("patch", "/api/prompts/{prompt}/add-prompt/{transcript}", None, 200),
    # The owner's transcript is empty: 400 "nothing to summarise" proves the lookup passed.
    Case("post", "/api/ai/{consultation}/summarise", {}, 400),
]

CLINICIAN_COLLECTION_CASES = [
    Case("get", "/api/consultation", None, 200),
    Case("post", "/api/consultation/start", {"patient_data": {"name": "Ann"}}, 200),
    Case("get", "/api/prompts", None, 200),
    Case("post", "/api/prompts", {"prompt_name": "n", "prompt_text": "t"}, 201),
]


snapshot = records_snapshot


@pytest.fixture
def owned(clinician) -> dict[str, str]:
    return owned_records(clinician)


def send(client: APIClient, case: Case, ids: dict[str, str]):
    body = (
        {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in case.body.items()}
        if case.body is not None
        else None
    )
    return getattr(client, case.method)(case.path.format(**ids), body, format="json")


@pytest.mark.parametrize("case", OBJECT_CASES, ids=lambda c: f"{c.method} {c.path}")
def test_it_lets_only_the_owner_use_an_object(case, owned, client_for, clinician, other_clinician, patient):
    before = snapshot()
    for who, client, expected in [
        ("another clinician", client_for(other_clinician), 404),
        ("patient", client_for(patient), 403),
        ("no token", APIClient(), 401),
    ]:
        response = send(client, case, owned)
        assert response.status_code == expected, (who, response.status_code, response.content)
        body = response.json()
        assert set(body) >= {"detail", "code", "request_id", "msg"}, body
        if expected == 401:
            assert body["msg"] == NO_TOKEN
    assert snapshot() == before, "a refused request changed something"

    response = send(client_for(clinician), case, owned)
    assert response.status_code == case.owner_status, response.content


@pytest.mark.parametrize("case", OBJECT_CASES, ids=lambda c: f"{c.method} {c.path}")
def test_it_answers_another_clinician_exactly_as_for_a_missing_object(case, owned, client_for, other_clinician):
    client = client_for(other_clinician)
    theirs = send(client, case, owned).json()
    missing = send(client, case, dict.fromkeys(owned, "999999999")).json()
    missing_legacy = send(client, case, dict.fromkeys(owned, "0123456789abcdef01234567")).json()
    malformed = send(client, case, dict.fromkeys(owned, "not-an-id")).json()
    for body in (theirs, missing, missing_legacy, malformed):
        body.pop("request_id")
    assert theirs == missing == missing_legacy == malformed


@pytest.mark.parametrize("case", CLINICIAN_COLLECTION_CASES, ids=lambda c: f"{c.method} {c.path}")
def test_it_lets_only_clinicians_use_the_collections(case, owned, client_for, clinician, patient):
    before = snapshot()
    assert send(client_for(patient), case, owned).status_code == 403
    anonymous = send(APIClient(), case, owned)
    assert anonymous.status_code == 401
    assert anonymous.json()["msg"] == NO_TOKEN
    assert snapshot() == before
    assert send(client_for(clinician), case, owned).status_code == case.owner_status


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/ai/search?query=asthma"),
        ("get", "/api/ai/search/clinicalcodes?name=asthma"),
        ("post", "/api/ai/analyze"),
        ("get", "/users/profile"),
        ("post", "/users/logout"),
    ],
)
def test_it_asks_for_a_token_on_every_bearer_route(method, path):
    response = getattr(APIClient(), method)(path, {}, format="json")
    assert response.status_code == 401
    assert response.json()["msg"] == NO_TOKEN


def test_it_lists_nothing_of_another_clinicians(owned, client_for, other_clinician):
    client = client_for(other_clinician)
    assert client.get("/api/consultation").json() == {"consultations": []}
    assert client.get("/api/prompts").json() == {"prompts": []}


def test_it_does_not_let_another_clinician_change_a_shareable_prompt(client_for, clinician, other_clinician):
    shared = prompt_for(clinician, is_shareable=True)
    client = client_for(other_clinician)
    assert [p["_id"] for p in client.get("/api/prompts").json()["prompts"]] == [str(shared.pk)]
    for response in (
        client.patch(f"/api/prompts/{shared.pk}", {"prompt_text": "mine now"}, format="json"),
        client.delete(f"/api/prompts/{shared.pk}"),
    ):
        assert response.status_code == 404
        assert response.json()["msg"] == "Prompt not found or not accessible"
    shared.refresh_from_db()
    assert (shared.text, shared.is_deleted) != ("mine now", True)


def test_it_links_a_shareable_prompt_only_to_the_callers_transcript(client_for, clinician, other_clinician):
    shared = prompt_for(other_clinician, is_shareable=True)
    mine = consultation_for(clinician).transcript
    theirs = consultation_for(other_clinician).transcript
    client = client_for(clinician)
    refused = client.patch(f"/api/prompts/{shared.pk}/add-prompt/{theirs.pk}")
    assert refused.status_code == 404
    assert refused.json()["msg"] == "Transcript not found"
    linked = client.patch(f"/api/prompts/{shared.pk}/add-prompt/{mine.pk}")
    assert linked.status_code == 200
    theirs.refresh_from_db()
    assert theirs.prompt_used_id is None
