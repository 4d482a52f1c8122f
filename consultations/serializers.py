"""Input and output serializers of the clinical records API.

Inputs are strict: unknown fields and wrong JSON types (a number where text is
expected, a string where a number is) are a 400, never silently coerced.
Outputs carry ids as strings. No serializer writes: views call services.
"""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consultations import selectors
from consultations.models import Consultation, ConsultationStatus, Note, Prompt, Speaker, Summary, Transcript
from consultations.services import (
    PATIENT_NAME_MAX_CHARS,
    SEGMENT_MAX_CHARS,
    SEGMENT_MAX_SEQ,
    SIGN_SECTION_MAX_CHARS,
    SIGN_SECTIONS,
    TRANSCRIPT_TEXT_MAX_CHARS,
)
from scribe.core.serializers import IdField, QuerySerializer, StrictSerializer

PATIENT_DATA_MAX_BYTES = 10_000
NOTE_BODY_MAX_CHARS = 50_000
CLOSING_SUMMARY_MAX_CHARS = 50_000
PROMPT_NAME_MAX_CHARS = 200
PROMPT_TEXT_MAX_CHARS = 20_000
TIMING_MAX_MS = 2**31 - 1

# The hot read paths' outputs (consultation, summary, transcript, segment) are built by
# hand in ``to_representation``: the declared fields stay for validation-free schema
# generation (drf-spectacular reads them), but a response no longer walks DRF's field
# machinery per row. Datetimes go through DRF's own field so the text is identical.
_WHEN = serializers.DateTimeField()


def _when(value: Any) -> str | None:
    return None if value is None else _WHEN.to_representation(value)


def _id_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


# --- Strict scalar fields ------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """Text only: a number or a boolean is a type error, not text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: ``"5"``, ``5.0`` and ``true`` are type errors."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class IdInputField(serializers.CharField):
    """An id sent in a body: a string (or, leniently, a JSON integer on SQL engines)."""

    json_types = (str, int)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        return super().to_internal_value(str(data))


# --- Consultations -------------------------------------------------------------------


