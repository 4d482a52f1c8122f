"""Every /api/v1 answer about a consultation, transcript, note, prompt or user shows its
``legacy_id``: the Node.js ``_id`` for imported records, null for records made in Scribe."""

from __future__ import annotations

import pytest

from accounts.models import User
from consultations.models import Consultation, Note, Prompt
from consultations.tests.factories import consultation_for, note_for, prompt_for
from consultations.tests.legacy_support import run_import
from consultations.tests.legacy_support.node_dump import NODE_DUMP

pytestmark = pytest.mark.django_db


def _first(body):
    return body["results"] if isinstance(body, dict) and "results" in body else body


def test_it_shows_the_legacy_id_of_imported_records_in_every_answer(tmp_path, client_for):
    run_import("--dump", str(NODE_DUMP), "--allow-skips", tmp_path=tmp_path)
    note = Note.objects.filter(legacy_id__isnull=False).select_related("consultation__transcript").first()
    consultation = note.consultation
    clinician = consultation.clinician
    client = client_for(clinician)

    assert client.get(f"/api/v1/consultations/{consultation.pk}").json()["legacy_id"] == consultation.legacy_id
    listed = _first(client.get("/api/v1/consultations").json())
    assert all(c["legacy_id"] for c in listed)
    transcript = consultation.transcript
    assert client.get(f"/api/v1/transcripts/{transcript.pk}").json()["legacy_id"] == transcript.legacy_id
    assert client.get(f"/api/v1/notes/{note.pk}").json()["legacy_id"] == note.legacy_id
    assert {n["legacy_id"] for n in _first(client.get("/api/v1/notes").json())} >= {note.legacy_id}
    prompt = Prompt.objects.filter(owner=clinician).first() or Prompt.objects.filter(legacy_id__isnull=False).first()
    owner_client = client_for(prompt.owner)
    assert owner_client.get(f"/api/v1/prompts/{prompt.pk}").json()["legacy_id"] == prompt.legacy_id
    assert client.get("/api/v1/users/profile").json()["legacy_id"] == clinician.legacy_id


def test_it_shows_null_for_records_made_in_scribe(client_for, clinician):
    consultation = consultation_for(clinician)
    note = note_for(consultation)
    prompt = prompt_for(clinician)
    client = client_for(clinician)

    assert client.get(f"/api/v1/consultations/{consultation.pk}").json()["legacy_id"] is None
    assert client.get(f"/api/v1/transcripts/{consultation.transcript.pk}").json()["legacy_id"] is None
    assert client.get(f"/api/v1/notes/{note.pk}").json()["legacy_id"] is None
    assert client.get(f"/api/v1/prompts/{prompt.pk}").json()["legacy_id"] is None
    assert client.get("/api/v1/users/profile").json()["legacy_id"] is None


def test_it_does_not_let_a_client_set_a_legacy_id(client_for, clinician):
    consultation = consultation_for(clinician)
    note = note_for(consultation)

    response = client_for(clinician).patch(
        f"/api/v1/notes/{note.pk}", {"body": "x", "legacy_id": "a" * 24}, format="json"
    )

    assert response.status_code == 400  # unknown fields are refused by the strict inputs
    assert Note.objects.get(pk=note.pk).legacy_id is None
    assert not Consultation.objects.filter(legacy_id="a" * 24).exists()
    assert not User.objects.filter(legacy_id="a" * 24).exists()
