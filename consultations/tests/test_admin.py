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
    expected_id = {
        "consultation": consultation.pk,
        "transcript": consultation.transcript.pk,
        "note": note.pk,
        "prompt": prompt.pk,
    }[model]
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
    response = admin_client.post(f"/admin/consultations/note/{note.pk}/change/", {"body": "tampered"})
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


# --- read-only for everyone, superusers included (issue 12) ------------------------------


@pytest.fixture
def every_record(records):
    """One of each clinical model: (model name, object)."""
    from consultations.models import Segment, Summary
    from consultations.services import transcript_summary_add

    consultation, note, prompt = records
    transcript = consultation.transcript
    summary = transcript_summary_add(
        transcript=transcript, content={"subjective": []}, text="Chest pain, refer.", model="gpt-test", prompt=None
    )
    assert isinstance(summary, Summary)
    segment = Segment.objects.get(transcript=transcript, seq=0)
    return [
        ("consultation", consultation),
        ("transcript", transcript),
        ("segment", segment),
        ("summary", summary),
        ("note", note),
        ("prompt", prompt),
    ]


def test_it_refuses_add_change_and_delete_of_every_clinical_record_to_a_superuser(admin_client, every_record):
    for model, obj in every_record:
        base = f"/admin/consultations/{model}/"
        assert admin_client.get(base).status_code == 200, model
        view = admin_client.get(f"{base}{obj.pk}/change/")
        assert view.status_code == 200, model
        page = view.content.decode()
        assert 'name="_save"' not in page, model
        assert "deletelink" not in page, model
        assert admin_client.get(f"{base}add/").status_code == 403, model
        assert admin_client.get(f"{base}{obj.pk}/delete/").status_code == 403, model
        assert admin_client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403, model
        bulk = admin_client.post(base, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
        assert bulk.status_code in (200, 302), model
        assert type(obj).objects.filter(pk=obj.pk).exists(), f"{model} was deleted"


def test_it_names_clinicians_by_name_and_email(admin_client, records, clinician):
    page = admin_client.get("/admin/consultations/consultation/").content.decode()
    assert f"{clinician.username} &lt;{clinician.email}&gt;" in page
    assert f"User {clinician.pk}" not in page


def test_it_shows_patient_data_as_readable_fields_and_links_the_records(admin_client, every_record):
    consultation = every_record[0][1]
    summary = every_record[3][1]
    note = every_record[4][1]
    page = admin_client.get(f"/admin/consultations/consultation/{consultation.pk}/change/").content.decode()
    assert "<dt>Name</dt><dd>Zebedee Quartermaine</dd>" in page
    assert "<dt>Nhs number</dt><dd>9434765919</dd>" in page
    assert '{"name"' not in page
    assert "&quot;name&quot;" not in page
    assert f'href="/admin/consultations/transcript/{consultation.transcript.pk}/change/"' in page
    assert f'href="/admin/consultations/note/{note.pk}/change/"' in page
    assert f'href="/admin/consultations/summary/{summary.pk}/change/"' in page
    assert f"Version {summary.version} (gpt-test" in page


@pytest.mark.parametrize("term", ["quartermaine", "Zebedee Quartermaine", "9434765919", "943 476 5919"])
def test_it_finds_a_consultation_by_patient_name_or_nhs_number(admin_client, records, other_clinician, term):
    consultation, _note, _prompt = records
    theirs = consultation_for(other_clinician, "Ada Lovelace", nhs_number="4010232137")
    page = admin_client.get("/admin/consultations/consultation/", {"q": term}).content.decode()
    assert f"/consultation/{consultation.pk}/change/" in page
    assert f"/consultation/{theirs.pk}/change/" not in page


def test_it_records_every_view_of_a_clinical_record_in_the_security_log(admin_client, every_record, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="scribe.security")
    for model, obj in every_record:
        admin_client.get(f"/admin/consultations/{model}/{obj.pk}/change/")
    viewed = [r for r in caplog.records if r.getMessage() == "admin_record_viewed"]
    assert [(r.model, r.object_id) for r in viewed] == [
        (f"consultations.{model}", str(obj.pk)) for model, obj in every_record
    ]
    staff_id = str(admin_client.session["_auth_user_id"])
    assert {r.user_id for r in viewed} == {staff_id}
    text = caplog.text + "".join(str(r.__dict__) for r in viewed)
    assert PATIENT not in text
    assert SPOKEN not in text
    assert NOTE not in text
