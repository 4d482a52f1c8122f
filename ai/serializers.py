from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from scribe.core.serializers import QuerySerializer, StrictSerializer

QUERY_MAX_CHARS = 2_000
PROMPT_MAX_CHARS = 20_000
TRANSCRIPT_MAX_CHARS = 500_000
IMAGE_REFERENCE_MAX_CHARS = 8_000_000  # a data URL of a 5 MiB image, base64 encoded
# What ai.images accepts (it checks the rest: host, redirects, the bytes); in the schema too.
IMAGE_REFERENCE_PATTERN = r"^(https://|data:)"


# --- input ----------------------------------------------------------------------------


class SearchInputSerializer(StrictSerializer):
    query = serializers.CharField(max_length=QUERY_MAX_CHARS, trim_whitespace=True)


class SummaryInputSerializer(StrictSerializer):
    transcript_text = serializers.CharField(required=False, max_length=TRANSCRIPT_MAX_CHARS)
    transcript_id = serializers.CharField(required=False, max_length=64)
    prompt_id = serializers.CharField(required=False, max_length=64)
    prompt_text = serializers.CharField(required=False, max_length=PROMPT_MAX_CHARS)

    # Checked by StrictSerializer and written into the schema (oneOf / not).
    one_of_required = ("transcript_text", "transcript_id")
    mutually_exclusive = (("prompt_id", "prompt_text"),)


class SummarizeInputSerializer(StrictSerializer):
    prompt_id = serializers.CharField(required=False, max_length=64)


class ImagesInputSerializer(StrictSerializer):
    prompt = serializers.CharField(max_length=PROMPT_MAX_CHARS)
    images = serializers.ListField(
        child=serializers.RegexField(
            IMAGE_REFERENCE_PATTERN,
            max_length=IMAGE_REFERENCE_MAX_CHARS,
            trim_whitespace=True,
            error_messages={"invalid": "Must be an https URL or a data: URL."},
        ),
        min_length=1,
    )

    def validate_images(self, value):
        if len(value) > settings.AI_IMAGE_MAX_COUNT:
            raise serializers.ValidationError(f"At most {settings.AI_IMAGE_MAX_COUNT} images.")
        return value


class ImagesUploadSerializer(serializers.Serializer):
    """Multipart form of ``POST images`` (documentation; the view reads the files itself)."""

    prompt = serializers.CharField(max_length=PROMPT_MAX_CHARS)
    images = serializers.ListField(child=serializers.FileField())


class TranscribeInputSerializer(serializers.Serializer):
    audio = serializers.FileField()
    transcript_id = serializers.CharField(required=False, max_length=64)
    start_seq = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)


class ClinicalCodesQuerySerializer(QuerySerializer):
    term = serializers.CharField(min_length=2, max_length=100, trim_whitespace=True)


# --- output (documentation and shape) ---------------------------------------------------


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField()
    model = serializers.CharField()


class SoapSectionsSerializer(serializers.Serializer):
    subjective = serializers.CharField(allow_blank=True)
    objective = serializers.CharField(allow_blank=True)
    assessment = serializers.CharField(allow_blank=True)
    plan = serializers.CharField(allow_blank=True)


class SummaryStatementSerializer(serializers.Serializer):
    text = serializers.CharField()
    evidence = serializers.ListField(child=serializers.IntegerField(), help_text="seq numbers cited")
    supported = serializers.BooleanField(help_text="false when no cited segment exists")


class StatementsSerializer(serializers.Serializer):
    subjective = SummaryStatementSerializer(many=True)
    objective = SummaryStatementSerializer(many=True)
    assessment = SummaryStatementSerializer(many=True)
    plan = SummaryStatementSerializer(many=True)


class FlagSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["number", "dose", "drug"])
    value = serializers.CharField()
    section = serializers.CharField()


class PromptUsedSerializer(serializers.Serializer):
    id = serializers.CharField()
    prompt_name = serializers.CharField()


class AISummarySerializer(serializers.Serializer):
    summary = SoapSectionsSerializer()
    text = serializers.CharField()
    model = serializers.CharField()
    prompt_used = PromptUsedSerializer(allow_null=True, help_text="The saved prompt used; null for the others.")
    prompt_source = serializers.ChoiceField(
        choices=["prompt", "prompt_text", "builtin"],
        help_text="prompt: a saved prompt (prompt_id); prompt_text: the request's own instructions, "
        "kept on the stored version as content.prompt_text; builtin: the UK/NHS prompt.",
    )
    statements = StatementsSerializer()
    unsupported_count = serializers.IntegerField()
    flags = FlagSerializer(many=True, help_text="numbers, doses, drugs not found in the transcript")
    parts = serializers.IntegerField(help_text="how many parts a long transcript was summarised in")
    redacted_identifiers = serializers.IntegerField()
    summary_id = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class TranscribedSegmentSerializer(serializers.Serializer):
    seq = serializers.IntegerField(required=False)
    text = serializers.CharField()
    start_ms = serializers.IntegerField(allow_null=True)
    end_ms = serializers.IntegerField(allow_null=True)


class TranscriptionSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    segments = TranscribedSegmentSerializer(many=True)
    model = serializers.CharField()
    transcript_id = serializers.CharField(required=False)
    appended = serializers.IntegerField(required=False)


class ClinicalCodeSerializer(serializers.Serializer):
    name = serializers.CharField()
    code = serializers.CharField()
    url = serializers.CharField()
