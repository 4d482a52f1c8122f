"""Mongoose-shaped documents: what the Node.js backend answered, from Scribe's rows.

Pure functions over rows the selectors fetched (with their relations prefetched):
``_id`` as a string (Scribe's id; on MongoDB the ObjectId), the legacy field names,
datetimes left to the JSON renderer (ISO 8601, UTC, ``Z``). Fields are added where
Scribe knows more (``legacy_id``, ``verified`` on highlights); none is renamed.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from consultations.models import Consultation, Note, Prompt, Summary, Transcript
from consultations.selectors import (
    consultation_current_summary,
    consultation_notes,
    summary_current,
    transcript_contents,
)

SOAP_KEYS = ("subjective", "objective", "assessment", "plan")


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def user_ref(user: User) -> dict[str, Any]:
    return {"_id": _id(user.pk), "username": user.username, "email": user.email}


def user_profile(user: User) -> dict[str, Any]:
    return {
        "_id": _id(user.pk),
        "name": user.username,
        "email": user.email,
        "role": user.role,
        "createdAt": user.created_at,
    }


def prompt_ref(prompt: Prompt | None) -> dict[str, Any] | None:
    if prompt is None:
        return None
    return {
        "_id": _id(prompt.pk),
        "prompt_name": prompt.name,
        "prompt_text": prompt.text,
        "createdAt": prompt.created_at,
        "created_at": prompt.created_at,
    }


def prompt_doc(prompt: Prompt) -> dict[str, Any]:
    # transcript_ids: the caller's transcripts naming the prompt (prefetched by
    # consultations.selectors.prompt_documents; [] when not fetched).
    linked = getattr(prompt, "_prefetched_objects_cache", {}).get("transcripts")
    return {
        "_id": _id(prompt.pk),
        "prompt_name": prompt.name,
        "prompt_text": prompt.text,
        "is_shareable": prompt.is_shareable,
        "is_deleted": prompt.is_deleted,
        "clinician": _id(prompt.owner_id),
        "transcript_ids": [_id(t.pk) for t in linked] if linked is not None else [],
        "created_at": prompt.created_at,
        "updated_at": prompt.updated_at,
        "legacy_id": prompt.legacy_id,
    }


def note_doc(note: Note, *, populated: bool = False) -> dict[str, Any]:
    return {
        "_id": _id(note.pk),
        "clinician": user_ref(note.clinician) if populated else _id(note.clinician_id),
        "transcript": _id(note.transcript_id),
        "consultation": _id(note.consultation_id),
        "body": note.body,
        "created_at": note.created_at,
        "updated_at": note.updated_at,
        "createdAt": note.created_at,
        "legacy_id": note.legacy_id,
    }


def summary_value(summary: Summary | None) -> str | dict[str, Any] | None:
    """What the model wrote (a string); an imported summary that was a SOAP document
    stays one, as older Node.js records were."""
    if summary is None:
        return None
    if summary.text:
        return summary.text
    content = summary.content if isinstance(summary.content, dict) else {}
    return {key: content.get(key, "") for key in SOAP_KEYS}


def highlights_of(summary: Summary | None) -> list[dict[str, Any]]:
    return list(summary.highlights) if summary is not None and isinstance(summary.highlights, list) else []


def transcript_doc(transcript: Transcript, *, populated: bool = False) -> dict[str, Any]:
    current = summary_current(transcript=transcript)
    contents = transcript_contents(transcript=transcript)
    prompt = transcript.prompt_used if transcript.prompt_used_id else None
    return {
        "_id": _id(transcript.pk),
        "clinician": _id(transcript.clinician_id),
        "consultation": _id(transcript.consultation_id),
        "transcript_text": contents.text,
        "summary": summary_value(current),
        "highlights": highlights_of(current),
        "prompt_used": prompt_ref(prompt) if populated else _id(transcript.prompt_used_id),
        "created_at": transcript.created_at,
        # The row's or its newest segment's time (appends write no shared row).
        "updated_at": contents.updated_at,
        "legacy_id": transcript.legacy_id,
    }


def consultation_doc(consultation: Consultation, *, populated: bool = False) -> dict[str, Any]:
    """A consultation; ``populated`` as ``GET /api/consultation`` answered it (clinician,
    transcript and notes as documents), otherwise with ids (as ``start`` answered)."""
    transcript = consultation.transcript
    current = consultation_current_summary(consultation=consultation)
    notes = consultation_notes(consultation=consultation)
    return {
        "_id": _id(consultation.pk),
        "clinician": user_ref(consultation.clinician) if populated else _id(consultation.clinician_id),
        "patient": consultation.patient_data,
        "patient_data": consultation.patient_data,
        "transcript": transcript_doc(transcript, populated=True) if populated else _id(transcript.pk),
        "notes": [note_doc(n, populated=True) for n in notes] if populated else [_id(n.pk) for n in notes],
        "started_at": consultation.started_at,
        "ended_at": consultation.ended_at,
        "status": consultation.status,
        "lastSummarizedAt": current.created_at if current is not None else None,
        "legacy_id": consultation.legacy_id,
    }
