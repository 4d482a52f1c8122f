"""Test data made through the services, so it has the shape the API makes."""

from __future__ import annotations

from typing import Any

from consultations import services
from consultations.models import Consultation, Note, Prompt


def consultation_for(clinician: Any, name: str = "Leo Jones", **patient: Any) -> Consultation:
    return services.consultation_start(clinician=clinician, patient_data={"name": name, **patient})


def note_for(consultation: Consultation, body: str = "Follow up in two weeks.") -> Note:
    return services.note_create(clinician=consultation.clinician, consultation=consultation, body=body)


def prompt_for(owner: Any, name: str = "SOAP, UK spelling", *, is_shareable: bool = False) -> Prompt:
    return services.prompt_create(owner=owner, name=name, text="Summarise as SOAP.", is_shareable=is_shareable)