class PatientDataSerializer(serializers.Serializer):
    """``{name, age?, nhs_number?, ...}``: known keys are checked, others are kept as sent."""

    name = StrictCharField(max_length=PATIENT_NAME_MAX_CHARS)
    age = StrictIntegerField(required=False, allow_null=True, min_value=0, max_value=150)
    nhs_number = serializers.RegexField(
        r"^\d{3} ?\d{3} ?\d{4}$",
        required=False,
        allow_null=True,
        error_messages={"invalid": "Must be a 10-digit NHS number."},
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be an object.")
        if len(json.dumps(data, default=str)) > PATIENT_DATA_MAX_BYTES:
            raise serializers.ValidationError(f"Must be at most {PATIENT_DATA_MAX_BYTES} bytes of JSON.")
        if not isinstance(data.get("nhs_number", ""), str | type(None)):
            raise serializers.ValidationError({"nhs_number": ["Must be a 10-digit NHS number."]})
        checked = super().to_internal_value(data)
        return {**data, **checked}


class ConsultationStartInput(StrictSerializer):
    patient_data = PatientDataSerializer()


class ConsultationEndInput(StrictSerializer):
    summary = StrictCharField(
        required=False, allow_blank=True, allow_null=True, max_length=CLOSING_SUMMARY_MAX_CHARS, trim_whitespace=False
    )


class DateOrDateTimeField(serializers.DateTimeField):
    """A filter bound: an ISO 8601 date-time, or a plain date (its midnight, local time)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=["iso-8601", "%Y-%m-%d"], **kwargs)


class ConsultationFilterInput(QuerySerializer):
    status = serializers.ChoiceField(choices=ConsultationStatus.choices, required=False)
    started_after = DateOrDateTimeField(required=False, help_text="Started at or after this time.")
    started_before = DateOrDateTimeField(required=False, help_text="Started before this time.")
    search = serializers.CharField(
        required=False,
        min_length=1,
        max_length=PATIENT_NAME_MAX_CHARS,
        help_text="The start of the patient's name, or of each of its words (case-insensitive).",
    )
    nhs_number = serializers.RegexField(
        r"^\d{3} ?\d{3} ?\d{4}$",
        required=False,
        help_text="Exactly this NHS number (10 digits, spaces allowed).",
        error_messages={"invalid": "Must be a 10-digit NHS number."},
    )


class SummaryOutput(serializers.ModelSerializer):
    """One summary version: the SOAP ``content`` plus how it was made."""

    id = IdField()
    prompt = IdField(source="prompt_id", allow_null=True)
    # Signing (issue 15): null until signed; then who, when, the AI draft and the diff from it.
    signed_by = IdField(source="signed_by_id", allow_null=True)

    class Meta:
        model = Summary
        fields = ["id", "version", "content", "text", "model", "prompt", "highlights", "created_at"]
        fields += ["signed_by", "signed_at", "draft_version", "sign_diff"]

    def to_representation(self, instance: Summary) -> dict[str, Any]:
        return summary_output(instance)


def summary_output(summary: Summary) -> dict[str, Any]:
    """``SummaryOutput``'s document, built directly."""
    return {
        "id": str(summary.pk),
        "version": summary.version,
        "content": summary.content,
        "text": summary.text,
        "model": summary.model,
        "prompt": _id_or_none(summary.prompt_id),
        "highlights": summary.highlights,
        "created_at": _when(summary.created_at),
        "signed_by": _id_or_none(summary.signed_by_id),
        "signed_at": _when(summary.signed_at),
        "draft_version": summary.draft_version,
        "sign_diff": summary.sign_diff,
    }


class ConsultationOutput(serializers.ModelSerializer):
    id = IdField()
    legacy_id = serializers.CharField(
        read_only=True, allow_null=True, help_text="The record's _id in the Node.js database; null when made in Scribe."
    )
    transcript = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    current_summary = serializers.SerializerMethodField()

    class Meta:
        model = Consultation
        fields = [
            "id",
            "patient_data",
            "status",
            "started_at",
            "ended_at",
            "transcript",
            "notes",
            "summary",
            "current_summary",
            "legacy_id",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_transcript(self, obj: Consultation) -> str:
        return str(obj.transcript.pk)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_notes(self, obj: Consultation) -> list[str]:
        return [str(note.pk) for note in selectors.consultation_notes(consultation=obj)]

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="The closing summary sent with `end`."))
    def get_summary(self, obj: Consultation) -> str | None:
        return obj.summary or None

    @extend_schema_field(SummaryOutput(allow_null=True, help_text="The transcript's current (newest) summary version."))
    def get_current_summary(self, obj: Consultation) -> dict[str, Any] | None:
        current = selectors.consultation_current_summary(consultation=obj)
        return SummaryOutput(current).data if current else None

    def to_representation(self, instance: Consultation) -> dict[str, Any]:
        current = selectors.consultation_current_summary(consultation=instance)
        return {
            "id": str(instance.pk),
            "patient_data": instance.patient_data,
            "status": instance.status,
            "started_at": _when(instance.started_at),
            "ended_at": _when(instance.ended_at),
            "transcript": str(instance.transcript.pk),
            "notes": [str(note.pk) for note in selectors.consultation_notes(consultation=instance)],
            "summary": instance.summary or None,
            "current_summary": summary_output(current) if current else None,
            "legacy_id": instance.legacy_id,
        }


# --- Transcripts ---------------------------------------------------------------------


