"""POST .../documents/{kind}/upload through the real Google client against the local Drive stub."""

from __future__ import annotations

import pytest

from documents.models import Document, DriveUpload
from documents.tests.helpers import consultation_with_summary, pdf_text


def _upload(client, consultation, kind="note"):
    return client.post(f"/api/v1/consultations/{consultation.pk}/documents/{kind}/upload")


@pytest.mark.django_db
def test_it_uploads_the_note_resumably_with_the_right_metadata(client_for, clinician, drive_stub):
    consultation = consultation_with_summary(clinician, signed=True)

    response = _upload(client_for(clinician), consultation)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] is True
    assert body["is_draft"] is False
    assert list(drive_stub.files) == [body["drive_file_id"]]
    drive_file = drive_stub.files[body["drive_file_id"]]
    assert drive_file.metadata["parents"] == ["folder-clinic-1"]
    assert drive_file.metadata["mimeType"] == "application/pdf"
    assert drive_file.metadata["name"] == f"note-{consultation.pk}-v1.pdf"
    assert drive_file.metadata["appProperties"] == {"scribeDocumentId": body["document_id"], "scribeKind": "note"}
    assert drive_file.content_type == "application/pdf"
    assert drive_file.content.startswith(b"%PDF")
    assert f"Document ID {body['document_id']}" in pdf_text(drive_file.content)
    # The resumable protocol: a session started with metadata, then the bytes PUT to it.
    starts = drive_stub.upload_starts()
    assert len(starts) == 1
    assert "uploadType=resumable" in starts[0].path
    assert starts[0].headers["x-upload-content-type"] == "application/pdf"
    assert starts[0].headers["authorization"].startswith("Bearer ya29.stub-")
    puts = [r for r in drive_stub.requests if r.method == "PUT"]
    assert puts
    assert puts[-1].json["content_range"].endswith(f"/{len(drive_file.content)}")
    assert drive_stub.tokens_issued == 1
    stored = DriveUpload.objects.get(document_id=body["document_id"])
    assert stored.drive_file_id == body["drive_file_id"]
    assert stored.uploaded_at is not None


@pytest.mark.django_db
def test_a_second_upload_of_the_same_version_returns_the_same_file(client_for, clinician, drive_stub):
    consultation = consultation_with_summary(clinician, signed=True)
    client = client_for(clinician)
    first = _upload(client, consultation).json()

    again = _upload(client, consultation)

    assert again.status_code == 200
    assert again.json()["drive_file_id"] == first["drive_file_id"]
    assert again.json()["created"] is False
    assert len(drive_stub.files) == 1
    assert len(drive_stub.upload_starts()) == 1
    assert DriveUpload.objects.count() == 1


@pytest.mark.django_db
def test_it_retries_after_a_503_and_succeeds(client_for, clinician, drive_stub):
    consultation = consultation_with_summary(clinician, signed=True)
    drive_stub.fail_next = [503, 429]

    response = _upload(client_for(clinician), consultation)

    assert response.status_code == 201, response.json()
    assert len(drive_stub.files) == 1
    assert len(drive_stub.upload_starts()) == 3  # 503, 429, then the session


@pytest.mark.django_db
def test_a_503_on_the_bytes_is_retried_too(client_for, clinician, drive_stub):
    consultation = consultation_with_summary(clinician, signed=True)
    drive_stub.fail_puts = [503]

    response = _upload(client_for(clinician), consultation)

    assert response.status_code == 201, response.json()
    assert len(drive_stub.upload_starts()) == 1
    puts = [r.json["content_range"] for r in drive_stub.requests if r.method == "PUT"]
    size = len(next(iter(drive_stub.files.values())).content)
    # The failed bytes, the client asking how much Drive has ("bytes */size"), the bytes again.
    assert puts == [f"bytes 0-{size - 1}/{size}", f"bytes */{size}", f"bytes 0-{size - 1}/{size}"]
    assert len(drive_stub.files) == 1


@pytest.mark.django_db
def test_it_gives_up_after_the_retries_and_can_be_retried_later(client_for, clinician, drive_stub, settings):
    settings.GOOGLE_DRIVE_MAX_RETRIES = 1
    consultation = consultation_with_summary(clinician, signed=True)
    client = client_for(clinician)
    drive_stub.fail_next = [503, 503]

    failed = _upload(client, consultation)

    assert failed.status_code == 503
    assert failed.json()["code"] == "drive_unavailable"
    assert not DriveUpload.objects.exists()  # the claim was given back
    assert drive_stub.files == {}

    assert _upload(client, consultation).status_code == 201
    assert len(drive_stub.files) == 1


