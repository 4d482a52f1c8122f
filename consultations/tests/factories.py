"""Test data made through the services, so it has the shape the API makes."""

from __future__ import annotations

from typing import Any

from consultations import services
from consultations.models import Consultation, Note, Prompt, Segment, Summary, Transcript


def consultation_for(clinician: Any, name: str = "Leo Jones", **patient: Any) -> Consultation:
    return services.consultation_start(clinician=clinician, patient_data={"name": name, **patient})


def note_for(consultation: Consultation, body: str = "Follow up in two weeks.") -> Note:
    return services.note_create(clinician=consultation.clinician, consultation=consultation, body=body)


def prompt_for(owner: Any, name: str = "SOAP, UK spelling", *, is_shareable: bool = False) -> Prompt:
    return services.prompt_create(owner=owner, name=name, text="Summarise as SOAP.", is_shareable=is_shareable)


def records_snapshot() -> list:
    """Every clinical row, to prove a refused request changed nothing."""
    return [
        list(model.objects.order_by("pk").values())
        for model in (Consultation, Transcript, Segment, Summary, Note, Prompt)
    ]


def owned_records(clinician: Any) -> dict[str, str]:
    """Ids of one consultation, its transcript, a note and a private prompt of ``clinician``."""
    consultation = consultation_for(clinician)
    return {
        "consultation": str(consultation.pk),
        "transcript": str(consultation.transcript.pk),
        "note": str(note_for(consultation).pk),
        "prompt": str(prompt_for(clinician).pk),  # private: others cannot see it
    }