class SegmentInput(StrictSerializer):
    seq = StrictIntegerField(min_value=0, max_value=SEGMENT_MAX_SEQ)
    text = StrictCharField(max_length=SEGMENT_MAX_CHARS, trim_whitespace=False)
    speaker = serializers.ChoiceField(choices=Speaker.choices, default=Speaker.UNKNOWN)
    start_ms = StrictIntegerField(required=False, allow_null=True, min_value=0, max_value=TIMING_MAX_MS)
    end_ms = StrictIntegerField(required=False, allow_null=True, min_value=0, max_value=TIMING_MAX_MS)

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Must not be blank.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_ms"), attrs.get("end_ms")
        if start is not None and end is not None and end < start:
            raise serializers.ValidationError({"end_ms": ["Must not be before start_ms."]})
        return attrs


class SegmentOutput(serializers.Serializer):
    id = IdField()
    transcript = IdField(source="transcript_id")
    seq = serializers.IntegerField()
    text = serializers.CharField()
    speaker = serializers.CharField()
    start_ms = serializers.IntegerField(allow_null=True)
    end_ms = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {
            "id": str(instance.pk),
            "transcript": str(instance.transcript_id),
            "seq": instance.seq,
            "text": instance.text,
            "speaker": instance.speaker,
            "start_ms": instance.start_ms,
            "end_ms": instance.end_ms,
            "created_at": _when(instance.created_at),
        }


class TranscriptReplaceInput(StrictSerializer):
    transcript_text = StrictCharField(allow_blank=True, max_length=TRANSCRIPT_TEXT_MAX_CHARS, trim_whitespace=False)


class TranscriptPromptInput(StrictSerializer):
    prompt_id = IdInputField(max_length=64)


class TranscriptOutput(serializers.ModelSerializer):
    id = IdField()
    legacy_id = serializers.CharField(
        read_only=True, allow_null=True, help_text="The record's _id in the Node.js database; null when made in Scribe."
    )
    consultation = IdField(source="consultation_id")
    transcript_text = serializers.SerializerMethodField()
    text_source = serializers.SerializerMethodField()
    segments_count = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    current_summary = serializers.SerializerMethodField()
    prompt_used = IdField(source="prompt_used_id", allow_null=True)
    prompt_used_name = serializers.SerializerMethodField()
    highlights = serializers.SerializerMethodField()

    class Meta:
        model = Transcript
        fields = [
            "id",
            "consultation",
            "transcript_text",
            "text_source",
            "segments_count",
            "summary",
            "current_summary",
            "prompt_used",
            "prompt_used_name",
            "highlights",
            "created_at",
            "updated_at",
            "legacy_id",
        ]

    def _current(self, obj: Transcript) -> Summary | None:
        return selectors.summary_current(transcript=obj)

    def get_transcript_text(self, obj: Transcript) -> str:
        return selectors.transcript_text(transcript=obj)

    @extend_schema_field(
        serializers.ChoiceField(
            choices=["segments", "edited"],
            help_text="`segments`: assembled from the segments; `edited`: the full text saved with PUT.",
        )
    )
    def get_text_source(self, obj: Transcript) -> str:
        return "segments" if obj.edited_text is None else "edited"

    def get_segments_count(self, obj: Transcript) -> int:
        return selectors.transcript_segments_count(transcript=obj)

    @extend_schema_field(
        serializers.DictField(
            allow_null=True, help_text="The current summary's `{subjective, objective, assessment, plan}`."
        )
    )
    def get_summary(self, obj: Transcript) -> dict[str, Any] | None:
        current = self._current(obj)
        return current.content if current else None

    @extend_schema_field(SummaryOutput(allow_null=True))
    def get_current_summary(self, obj: Transcript) -> dict[str, Any] | None:
        current = self._current(obj)
        return SummaryOutput(current).data if current else None

    @extend_schema_field(
        serializers.ListField(
            child=serializers.DictField(),
            help_text="The current summary's highlights: `[{term, possible_snomed, display, verified, "
            "verification, evidence}]`; `verified` is true only when the NHS terminology server confirmed the code.",
        )
    )
    def get_highlights(self, obj: Transcript) -> list[dict[str, Any]]:
        current = self._current(obj)
        return current.highlights if current else []

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="Kept even after the prompt was deleted."))
    def get_prompt_used_name(self, obj: Transcript) -> str | None:
        return obj.prompt_used.name if obj.prompt_used_id else None

    def to_representation(self, instance: Transcript) -> dict[str, Any]:
        contents = selectors.transcript_contents(transcript=instance)
        current = self._current(instance)
        return {
            "id": str(instance.pk),
            "consultation": str(instance.consultation_id),
            "transcript_text": contents.text,
            "text_source": self.get_text_source(instance),
            "segments_count": contents.segments_count,
            "summary": current.content if current else None,
            "current_summary": summary_output(current) if current else None,
            "prompt_used": _id_or_none(instance.prompt_used_id),
            "prompt_used_name": self.get_prompt_used_name(instance),
            "highlights": current.highlights if current else [],
            "created_at": _when(instance.created_at),
            # The row's or its newest segment's time (appends write no shared row).
            "updated_at": _when(contents.updated_at),
            "legacy_id": instance.legacy_id,
        }


