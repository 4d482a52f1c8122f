from __future__ import annotations

from rest_framework import serializers

from documents.services import LETTER_MAX_CHARS
from scribe.core.serializers import IdField, StrictSerializer

TEXT_MAX_CHARS = 2_000


class LetterDraftInput(StrictSerializer):
    recipient = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Referral letters: who it is to."
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_CHARS, help_text="Why this letter."
    )


class LetterDraftOutput(serializers.Serializer):
    kind = serializers.CharField()
    text = serializers.CharField(help_text="For the clinician to edit, then save with PUT.")
    model = serializers.CharField()
    summary_version = serializers.IntegerField()


class LetterSaveInput(StrictSerializer):
    # Kept as sent (not trimmed); it must hold a character that is not whitespace.
    text = serializers.RegexField(
        r"\S",
        trim_whitespace=False,
        max_length=LETTER_MAX_CHARS,
        error_messages={"invalid": "Must be non-empty text.", "blank": "Must be non-empty text."},
        help_text="The letter's full text as the clinician approved it.",
    )


class DocumentOutput(serializers.Serializer):
    id = IdField()
    kind = serializers.CharField()
    version = serializers.IntegerField()
    is_draft = serializers.BooleanField()
    text = serializers.CharField(source="body")
    created_at = serializers.DateTimeField()


class UploadOutput(serializers.Serializer):
    document_id = serializers.CharField()
    kind = serializers.CharField()
    version = serializers.IntegerField()
    is_draft = serializers.BooleanField()
    drive_file_id = serializers.CharField()
    web_view_link = serializers.CharField(allow_blank=True)
    uploaded_at = serializers.DateTimeField()
    created = serializers.BooleanField(help_text="false: this document version was uploaded before.")
