"""Reads for documents. Ownership: every consultation comes from
``consultations.selectors.consultation_get`` (the caller's own, else 404)."""

from __future__ import annotations

from consultations.models import Consultation, Summary
from documents.models import Document


def note_summary(*, consultation: Consultation) -> Summary | None:
    """The summary the note PDF shows: the newest signed version, else the newest draft."""
    summaries = Summary.objects.filter(transcript_id=consultation.transcript.pk)
    signed = summaries.filter(signed_at__isnull=False).order_by("-version").first()
    return signed or summaries.order_by("-version").first()


def letter_current(*, consultation: Consultation, kind: str) -> Document | None:
    return (
        Document.objects.filter(consultation=consultation, clinician_id=consultation.clinician_id, kind=kind)
        .order_by("-version")
        .first()
    )
