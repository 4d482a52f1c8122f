"""Generation-1 transcripts (2025-09-24..10-09): a standalone document per consultation.

Before consultations existed, ``POST /transcript/save`` stored everything in one
``transcripts`` document: ``clinicianId`` (hex string), ``transcript`` (the text),
``createdAt``, ``patientObject`` (``{patient_id, data: {patient_data}}``), ``soapSummary``
(a string or a ``{subjective, ...}`` document) and ``notes`` (free shape). Each becomes an
ended consultation with its transcript, summary and note, all four rows carrying the
document's ``_id`` as ``legacy_id``.

``plan`` is pure (document in, rows' values and report lines out); the importer writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from consultations.legacy import rules

Issue = tuple[str, str, str, str]  # (collection, _id, rule, reason)


def is_standalone(doc: dict[str, Any]) -> bool:
    """A generation-1 transcript: written before transcripts belonged to a consultation."""
    return "consultation" not in doc and ("clinicianId" in doc or "transcript" in doc)


@dataclass
class Generation1Plan:
    doc_id: str
    clinician_hex: str | None
    patient_data: dict[str, Any]
    started_at: Any
    text: str
    summary: tuple[dict[str, str], str] | None
    note_body: str | None
    issues: list[Issue] = field(default_factory=list)


def _patient(doc: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    value = doc.get("patientObject")
    if value is None:
        return {}, "no patientObject; patient details kept empty"
    if isinstance(value, dict):
        data = value.get("data")
        details = data.get("patient_data") if isinstance(data, dict) else None
        if isinstance(details, dict):
            patient = rules.json_safe(details)
            if value.get("patient_id") is not None and "patient_id" not in patient:
                patient["patient_id"] = rules.json_safe(value["patient_id"])
            return patient, None
        return rules.json_safe(value), "patientObject without data.patient_data; kept as it was"
    if isinstance(value, str) and value.strip():
        return {"name": value.strip()}, "patientObject was a bare string; kept as the patient's name"
    return {}, "patientObject of an unknown shape; patient details kept empty"


def _note_line(item: Any) -> str:
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, dict):
        for key in ("text", "body", "note", "content"):
            if isinstance(item.get(key), str):
                return item[key].strip()
    return json.dumps(rules.json_safe(item), sort_keys=True)


def note_body(value: Any) -> tuple[str | None, str | None]:
    """The embedded ``notes`` field as one note's body (a list: one line per item), and a repair reason."""
    if value is None or value in ("", [], {}):
        return None, None
    if isinstance(value, list):
        lines = [line for line in (_note_line(item) for item in value) if line]
        return ("\n".join(lines) or None), "notes stored as a list; kept as one note, one line per item"
    line = _note_line(value)
    if isinstance(value, str):
        return (line or None), None
    return (line or None), "notes stored as a document; kept as one note"


def plan(doc_id: str, doc: dict[str, Any]) -> Generation1Plan:
    issues: list[Issue] = []

    def repair(rule: str, reason: str) -> None:
        issues.append(("transcripts", doc_id, rule, reason))

    patient_data, reason = _patient(doc)
    if reason:
        repair("missing_field" if doc.get("patientObject") is None else "wrong_type", reason)

    started_at = rules.aware(doc.get("createdAt")) or rules.aware(doc.get("created_at"))
    if started_at is None:
        started_at = rules.id_time(doc_id)
        repair("missing_field", "no createdAt; taken from the _id")

    text = rules.transcript_text(doc.get("transcript"), repair, field="transcript", missing="transcript text")
    summary = rules.summary_of(doc.get("soapSummary"), repair, field="soapSummary")

    body, why = note_body(doc.get("notes"))
    if why:
        repair("wrong_type", why)

    return Generation1Plan(
        doc_id=doc_id,
        clinician_hex=rules.oid_hex(doc.get("clinicianId")) or rules.oid_hex(doc.get("clinician")),
        patient_data=patient_data,
        started_at=started_at,
        text=text,
        summary=summary,
        note_body=body,
        issues=issues,
    )
