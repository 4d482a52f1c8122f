"""GET /api/v1/transcripts/{id}/segments: the segments back, with speaker and times, in seq order."""

from __future__ import annotations

import pytest

from consultations.services import segment_append
from consultations.tests.factories import consultation_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def transcript(clinician):
    transcript = consultation_for(clinician).transcript
    for seq, speaker, text, start, end in [
        (2, "clinician", "Any fever?", 4000, 5000),
        (0, "clinician", "What brings you in?", 0, 1500),
        (1, "patient", "A cough since Monday.", 1500, 4000),
    ]:
        segment_append(transcript=transcript, seq=seq, text=text, speaker=speaker, start_ms=start, end_ms=end)
    return transcript


def url(transcript) -> str:
    return f"/api/v1/transcripts/{transcript.pk}/segments"


def test_it_lists_segments_in_seq_order_with_speaker_and_times(client_for, clinician, transcript):
    response = client_for(clinician).get(url(transcript))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3
    assert [(s["seq"], s["speaker"], s["text"], s["start_ms"], s["end_ms"]) for s in body["results"]] == [
        (0, "clinician", "What brings you in?", 0, 1500),
        (1, "patient", "A cough since Monday.", 1500, 4000),
        (2, "clinician", "Any fever?", 4000, 5000),
    ]
    assert {s["transcript"] for s in body["results"]} == {str(transcript.pk)}


def test_it_paginates(client_for, clinician, transcript):
    client = client_for(clinician)
    first = client.get(url(transcript), {"page_size": 2}).json()
    assert [s["seq"] for s in first["results"]] == [0, 1]
    assert first["next"]
    second = client.get(url(transcript), {"page_size": 2, "page": 2}).json()
    assert [s["seq"] for s in second["results"]] == [2]


def test_it_answers_404_to_another_clinician_as_for_a_missing_transcript(client_for, other_clinician, transcript):
    client = client_for(other_clinician)
    theirs = client.get(url(transcript))
    missing = client.get("/api/v1/transcripts/999999999/segments")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"] == missing.json()["detail"]
    assert transcript.segments.first().text not in theirs.content.decode()


def test_it_answers_403_to_a_patient(client_for, patient, transcript):
    response = client_for(patient).get(url(transcript))
    assert response.status_code == 403
    assert response.json()["code"]


def test_it_answers_401_without_a_token(api_client, transcript):
    assert api_client.get(url(transcript)).status_code == 401
