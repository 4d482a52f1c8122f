"""Concurrent clients against a real threaded server (``live_server``): the unique rows and
conditional updates decide, on whatever database the suite runs on."""

from __future__ import annotations

import httpx
import pytest

from accounts.tokens import token_pair_for
from consultations.models import Summary
from consultations.tests.factories import consultation_for
from documents.models import Document, DriveUpload
from documents.tests.helpers import consultation_with_summary, pdf_text
from documents.tests.races import race
from questionnaires.models import QuestionnaireResponse
from questionnaires.services import questionnaire_link_create

CLIENTS = 6
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_one_of_many_concurrent_signatures_wins(live_server, clinician):
    consultation = consultation_with_summary(clinician)
    url = f"{live_server.url}/api/v1/transcripts/{consultation.transcript.pk}/summaries/1/sign"

    statuses = race(CLIENTS, lambda client: client.post(url, json={}), token=token_pair_for(clinician)["access_token"])

    assert statuses == [200] + [409] * (CLIENTS - 1)
    assert Summary.objects.filter(signed_at__isnull=False).count() == 1


def test_concurrent_signatures_with_edits_store_one_signed_version(live_server, clinician):
    consultation = consultation_with_summary(clinician)
    url = f"{live_server.url}/api/v1/transcripts/{consultation.transcript.pk}/summaries/1/sign"

    statuses = race(
        CLIENTS,
        lambda client: client.post(url, json={"edits": {"plan": "Edited plan"}}),
        token=token_pair_for(clinician)["access_token"],
    )

    # One signer's edits take version 2 and are signed; the others' edits were made on
    # what is no longer the newest version and leave nothing behind.
    assert statuses == [200] + [409] * (CLIENTS - 1)
    versions = Summary.objects.filter(transcript=consultation.transcript).order_by("version")
    assert [(s.version, s.signed_at is not None) for s in versions] == [(1, False), (2, True)]


def test_a_link_takes_one_of_many_concurrent_submissions(live_server, clinician):
    _link, token = questionnaire_link_create(consultation=consultation_for(clinician), instrument="gad7")
    url = f"{live_server.url}/api/v1/questionnaire-links/{token}"

    statuses = race(CLIENTS, lambda client: client.post(url, json={"answers": [1] * 7}))

    assert statuses == [201] + [410] * (CLIENTS - 1)
    assert QuestionnaireResponse.objects.count() == 1


def test_concurrent_uploads_of_one_document_make_one_drive_file(live_server, clinician, drive_stub):
    consultation = consultation_with_summary(clinician, signed=True)
    url = f"{live_server.url}/api/v1/consultations/{consultation.pk}/documents/note/upload"

    statuses = race(CLIENTS, lambda client: client.post(url), token=token_pair_for(clinician)["access_token"])

    assert statuses.count(201) == 1
    assert set(statuses) <= {200, 201, 409}
    assert len(drive_stub.files) == 1
    assert len(drive_stub.upload_starts()) == 1
    assert DriveUpload.objects.get().drive_file_id in drive_stub.files


def test_concurrent_renders_give_the_same_document(live_server, clinician):
    """Gunicorn runs threads: renders in parallel share reportlab's registered fonts."""
    consultation = consultation_with_summary(clinician, signed=True)
    url = f"{live_server.url}/api/v1/consultations/{consultation.pk}/documents/note.pdf"
    token = token_pair_for(clinician)["access_token"]

    statuses = race(CLIENTS, lambda client: client.get(url), token=token)

    assert statuses == [200] * CLIENTS
    first = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    assert "Viral upper respiratory tract infection." in pdf_text(first.content)
    assert Document.objects.count() == 1
