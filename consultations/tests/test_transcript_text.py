"""PUT of a whole transcript_text (older clients) and how it meets segments."""

from __future__ import annotations

import pytest

from consultations.models import Segment, Transcript
from consultations.services import TRANSCRIPT_TEXT_MAX_CHARS
from consultations.tests.factories import consultation_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def transcript(clinician):
    return consultation_for(clinician).transcript


def test_it_answers_the_contract_shape(client_for, clinician, transcript):
    body = client_for(clinician).get(f"/api/v1/transcripts/{transcript.pk}").json()
    assert set(body) >= {
        "id",
        "consultation",
        "transcript_text",
        "segments_count",
        "summary",
        "prompt_used",
        "created_at",
        "updated_at",
    }
    assert body["id"] == str(transcript.pk)
    assert body["consultation"] == str(transcript.consultation_id)
    assert body["transcript_text"] == ""
    assert body["summary"] is None
    assert body["prompt_used"] is None


def test_it_replaces_the_text_and_keeps_the_segments(client_for, clinician, transcript):
    client = client_for(clinician)
    client.post(f"/api/v1/transcripts/{transcript.pk}/segments", {"seq": 0, "text": "dictated"})
    response = client.put(f"/api/v1/transcripts/{transcript.pk}", {"transcript_text": "Clinician: typed in full."})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["transcript_text"] == "Clinician: typed in full."
    assert body["text_source"] == "edited"
    assert body["segments_count"] == 1
    assert Segment.objects.filter(transcript=transcript).count() == 1
    assert client.get(f"/api/v1/transcripts/{transcript.pk}").json()["transcript_text"] == "Clinician: typed in full."


def test_it_refuses_new_segments_after_a_put(client_for, clinician, transcript):
    client = client_for(clinician)
    client.post(f"/api/v1/transcripts/{transcript.pk}/segments", {"seq": 0, "text": "dictated"})
    client.put(f"/api/v1/transcripts/{transcript.pk}", {"transcript_text": "typed"})

    response = client.post(f"/api/v1/transcripts/{transcript.pk}/segments", {"seq": 1, "text": "more"})
    assert response.status_code == 409
    assert response.json()["code"] == "transcript_closed"
    # The retry of a segment stored before the PUT stays idempotent.
    assert (
        client.post(f"/api/v1/transcripts/{transcript.pk}/segments", {"seq": 0, "text": "dictated"}).status_code == 200
    )
    assert Segment.objects.filter(transcript=transcript).count() == 1


def test_it_lets_the_text_be_put_again_while_active(client_for, clinician, transcript):
    client = client_for(clinician)
    client.put(f"/api/v1/transcripts/{transcript.pk}", {"transcript_text": "first"})
    response = client.put(f"/api/v1/transcripts/{transcript.pk}/", {"transcript_text": ""})
    assert response.status_code == 200
    assert response.json()["transcript_text"] == ""
    assert response.json()["text_source"] == "edited"


def test_it_refuses_a_put_after_the_consultation_ended(client_for, clinician, transcript):
    client = client_for(clinician)
    client.put(f"/api/v1/transcripts/{transcript.pk}", {"transcript_text": "kept"})
    client.post(f"/api/v1/consultations/{transcript.consultation_id}/end")
    response = client.put(f"/api/v1/transcripts/{transcript.pk}", {"transcript_text": "changed"})
    assert response.status_code == 409
    transcript.refresh_from_db()
    assert transcript.edited_text == "kept"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"transcript_text": None},
        {"transcript_text": 12},
        {"transcript_text": ["a"]},
        {"transcript_text": "x", "summary": "sneaky"},
        {"transcript_text": "x" * (TRANSCRIPT_TEXT_MAX_CHARS + 1)},
    ],
)
def test_it_rejects_a_bad_put_and_changes_nothing(client_for, clinician, transcript, payload):
    response = client_for(clinician).put(f"/api/v1/transcripts/{transcript.pk}", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert Transcript.objects.get(pk=transcript.pk).edited_text is None


def test_it_does_not_accept_patch(client_for, clinician, transcript):
    response = client_for(clinician).patch(f"/api/v1/transcripts/{transcript.pk}", {"transcript_text": "x"})
    assert response.status_code == 405


def test_it_documents_how_put_and_segments_meet_in_the_openapi_schema(api_client):
    schema = api_client.get("/openapi.json").json()
    put = schema["paths"]["/api/v1/transcripts/{id}/"]["put"]
    append = schema["paths"]["/api/v1/transcripts/{id}/segments/"]["post"]

    for operation in (put, append):
        assert "409" in operation["responses"]
        rules = operation["description"]
        assert "`text_source`" in rules
        assert "takes no new segments: `POST {id}/segments`" in rules
        assert "Once the consultation has ended, both `PUT` and new segments answer `409`." in rules
    assert {"200", "201"} <= set(append["responses"])
    assert schema["components"]["schemas"]["TextSourceEnum"]["enum"] == ["segments", "edited"]