@pytest.mark.django_db
def test_a_new_note_version_is_a_new_document_and_a_new_file(client_for, clinician, drive_stub):
    from consultations.services import summary_sign, transcript_summary_add

    consultation = consultation_with_summary(clinician)
    client = client_for(clinician)
    draft = _upload(client, consultation).json()
    assert draft["is_draft"] is True
    summary_sign(transcript=consultation.transcript, version=1, signer=clinician)
    signed = _upload(client, consultation).json()
    assert signed["is_draft"] is False
    assert signed["document_id"] != draft["document_id"]
    assert signed["drive_file_id"] != draft["drive_file_id"]
    transcript_summary_add(transcript=consultation.transcript, content={"plan": "x"}, text="t", model="m", prompt=None)
    # The signed version is still the note: same document, same file.
    assert _upload(client, consultation).json()["drive_file_id"] == signed["drive_file_id"]
    assert len(drive_stub.files) == 2
    assert Document.objects.count() == 2


@pytest.mark.django_db
def test_not_configured_is_a_503_naming_the_setting(client_for, clinician, settings):
    settings.GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE = ""
    settings.GOOGLE_DRIVE_FOLDER_ID = "folder"
    consultation = consultation_with_summary(clinician, signed=True)

    response = _upload(client_for(clinician), consultation)

    assert response.status_code == 503
    assert "GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE" in response.json()["detail"]
    settings.GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE = "/nowhere.json"
    settings.GOOGLE_DRIVE_FOLDER_ID = ""
    assert "GOOGLE_DRIVE_FOLDER_ID" in _upload(client_for(clinician), consultation).json()["detail"]
    assert not DriveUpload.objects.exists()


@pytest.mark.django_db
def test_a_refused_service_account_is_a_502(client_for, clinician, drive_stub):
    drive_stub.fail_tokens = True
    consultation = consultation_with_summary(clinician, signed=True)

    response = _upload(client_for(clinician), consultation)

    assert response.status_code == 502
    assert response.json()["code"] == "drive_auth_failed"
    assert not DriveUpload.objects.exists()


@pytest.mark.django_db
def test_another_clinician_gets_404_and_a_patient_403(client_for, clinician, other_clinician, patient, drive_stub):
    consultation = consultation_with_summary(clinician, signed=True)
    assert _upload(client_for(other_clinician), consultation).status_code == 404
    assert _upload(client_for(patient), consultation).status_code == 403
    assert drive_stub.requests == []


@pytest.mark.django_db
def test_an_unreadable_service_account_file_is_a_503_naming_it(client_for, clinician, settings, tmp_path):
    (tmp_path / "key.json").write_text("{not json")
    settings.GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE = str(tmp_path / "key.json")
    settings.GOOGLE_DRIVE_FOLDER_ID = "folder"
    response = _upload(client_for(clinician), consultation_with_summary(clinician, signed=True))
    assert response.status_code == 503
    assert "GOOGLE_DRIVE_SERVICE_ACCOUNT_FILE" in response.json()["detail"]
    assert not DriveUpload.objects.exists()


@pytest.mark.django_db
def test_nothing_to_upload_is_a_409_or_404(client_for, clinician, drive_stub):
    from consultations.tests.factories import consultation_for

    client = client_for(clinician)
    assert _upload(client, consultation_for(clinician)).json()["code"] == "no_summary"
    assert _upload(client, consultation_with_summary(clinician), "referral-letter").status_code == 404
    assert drive_stub.requests == []


@pytest.mark.django_db
def test_a_stale_claim_finds_the_file_a_dead_upload_left_in_drive(client_for, clinician, drive_stub):
    """A process died after Drive stored the file but before Scribe stored its id."""
    from datetime import timedelta

    from django.utils import timezone

    from documents.services import note_document
    from scribe.testing.drive_stub import DriveFile

    consultation = consultation_with_summary(clinician, signed=True)
    document, _summary = note_document(consultation=consultation)
    DriveUpload.objects.create(document=document, claimed_at=timezone.now() - timedelta(days=1))
    drive_stub.files["drive-left-behind"] = DriveFile(
        id="drive-left-behind",
        metadata={"name": "x.pdf", "appProperties": {"scribeDocumentId": str(document.pk)}},
        content=b"%PDF",
        content_type="application/pdf",
    )

    response = _upload(client_for(clinician), consultation)

    assert response.status_code == 201, response.json()
    assert response.json()["drive_file_id"] == "drive-left-behind"
    assert drive_stub.upload_starts() == []
    assert len(drive_stub.files) == 1


@pytest.mark.django_db
def test_a_fresh_claim_of_another_upload_is_a_409(client_for, clinician, drive_stub):
    from documents.services import note_document

    consultation = consultation_with_summary(clinician, signed=True)
    document, _summary = note_document(consultation=consultation)
    DriveUpload.objects.create(document=document)

    response = _upload(client_for(clinician), consultation)

    assert response.status_code == 409
    assert response.json()["code"] == "upload_in_progress"
    assert drive_stub.requests == []