# --- Notes ---------------------------------------------------------------------------


class NoteCreateInput(StrictSerializer):
    consultation = IdInputField(max_length=64)
    body = StrictCharField(max_length=NOTE_BODY_MAX_CHARS)


class NoteUpdateInput(StrictSerializer):
    """``body``; ``consultation`` may be sent back unchanged (a note never moves)."""

    consultation = IdInputField(max_length=64, required=False)
    body = StrictCharField(max_length=NOTE_BODY_MAX_CHARS)


class NoteOutput(serializers.ModelSerializer):
    id = IdField()
    legacy_id = serializers.CharField(
        read_only=True, allow_null=True, help_text="The record's _id in the Node.js database; null when made in Scribe."
    )
    consultation = IdField(source="consultation_id")
    transcript = IdField(source="transcript_id")

    class Meta:
        model = Note
        fields = ["id", "consultation", "transcript", "body", "created_at", "updated_at", "legacy_id"]


class NoteFilterInput(QuerySerializer):
    consultation = serializers.CharField(required=False, min_length=1, max_length=64)


# --- Prompts -------------------------------------------------------------------------


class PromptInput(StrictSerializer):
    prompt_name = StrictCharField(max_length=PROMPT_NAME_MAX_CHARS)
    prompt_text = StrictCharField(max_length=PROMPT_TEXT_MAX_CHARS)
    is_shareable = StrictBooleanField(required=False, default=False)


class OwnerOutput(serializers.Serializer):
    id = IdField()
    username = serializers.CharField()


class PromptOutput(serializers.ModelSerializer):
    id = IdField()
    legacy_id = serializers.CharField(
        read_only=True, allow_null=True, help_text="The record's _id in the Node.js database; null when made in Scribe."
    )
    prompt_name = serializers.CharField(source="name")
    prompt_text = serializers.CharField(source="text")
    owner = OwnerOutput()
    is_owner = serializers.SerializerMethodField()

    class Meta:
        model = Prompt
        fields = [
            "id",
            "prompt_name",
            "prompt_text",
            "is_shareable",
            "owner",
            "is_owner",
            "created_at",
            "updated_at",
            "legacy_id",
        ]

    def get_is_owner(self, obj: Prompt) -> bool:
        request = self.context.get("request")
        return bool(request and obj.owner_id == request.user.pk)


# --- Signing (issue 15) ------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {name: {"type": "string", "maxLength": SIGN_SECTION_MAX_CHARS} for name in SIGN_SECTIONS},
        "additionalProperties": False,
    }
)
class SignEditsField(serializers.JSONField):
    """Checked section by section by ``services.summary_sign`` (which names the bad ones)."""

    json_types = (dict,)


class SummarySignInput(StrictSerializer):
    edits = SignEditsField(
        required=False,
        allow_null=True,
        help_text="Optional `{subjective, objective, assessment, plan}` texts replacing those sections: "
        "stored as a new version, which is then the one signed.",
    )
