from __future__ import annotations

import pytest

from consultations.models import Note
from consultations.tests.factories import consultation_for, note_for

pytestmark = pytest.mark.django_db


def test_it_creates_a_note_on_the_consultation_and_its_transcript(client_for, clinician):
    consultation = consultation_for(clinician)
    response = client_for(clinician).post("/api/v1/notes/", {"consultation": str(consultation.pk), "body": "BP 122/81"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "consultation", "transcript", "body", "created_at", "updated_at", "legacy_id"}
    assert body["legacy_id"] is None  # made in Scribe
    assert body["consultation"] == str(consultation.pk)
    assert body["transcript"] == str(consultation.transcript.pk)
    assert Note.objects.get(pk=body["id"]).clinician == clinician


def test_it_accepts_a_note_on_an_ended_consultation(client_for, clinician):
    consultation = consultation_for(clinician)
    client = client_for(clinician)
    client.post(f"/api/v1/consultations/{consultation.pk}/end")
    response = client.post("/api/v1/notes/", {"consultation": str(consultation.pk), "body": "Results normal."})
    assert response.status_code == 201


def test_it_lists_notes_newest_first_and_filters_by_consultation(client_for, clinician):
    first, second = consultation_for(clinician), consultation_for(clinician)
    a = note_for(first, "a")
    b = note_for(second, "b")
    c = note_for(first, "c")
    client = client_for(clinician)
    assert [n["id"] for n in client.get("/api/v1/notes/").json()["results"]] == [str(c.pk), str(b.pk), str(a.pk)]
    filtered = client.get(f"/api/v1/notes/?consultation={first.pk}").json()
    assert [n["id"] for n in filtered["results"]] == [str(c.pk), str(a.pk)]
    assert client.get("/api/v1/notes/?consultation=nonsense").json()["count"] == 0


def test_it_updates_a_notes_body_with_put_and_patch(client_for, clinician):
    note = note_for(consultation_for(clinician))
    client = client_for(clinician)
    put = client.put(f"/api/v1/notes/{note.pk}", {"consultation": str(note.consultation_id), "body": "put"})
    assert put.status_code == 200, put.json()
    assert put.json()["body"] == "put"
    patch = client.patch(f"/api/v1/notes/{note.pk}/", {"body": "patched"})
    assert patch.json()["body"] == "patched"
    note.refresh_from_db()
    assert note.body == "patched"
    assert note.updated_at > note.created_at


def test_it_deletes_a_note(client_for, clinician):
    note = note_for(consultation_for(clinician))
    client = client_for(clinician)
    assert client.delete(f"/api/v1/notes/{note.pk}").status_code == 204
    assert client.get(f"/api/v1/notes/{note.pk}").status_code == 404
    assert not Note.objects.filter(pk=note.pk).exists()


def test_it_shows_the_notes_on_the_consultation(client_for, clinician):
    consultation = consultation_for(clinician)
    note = note_for(consultation)
    body = client_for(clinician).get(f"/api/v1/consultations/{consultation.pk}").json()
    assert body["notes"] == [str(note.pk)]


def test_it_lists_a_page_of_50_notes_in_a_fixed_number_of_queries(client_for, clinician, django_assert_max_num_queries):
    for _ in range(25):
        consultation = consultation_for(clinician)
        note_for(consultation)
        note_for(consultation)
    client = client_for(clinician)
    # Authentication + count + page.
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/notes/?page_size=50")
    assert len(response.json()["results"]) == 50
