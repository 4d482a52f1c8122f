"""Signing a summary version: POST /api/v1/transcripts/{id}/summaries/{version}/sign."""

from __future__ import annotations

import pytest

from consultations.models import Summary
from consultations.services import transcript_summary_add
from consultations.tests.factories import consultation_for

DRAFT = {"subjective": "Cough for 3 days", "objective": "Clear chest", "assessment": "Viral URTI", "plan": "Fluids"}


def _url(transcript, version: int) -> str:
    return f"/api/v1/transcripts/{transcript.pk}/summaries/{version}/sign"


def _draft(transcript, content=DRAFT) -> Summary:
    return transcript_summary_add(transcript=transcript, content=dict(content), text="t", model="gpt-x", prompt=None)


@pytest.mark.django_db
def test_it_signs_the_newest_version_as_it_is(client_for, clinician):
    transcript = consultation_for(clinician).transcript
    _draft(transcript)

    response = client_for(clinician).post(_url(transcript, 1), {}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["version"] == 1
    assert body["signed_by"] == str(clinician.pk)
    assert body["signed_at"]
    assert body["draft_version"] == 1
    assert body["sign_diff"] == {}
    stored = Summary.objects.get(transcript=transcript, version=1)
    assert stored.signed_by_id == clinician.pk
    assert stored.signed_at is not None


@pytest.mark.django_db
def test_it_stores_edits_as_a_new_version_and_keeps_the_diff_from_the_ai_draft(client_for, clinician):
    transcript = consultation_for(clinician).transcript
    _draft(transcript)

    response = client_for(clinician).post(
        _url(transcript, 1), {"edits": {"plan": "Fluids\nSafety-net advice given"}}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["version"] == 2
    assert body["content"]["plan"] == "Fluids\nSafety-net advice given"
    assert body["content"]["subjective"] == DRAFT["subjective"]
    assert body["draft_version"] == 1
    assert set(body["sign_diff"]) == {"plan"}
    assert "+Safety-net advice given" in body["sign_diff"]["plan"]
    draft = Summary.objects.get(transcript=transcript, version=1)
    assert draft.signed_at is None
    assert draft.content == DRAFT


@pytest.mark.django_db
def test_it_refuses_to_sign_twice(client_for, clinician):
    transcript = consultation_for(clinician).transcript
    _draft(transcript)
    client = client_for(clinician)
    assert client.post(_url(transcript, 1), {}, format="json").status_code == 200

    again = client.post(_url(transcript, 1), {"edits": {"plan": "changed"}}, format="json")

    assert again.status_code == 409
    assert again.json()["code"] == "summary_signed"
    assert Summary.objects.filter(transcript=transcript).count() == 1
    assert Summary.objects.get(transcript=transcript).content == DRAFT


@pytest.mark.django_db
def test_it_refuses_a_version_that_is_not_the_newest(client_for, clinician):
    transcript = consultation_for(clinician).transcript
    _draft(transcript)
    _draft(transcript, {**DRAFT, "plan": "Rest"})

    response = client_for(clinician).post(_url(transcript, 1), {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "summary_not_newest"
    assert not Summary.objects.filter(signed_at__isnull=False).exists()


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_version(client_for, clinician):
    transcript = consultation_for(clinician).transcript
    assert client_for(clinician).post(_url(transcript, 7), {}, format="json").status_code == 404


@pytest.mark.django_db
def test_it_names_a_bad_edit(client_for, clinician):
    transcript = consultation_for(clinician).transcript
    _draft(transcript)

    response = client_for(clinician).post(_url(transcript, 1), {"edits": {"plan": 3, "diagnosis": "x"}}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"edits.plan", "edits.diagnosis"}
    assert Summary.objects.filter(transcript=transcript).count() == 1


@pytest.mark.django_db
def test_it_hides_another_clinicians_transcript_and_refuses_patients(client_for, clinician, other_clinician, patient):
    transcript = consultation_for(clinician).transcript
    _draft(transcript)

    assert client_for(other_clinician).post(_url(transcript, 1), {}, format="json").status_code == 404
    assert client_for(patient).post(_url(transcript, 1), {}, format="json").status_code == 403
    assert not Summary.objects.filter(signed_at__isnull=False).exists()


@pytest.mark.django_db
def test_the_transcript_and_consultation_show_whether_the_current_summary_is_signed(client_for, clinician):
    transcript = consultation_for(clinician).transcript
    _draft(transcript)
    client = client_for(clinician)
    assert client.get(f"/api/v1/transcripts/{transcript.pk}").json()["current_summary"]["signed_at"] is None

    client.post(_url(transcript, 1), {"edits": {"plan": "Rest"}}, format="json")

    current = client.get(f"/api/v1/consultations/{transcript.consultation_id}").json()["current_summary"]
    assert current["version"] == 2
    assert current["signed_by"] == str(clinician.pk)
    assert current["draft_version"] == 1
    assert "+Rest" in current["sign_diff"]["plan"]


HIGHLIGHTS = [
    {
        "term": "Cough",
        "possible_snomed": "49727002",
        "display": "Cough",
        "verified": True,
        "verification": "confirmed",
        "evidence": [1],
    },
    {
        "term": "fever",
        "possible_snomed": "",
        "display": None,
        "verified": False,
        "verification": "no_code",
        "evidence": [2],
    },
]


@pytest.mark.django_db
def test_signing_with_edits_carries_the_drafts_highlights_into_the_new_version(client_for, clinician):
    transcript = consultation_for(clinician).transcript
    transcript_summary_add(
        transcript=transcript, content=dict(DRAFT), text="t", model="gpt-x", prompt=None, highlights=HIGHLIGHTS
    )
    client = client_for(clinician)

    response = client.post(_url(transcript, 1), {"edits": {"plan": "Fluids and rest"}}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    assert response.json()["highlights"] == HIGHLIGHTS
    assert Summary.objects.get(transcript=transcript, version=2).highlights == HIGHLIGHTS
    assert Summary.objects.get(transcript=transcript, version=1).highlights == HIGHLIGHTS
    # The transcript's current summary (the signed version) still shows them, on both faces.
    assert client.get(f"/api/v1/transcripts/{transcript.pk}").json()["highlights"] == HIGHLIGHTS
    assert client.get(f"/api/transcript/{transcript.consultation.pk}").json()["highlights"] == HIGHLIGHTS
