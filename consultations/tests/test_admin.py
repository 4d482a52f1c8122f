"""The staff admin: records listed by id, clinician, status and dates; clinical text only
on the read-only detail page."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from consultations.tests.factories import consultation_for, note_for, prompt_for

pytestmark = pytest.mark.django_db

PATIENT = "Zebedee Quartermaine"
SPOKEN = "I have had crushing chest pain since Tuesday"
NOTE = "Refer urgently to cardiology clinic"


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(role="patient", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def records(clinician):
    consultation = consultation_for(clinician, PATIENT, nhs_number="9434765919")
    from consultations.services import segment_append

    segment_append(transcript=consultation.transcript, seq=0, text=SPOKEN)
    note = note_for(consultation, NOTE)
    prompt = prompt_for(clinician, "Cardiology template")
    return consultation, note, prompt


@pytest.mark.parametrize("model", ["consultation", "transcript", "note", "prompt"])
def test_it_lists_records_without_clinical_text(admin_client, records, model):
    consultation, note, prompt = records
    response = admin_client.get(f"/admin/consultations/{model}/")
    assert response.status_code == 200
    page = response.content.decode()
    for secret in (PATIENT, SPOKEN, NOTE, "9434765919", "Summarise as SOAP."):
        assert secret not in page
    expected_id = {"consultation": consultation.pk, "transcript": consultation.transcript.pk,
                   "note": note.pk, "prompt": prompt.pk}[model]
    assert f"/admin/consultations/{model}/{expected_id}/change/" in page


def test_it_shows_clinical_text_read_only_on_the_detail_pages(admin_client, records):
    consultation, note, _prompt = records
    page = admin_client.get(f"/admin/consultations/consultation/{consultation.pk}/change/").content.decode()
    assert PATIENT in page
    assert 'name="patient_data"' not in page  # no editable input
    transcript_page = admin_client.get(
        f"/admin/consultations/transcript/{consultation.transcript.pk}/change/"
    ).content.decode()
    assert SPOKEN in transcript_page
    note_page = admin_client.get(f"/admin/consultations/note/{note.pk}/change/").content.decode()
    assert NOTE in note_page
    assert "<textarea" not in note_page


def test_it_refuses_changes_from_the_admin(admin_client, records):
    _consultation, note, _prompt = records
    response = admin_client.post(
        f"/admin/consultations/note/{note.pk}/change/", {"body": "tampered"}
    )
    assert response.status_code == 403
    note.refresh_from_db()
    assert note.body == NOTE
    assert admin_client.get("/admin/consultations/consultation/add/").status_code == 403


def test_it_searches_and_filters(admin_client, records, clinician, other_clinician):
    consultation, _note, _prompt = records
    theirs = consultation_for(other_clinician)
    by_id = admin_client.get(f"/admin/consultations/consultation/?q={consultation.pk}").content.decode()
    assert f"/consultation/{consultation.pk}/change/" in by_id
    assert f"/consultation/{theirs.pk}/change/" not in by_id
    by_email = admin_client.get(f"/admin/consultations/consultation/?q={other_clinician.email}").content.decode()
    assert f"/consultation/{theirs.pk}/change/" in by_email
    assert f"/consultation/{consultation.pk}/change/" not in by_email
    ended = admin_client.get("/admin/consultations/consultation/?status__exact=ended").content.decode()
    assert f"/consultation/{consultation.pk}/change/" not in ended


def test_it_keeps_clinicians_and_patients_out(client_for, clinician, records):
    client = Client()
    client.force_login(clinician)
    response = client.get("/admin/consultations/consultation/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
