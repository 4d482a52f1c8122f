"""manage.py export_consultation ID: one consultation as a JSON document (subject access requests)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from consultations.models import Consultation, Note, Segment, Summary, Transcript
from consultations.selectors import transcript_text
from scribe.core.ids import parse_pk

EXPORT_FORMAT = "scribe.consultation-export/1"


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def consultation_export(consultation: Consultation) -> dict[str, Any]:
    """Everything Scribe holds about one consultation, ids as strings, times in ISO 8601."""
    clinician = consultation.clinician
    transcript = Transcript.objects.select_related("prompt_used").filter(consultation=consultation).first()
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "consultation": {
            "id": _id(consultation.pk),
            "legacy_id": consultation.legacy_id,
            "clinician": {"id": _id(clinician.pk), "username": clinician.username, "email": clinician.email},
            "patient_data": consultation.patient_data,
            "status": consultation.status,
            "started_at": _when(consultation.started_at),
            "ended_at": _when(consultation.ended_at),
            "summary": consultation.summary,
        },
        "transcript": None,
        "notes": [
            {
                "id": _id(note.pk),
                "legacy_id": note.legacy_id,
                "body": note.body,
                "created_at": _when(note.created_at),
                "updated_at": _when(note.updated_at),
            }
            for note in Note.objects.filter(consultation=consultation).order_by("created_at", "pk")
        ],
        "summaries": [],
    }
    if transcript is None:
        return document
    prompt = transcript.prompt_used
    document["transcript"] = {
        "id": _id(transcript.pk),
        "legacy_id": transcript.legacy_id,
        "transcript_text": transcript_text(transcript=transcript),
        "prompt_used": {"id": _id(prompt.pk), "name": prompt.name} if prompt else None,
        "created_at": _when(transcript.created_at),
        "updated_at": _when(transcript.updated_at),
        "segments": [
            {
                "seq": s.seq,
                "speaker": s.speaker,
                "text": s.text,
                "start_ms": s.start_ms,
                "end_ms": s.end_ms,
                "created_at": _when(s.created_at),
            }
            for s in Segment.objects.filter(transcript=transcript).order_by("seq")
        ],
    }
    document["summaries"] = [
        {
            "version": s.version,
            "content": s.content,
            "text": s.text,
            "model": s.model,
            "prompt": {"id": _id(s.prompt_id), "name": s.prompt.name} if s.prompt_id else None,
            "created_at": _when(s.created_at),
        }
        for s in Summary.objects.filter(transcript=transcript).select_related("prompt").order_by("version")
    ]
    return document


class Command(BaseCommand):
    help = (
        "Print one consultation (patient details, transcript with its segments, notes and every "
        "summary version) as one JSON document, for a subject access request. ID is Scribe's "
        "consultation id, or the Node.js _id with --legacy. Writes to stdout, or to --output FILE. "
        "The output holds patient data: handle it accordingly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", help="the consultation's id")
        parser.add_argument("--legacy", action="store_true", help="ID is the consultation's _id in the Node.js database")
        parser.add_argument("--output", metavar="FILE", help="write the JSON here instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = options["id"]
        if options["legacy"]:
            lookup = {"legacy_id": raw.strip().lower()}
        else:
            pk = parse_pk(raw)
            lookup = {"pk": pk} if pk is not None else None
        consultation = (
            Consultation.objects.select_related("clinician").filter(**lookup).first() if lookup else None
        )
        if consultation is None:
            raise CommandError(f"No consultation with {'legacy ' if options['legacy'] else ''}id {raw!r}.")
        text = json.dumps(consultation_export(consultation), indent=2, ensure_ascii=False, sort_keys=False)
        if options["output"]:
            Path(options["output"]).write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"Consultation {consultation.pk} written to {options['output']}")
        else:
            self.stdout.write(text)
