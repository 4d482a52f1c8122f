"""POST /api/consultation/:id/end: summary, verified highlights, the consultation ended;
a model failure still ends it with "Summary not generated" and stores nothing."""

from __future__ import annotations

import json

import pytest

from ai.models import AiUsage
from consultations.models import Summary
from consultations.services import consultation_start, segment_append

pytestmark = pytest.mark.django_db

LINES = [
    ("patient", "I have had a cough for a week."),
    ("patient", "Last night I had a fever."),
    ("clinician", "Your chest sounds clear."),
]


@pytest.fixture
def consultation(clinician):
    consultation = consultation_start(clinician=clinician, patient_data={"name": "Alice Example"})
    for seq, (speaker, text) in enumerate(LINES, start=1):
        segment_append(transcript=consultation.transcript, seq=seq, text=text, speaker=speaker)
    return consultation


def highlights_reply(*items):
    return json.dumps({"highlights": [{"term": t, "possible_snomed": c, "evidence": e} for t, c, e in items]})


def test_it_marks_the_code_the_server_confirms_verified_and_the_other_not(
    consultation, client_for, clinician, openai_stub, nhs_stub
):
    openai_stub.chat_replies = [highlights_reply(("Cough", "49727002", [1, 99]), ("fever", "22298006", [2]))]
    response = client_for(clinician).post(f"/api/consultation/{consultation.pk}/end", {}, format="json")
    assert response.status_code == 200, response.content
    highlights = response.json()["highlights"]
    assert highlights[0] == {
        "term": "Cough",
        "possible_snomed": "49727002",
        "display": "Cough",
        "verified": True,
        "verification": "confirmed",
        "evidence": [1],  # 99 is no segment of this transcript
    }
    # 22298006 is myocardial infarction: the server does not list it for "fever".
    assert highlights[1]["verified"] is False
    assert highlights[1]["verification"] == "not_found"
    assert highlights[1]["display"] is None
    stored = Summary.objects.get(transcript=consultation.transcript)
    assert stored.highlights == highlights
    assert [r.path for r in nhs_stub.expand_requests()]  # the terminology server was asked
    # Both faces show them on the transcript.
    client = client_for(clinician)
    assert client.get(f"/api/transcript/{consultation.pk}").json()["highlights"] == highlights
    assert client.get(f"/api/v1/transcripts/{consultation.transcript.pk}").json()["highlights"] == highlights


def test_it_keeps_codes_unverified_when_the_terminology_server_is_down(
    consultation, client_for, clinician, openai_stub, nhs_stub
):
    nhs_stub.fail_status = 500
    response = client_for(clinician).post(f"/api/consultation/{consultation.pk}/end", {}, format="json")
    assert response.status_code == 200
    assert response.json()["summary"].startswith("Subjective:")
    assert {(h["verified"], h["verification"]) for h in response.json()["highlights"]} == {(False, "unavailable")}
    assert len(nhs_stub.requests) == 1  # one failure is enough: not one wait per term


@pytest.mark.parametrize("fault", ["fail_status", "garbage"])
def test_it_ends_the_consultation_without_a_summary_when_the_model_fails(
    fault, consultation, client_for, clinician, openai_stub, nhs_stub
):
    setattr(openai_stub, fault, 500 if fault == "fail_status" else True)
    response = client_for(clinician).post(f"/api/consultation/{consultation.pk}/end", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["msg"] == "Consultation ended successfully"
    assert response.json()["summary"] == "Summary not generated"
    assert response.json()["highlights"] == []
    consultation.refresh_from_db()
    assert consultation.status == "ended"
    assert not Summary.objects.exists()
    assert not AiUsage.objects.exists()  # the quota slot was given back


def test_it_stores_nothing_when_the_summary_fails_after_the_highlights(
    consultation, client_for, clinician, openai_stub, nhs_stub
):
    openai_stub.chat_replies = [highlights_reply(("Cough", "49727002", [1])), "not json {"]
    response = client_for(clinician).post(f"/api/consultation/{consultation.pk}/end", {}, format="json")
    assert response.json()["summary"] == "Summary not generated"
    assert not Summary.objects.exists()


def test_it_ends_without_the_model_when_ai_is_not_configured(consultation, client_for, clinician, settings):
    settings.OPENAI_API_KEY = ""
    response = client_for(clinician).post(f"/api/consultation/{consultation.pk}/end", {}, format="json")
    assert response.status_code == 200
    assert response.json()["summary"] == "Summary not generated"


def test_it_refuses_to_end_twice_before_asking_the_model(consultation, client_for, clinician, openai_stub, nhs_stub):
    client = client_for(clinician)
    assert client.post(f"/api/consultation/{consultation.pk}/end", {}, format="json").status_code == 200
    calls = len(openai_stub.chat_requests())
    again = client.post(f"/api/consultation/{consultation.pk}/end", {}, format="json")
    assert again.status_code == 409
    assert "msg" in again.json()
    assert len(openai_stub.chat_requests()) == calls
    assert Summary.objects.count() == 1


def test_it_answers_an_unknown_consultation_with_nodes_sentence(client_for, clinician):
    response = client_for(clinician).post("/api/consultation/999999/end", {}, format="json")
    assert response.status_code == 404
    assert response.json()["msg"] == "Consultation not found"
