"""Generation-2 and -3 consultations and their transcripts: the pure part of the plan.

``consultation_state`` and ``transcript_state`` turn a document (and its transcript's)
into the Scribe field values and the report lines, with no database access; the
importer (first import) and the sync (a changed document) both use them, so a synced
record ends as a fresh import of the same document would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consultations.legacy import rules
from consultations.models import ConsultationStatus
from consultations.services import patient_search_name

Issue = tuple[str, str, str, str]  # (collection, _id, rule, reason)


@dataclass
class TranscriptState:
    segments: list[tuple[str, str]]
    summary: tuple[dict[str, str], str] | None
    prompt_used_hex: str | None
    created_at: Any
    updated_at: Any
    issues: list[Issue] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The text as Scribe shows it (segments joined): what a synced transcript is set to."""
        return "\n".join(text for text, _ in self.segments)


def consultation_state(
    doc_id: str, doc: dict[str, Any], transcript_doc: dict[str, Any] | None
) -> tuple[dict[str, Any], list[Issue]]:
    """``patient_data``, ``patient_name``, ``status``, ``started_at``, ``ended_at`` of a consultation.

    * ``patient`` as a bare string becomes ``{"name": <string>}``; missing, ``{}``.
    * ``status`` follows ``ended_at`` when they disagree or status is missing; a missing
      ``started_at`` comes from the transcript's ``created_at`` or the ``_id``.
    """
    issues: list[Issue] = []

    def repair(rule: str, reason: str) -> None:
        issues.append(("consultations", doc_id, rule, reason))

    patient = doc.get("patient")
    if isinstance(patient, dict):
        patient_data = rules.json_safe(patient)
    elif isinstance(patient, str) and patient.strip():
        patient_data = {"name": patient.strip()}
        repair("patient_as_string", "patient was a bare string; kept as the patient's name")
    else:
        patient_data = {}
        repair("missing_field", "no patient details; kept empty")

    t_created = rules.aware(transcript_doc.get("created_at")) if transcript_doc else None
    started_at = rules.aware(doc.get("started_at"))
    if started_at is None:
        started_at = t_created or rules.id_time(doc_id)
        repair("missing_field", "no started_at; taken from the transcript or the _id")
    ended_at = rules.aware(doc.get("ended_at"))
    status = doc.get("status")
    if status not in ConsultationStatus.values:
        status = ConsultationStatus.ENDED if ended_at else ConsultationStatus.ACTIVE
        repair("missing_field", f"status missing or unknown; set to {status} from ended_at")
    elif status == ConsultationStatus.ACTIVE and ended_at is not None:
        status = ConsultationStatus.ENDED
        repair("inconsistent", "status active but ended_at set; imported as ended")
    elif status == ConsultationStatus.ENDED and ended_at is None:
        ended_at = (rules.aware(transcript_doc.get("updated_at")) if transcript_doc else None) or started_at
        repair("missing_field", "ended without ended_at; took the transcript's last update or the start")
    fields = {
        "patient_data": patient_data,
        "patient_name": patient_search_name(patient_data),
        "status": status,
        "started_at": started_at,
        "ended_at": ended_at,
    }
    return fields, issues


def transcript_state(transcript_id: str, transcript_doc: dict[str, Any], started_at: Any) -> TranscriptState:
    """Text (as segments), summary, prompt used and dates of a generation-3 transcript.

    Text missing: empty. A summary string is kept verbatim and split into S/O/A/P when it
    has the four parts (``consultations.legacy.soap``). ``prompt_used`` is returned as the
    legacy id; resolving it (and the fallback to ``transcript_ids``) needs the database.
    """
    issues: list[Issue] = []

    def repair(rule: str, reason: str) -> None:
        issues.append(("transcripts", transcript_id, rule, reason))

    text = rules.transcript_text(transcript_doc.get("transcript_text"), repair, field="transcript_text")
    summary = rules.summary_of(transcript_doc.get("summary"), repair, field="summary")

    created_at = rules.aware(transcript_doc.get("created_at")) or started_at
    updated_at = rules.aware(transcript_doc.get("updated_at")) or created_at
    return TranscriptState(
        segments=rules.split_transcript(text),
        summary=summary,
        prompt_used_hex=rules.oid_hex(transcript_doc.get("prompt_used")),
        created_at=created_at,
        updated_at=updated_at,
        issues=issues,
    )
