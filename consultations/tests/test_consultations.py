from __future__ import annotations

import pytest

from consultations.models import Consultation, Transcript
from consultations.tests.factories import consultation_for

pytestmark = pytest.mark.django_db


def test_it_starts_a_consultation_with_its_transcript(client_for, clinician):
    response = client_for(clinician).post(
        "/api/v1/consultations/start", {"patient_data": {"name": "Leo Jones", "age": 38, "nhs_number": "6281948219"}}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "active"
    assert body["ended_at"] is None
    assert body["patient_data"] == {"name": "Leo Jones", "age": 38, "nhs_number": "6281948219"}
    transcript = Transcript.objects.get(pk=int(body["transcript"]))
    assert str(transcript.consultation_id) == body["id"]
    assert transcript.clinician == clinician
    assert body["notes"] == []
    assert body["summary"] is None


def test_it_accepts_start_with_a_trailing_slash(client_for, clinician):
    response = client_for(clinician).post("/api/v1/consultations/start/", {"patient_data": {"name": "A"}})
    assert response.status_code == 201


def test_it_keeps_extra_patient_fields(client_for, clinician):
    response = client_for(clinician).post(
        "/api/v1/consultations/start", {"patient_data": {"name": "Ann", "gp_practice": "Elm Surgery"}}
    )
    assert response.json()["patient_data"]["gp_practice"] == "Elm Surgery"


def test_it_hides_a_consultation_whose_transcript_was_never_made(client_for, clinician):
    # What a crash between the two inserts leaves behind on MongoDB (no transactions).
    orphan = Consultation.objects.create(clinician=clinician, patient_data={"name": "X"}, patient_name="x")
    client = client_for(clinician)
    assert client.get(f"/api/v1/consultations/{orphan.pk}").status_code == 404
    assert client.get("/api/v1/consultations/").json()["count"] == 0
    assert client.post(f"/api/v1/consultations/{orphan.pk}/end").status_code == 404


def test_it_retrieves_a_consultation_with_transcript_notes_and_summaries(client_for, clinician):
    consultation = consultation_for(clinician)
    client = client_for(clinician)
    note = client.post("/api/v1/notes/", {"consultation": str(consultation.pk), "body": "BP fine"}).json()
    body = client.get(f"/api/v1/consultations/{consultation.pk}").json()
    assert set(body) >= {"id", "patient_data", "status", "started_at", "ended_at", "transcript", "notes", "summary"}
    assert body["transcript"] == str(consultation.transcript.pk)
    assert body["notes"] == [note["id"]]


def test_it_ends_a_consultation_once(client_for, clinician):
    consultation = consultation_for(clinician)
    client = client_for(clinician)
    response = client.post(f"/api/v1/consultations/{consultation.pk}/end", {"summary": "Reassured; review in 2 weeks."})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ended"
    assert response.json()["ended_at"] is not None
    assert response.json()["summary"] == "Reassured; review in 2 weeks."

    again = client.post(f"/api/v1/consultations/{consultation.pk}/end")
    assert again.status_code == 409
    assert again.json()["code"] == "consultation_ended"
    consultation.refresh_from_db()
    assert consultation.summary == "Reassured; review in 2 weeks."


def test_it_ends_a_consultation_without_a_body(client_for, clinician):
    consultation = consultation_for(clinician)
    response = client_for(clinician).post(f"/api/v1/consultations/{consultation.pk}/end")
    assert response.status_code == 200
    assert response.json()["summary"] is None
