"""Questionnaire responses, links, documents and uploads in the staff admin: listed without
clinical text, read-only, searchable by id."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from documents.models import DriveUpload
from documents.services import letter_save
from documents.tests.helpers import consultation_with_summary
from questionnaires.services import questionnaire_answer, questionnaire_link_create

pytestmark = pytest.mark.django_db
LETTER = "Dear Dr Smith, please see Leo about his crushing chest pain."


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(role="patient", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def records(clinician):
    consultation = consultation_with_summary(clinician, signed=True)
    response = questionnaire_answer(consultation=consultation, instrument="phq9", answers=[0] * 8 + [2])
    link, _token = questionnaire_link_create(consultation=consultation, instrument="gad7")
    document = letter_save(consultation=consultation, kind="referral_letter", text=LETTER)
    upload = DriveUpload.objects.create(document=document, drive_file_id="drive-1")
    return {
        "questionnaires/questionnaireresponse": response.pk,
        "questionnaires/questionnairelink": link.pk,
        "documents/document": document.pk,
        "documents/driveupload": upload.pk,
    }


def test_it_lists_and_shows_the_records_read_only(admin_client, records):
    for path, pk in records.items():
        listing = admin_client.get(f"/admin/{path}/")
        assert listing.status_code == 200, path
        assert LETTER not in listing.content.decode()
        assert "Leo Jones" not in listing.content.decode()
        assert f"/admin/{path}/{pk}/change/" in listing.content.decode()
        detail = admin_client.get(f"/admin/{path}/{pk}/change/")
        assert detail.status_code == 200, path
        assert 'name="_save"' not in detail.content.decode()
        assert admin_client.get(f"/admin/{path}/add/").status_code == 403
        assert admin_client.get(f"/admin/{path}/?q={pk}").status_code == 200
