from __future__ import annotations

import io

from pypdf import PdfReader

from consultations.services import summary_sign, transcript_summary_add
from consultations.tests.factories import consultation_for

SOAP = {
    "subjective": "Productive cough for three days, mild fever.",
    "objective": "Chest clear, temperature 37.9 C.",
    "assessment": "Viral upper respiratory tract infection.",
    "plan": "Fluids and paracetamol; return if breathless.",
}


def consultation_with_summary(clinician, *, signed: bool = False, content=SOAP):
    consultation = consultation_for(clinician, name="Leo Jones", nhs_number="943 476 5919", date_of_birth="1984-02-29")
    transcript_summary_add(
        transcript=consultation.transcript, content=dict(content), text="t", model="gpt-x", prompt=None
    )
    if signed:
        summary_sign(transcript=consultation.transcript, version=1, signer=clinician)
    return consultation


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)
