"""GET /api/v1/consultations/{id}/documents/note.pdf: the PDF's text as a reader extracts it."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from consultations.services import transcript_summary_add
from consultations.tests.factories import consultation_for
from documents.models import Document
from documents.tests.helpers import SOAP, consultation_with_summary, pdf_pages, pdf_text
from questionnaires.services import questionnaire_answer


def _url(consultation) -> str:
    return f"/api/v1/consultations/{consultation.pk}/documents/note.pdf"


@pytest.mark.django_db
def test_the_signed_note_has_its_sections_patient_footer_id_and_no_draft_mark(client_for, clinician, settings):
    settings.PRACTICE_NAME = "Riverside Surgery"
    settings.PRACTICE_ADDRESS = "1 High Street\\nLeeds LS1 1AA"
    consultation = consultation_with_summary(clinician, signed=True)

    response = client_for(clinician).get(_url(consultation))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    document = Document.objects.get(pk=response["X-Document-Id"])
    assert document.is_draft is False
    text = pdf_text(response.content)
    for heading, body in SOAP.items():
        assert heading.capitalize() in text
        assert body in text
    assert "Leo Jones" in text
    assert "943 476 5919" in text
    assert "Riverside Surgery" in text
    assert "Leeds LS1 1AA" in text
    assert clinician.username in text
    assert f"Document ID {document.pk}" in text
    assert "Page 1 of 1" in text
    assert "Signed" in text
    assert "DRAFT" not in text


@pytest.mark.django_db
def test_an_unsigned_note_is_watermarked_draft_on_every_page(client_for, clinician):
    long = dict.fromkeys(SOAP, ("Long history of symptoms discussed at length. " * 40 + "\n\n") * 3)
    consultation = consultation_with_summary(clinician, content=long)

    response = client_for(clinician).get(_url(consultation))

    assert response.status_code == 200
    pages = pdf_pages(response.content)
    assert pages >= 3
    for number, page in enumerate(PdfReader(io.BytesIO(response.content)).pages, start=1):
        page_text = page.extract_text()
        assert "DRAFT" in page_text
        assert f"Page {number} of {pages}" in page_text
    assert Document.objects.get(pk=response["X-Document-Id"]).is_draft is True


@pytest.mark.django_db
def test_the_signed_version_wins_over_a_newer_draft_and_ids_are_stable(client_for, clinician):
    consultation = consultation_with_summary(clinician, signed=True)
    transcript_summary_add(
        transcript=consultation.transcript,
        content={**SOAP, "plan": "Newer unsigned plan"},
        text="t",
        model="m",
        prompt=None,
    )
    client = client_for(clinician)

    first, second = client.get(_url(consultation)), client.get(_url(consultation))

    assert first["X-Document-Id"] == second["X-Document-Id"]
    text = pdf_text(first.content)
    assert SOAP["plan"] in text
    assert "Newer unsigned plan" not in text
    assert "DRAFT" not in text


@pytest.mark.django_db
def test_the_fonts_are_embedded(client_for, clinician):
    consultation = consultation_with_summary(clinician, signed=True)
    data = client_for(clinician).get(_url(consultation)).content

    for page in PdfReader(io.BytesIO(data)).pages:
        used = set(re.findall(rb"/([\w+.-]+) [\d.]+ Tf", page.get_contents().get_data()))
        assert used
        fonts = page["/Resources"]["/Font"]
        for name in used:
            font = fonts["/" + name.decode()].get_object()
            # Every font the text is drawn with carries its TrueType program (subset).
            assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]


@pytest.mark.django_db
def test_questionnaires_answered_in_the_consultation_are_in_the_note(client_for, clinician):
    consultation = consultation_with_summary(clinician, signed=True)
    questionnaire_answer(consultation=consultation, instrument="phq9", answers=[3, 3, 3, 3, 3, 3, 0, 0, 1])

    text = pdf_text(client_for(clinician).get(_url(consultation)).content)

    assert "PHQ-9" in text
    assert "19" in text
    assert "moderately" in text
    assert "URGENT REVIEW" in text


@pytest.mark.django_db
def test_no_summary_yet_is_a_409(client_for, clinician):
    response = client_for(clinician).get(_url(consultation_for(clinician)), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 409
    assert response.json()["code"] == "no_summary"


@pytest.mark.django_db
def test_another_clinician_gets_404_and_a_patient_403(client_for, clinician, other_clinician, patient):
    consultation = consultation_with_summary(clinician, signed=True)
    assert client_for(other_clinician).get(_url(consultation)).status_code == 404
    assert client_for(patient).get(_url(consultation)).status_code == 403
    assert not Document.objects.exists()
