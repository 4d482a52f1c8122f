"""Referral letter and patient summary: AI draft (text), saved by the clinician, then a PDF."""

from __future__ import annotations

import pytest

from ai.models import AiUsage
from consultations.tests.factories import consultation_for
from documents.models import Document
from documents.tests.helpers import consultation_with_summary, pdf_text

LETTER_BODY = "I would be grateful if you could assess this patient's persistent cough."


def _base(consultation) -> str:
    return f"/api/v1/consultations/{consultation.pk}/documents"


@pytest.mark.django_db
def test_the_referral_draft_comes_from_the_note_and_the_template(client_for, clinician, openai_stub):
    consultation = consultation_with_summary(clinician, signed=True)
    openai_stub.chat_replies = [LETTER_BODY]

    response = client_for(clinician).post(
        f"{_base(consultation)}/referral-letter/draft",
        {"recipient": "Respiratory team", "reason": "Cough for Leo Jones not settling"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    text = response.json()["text"]
    assert "Dear Respiratory team," in text
    assert "Re: Leo Jones, DOB 1984-02-29, NHS number 943 476 5919" in text
    assert LETTER_BODY in text
    assert text.rstrip().endswith(f"{clinician.username}\nScribe Medical Practice")
    sent = openai_stub.chat_requests()[-1].json["messages"]
    user_text = sent[-1]["content"]
    assert "Viral upper respiratory tract infection." in user_text
    # Identifiers are redacted before the note leaves Scribe.
    assert "Leo Jones" not in user_text
    assert "[PATIENT_NAME_1]" in user_text
    assert AiUsage.objects.filter(user=clinician).count() == 1
    assert not Document.objects.exists()  # a draft is not stored


@pytest.mark.django_db
def test_the_patient_summary_draft_is_plain_language_with_safety_netting(client_for, clinician, openai_stub):
    consultation = consultation_with_summary(clinician, signed=True)
    openai_stub.chat_replies = ["You have a chest cold caused by a virus."]

    response = client_for(clinician).post(f"{_base(consultation)}/patient-summary/draft", {}, format="json")

    assert response.status_code == 200
    text = response.json()["text"]
    assert text.splitlines()[2] == "Dear Leo Jones,"
    assert "You have a chest cold caused by a virus." in text
    assert "NHS 111" in text
    assert "plain language" in openai_stub.chat_requests()[-1].json["messages"][0]["content"]


@pytest.mark.django_db
def test_a_saved_letter_is_versioned_and_rendered(client_for, clinician):
    consultation = consultation_with_summary(clinician, signed=True)
    client = client_for(clinician)
    assert client.get(f"{_base(consultation)}/referral-letter").status_code == 404
    assert client.get(f"{_base(consultation)}/referral-letter.pdf").status_code == 404

    first = client.put(f"{_base(consultation)}/referral-letter", {"text": "Dear Dr Smith,\n\nFirst."}, format="json")
    second = client.put(f"{_base(consultation)}/referral-letter", {"text": "Dear Dr Smith,\n\nSecond."}, format="json")

    assert first.status_code == 201
    assert second.json()["version"] == 2
    assert client.get(f"{_base(consultation)}/referral-letter").json()["text"] == "Dear Dr Smith,\n\nSecond."
    pdf = client.get(f"{_base(consultation)}/referral-letter.pdf")
    assert pdf.status_code == 200
    assert pdf["X-Document-Id"] == second.json()["id"]
    text = pdf_text(pdf.content)
    assert "Referral letter" in text
    assert "Second." in text
    assert "First." not in text
    assert "Leo Jones" in text
    assert f"Document ID {second.json()['id']}" in text
    assert "DRAFT" not in text


@pytest.mark.django_db
def test_a_saved_letter_uploads_to_drive(client_for, clinician, drive_stub):
    consultation = consultation_with_summary(clinician, signed=True)
    client = client_for(clinician)
    client.put(f"{_base(consultation)}/patient-summary", {"text": "Dear Leo,\n\nRest."}, format="json")

    response = client.post(f"{_base(consultation)}/patient-summary/upload")

    assert response.status_code == 201, response.json()
    drive_file = drive_stub.files[response.json()["drive_file_id"]]
    assert drive_file.metadata["name"] == f"patient-summary-{consultation.pk}-v1.pdf"
    assert "Rest." in pdf_text(drive_file.content)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", 5, None])
def test_an_empty_letter_is_refused(client_for, clinician, text):
    consultation = consultation_with_summary(clinician)
    response = client_for(clinician).put(f"{_base(consultation)}/referral-letter", {"text": text}, format="json")
    assert response.status_code == 400
    assert "text" in response.json()["errors"]
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_no_draft_without_a_summary_and_503_without_ai(client_for, clinician, settings):
    client = client_for(clinician)
    assert client.post(f"{_base(consultation_for(clinician))}/referral-letter/draft").status_code == 409
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""
    response = client.post(f"{_base(consultation_with_summary(clinician))}/referral-letter/draft")
    assert response.status_code == 503
    assert not AiUsage.objects.exists()


@pytest.mark.django_db
def test_every_letter_endpoint_is_404_for_another_clinician_and_403_for_a_patient(
    client_for, clinician, other_clinician, patient
):
    consultation = consultation_with_summary(clinician, signed=True)
    client_for(clinician).put(f"{_base(consultation)}/referral-letter", {"text": "Dear Dr"}, format="json")
    calls = [
        ("get", "referral-letter", None),
        ("put", "referral-letter", {"text": "mine now"}),
        ("post", "referral-letter/draft", {}),
        ("get", "referral-letter.pdf", None),
        ("post", "referral-letter/upload", None),
        ("get", "patient-summary", None),
    ]
    for method, path, data in calls:
        url = f"{_base(consultation)}/{path}"
        assert getattr(client_for(other_clinician), method)(url, data, format="json").status_code == 404, url
        assert getattr(client_for(patient), method)(url, data, format="json").status_code == 403, url
    assert Document.objects.count() == 1
