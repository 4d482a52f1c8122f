"""Input and output shapes of the questionnaire API. Answers are checked by
``questionnaires.instruments`` (which names each bad item), not here."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from questionnaires.instruments import ANSWER_MAX, ANSWER_MIN, INSTRUMENTS
from questionnaires.models import Instrument, QuestionnaireResponse
from scribe.core.serializers import IdField, QuerySerializer, StrictSerializer


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "minimum": ANSWER_MIN, "maximum": ANSWER_MAX},
        "minItems": min(len(instrument.items) for instrument in INSTRUMENTS.values()),
        "maxItems": max(len(instrument.items) for instrument in INSTRUMENTS.values()),
    }
)
class AnswersField(serializers.JSONField):
    """The answers as sent: a JSON array. Each item is checked by
    ``questionnaires.instruments.answers_score``, which names the bad ones."""

    json_types = (list,)


class AnswerInput(StrictSerializer):
    instrument = serializers.ChoiceField(choices=Instrument.choices)
    answers = AnswersField(help_text="One answer per item, in order, each 0-3.")

    # The number of answers is the instrument's item count.
    schema_variants = [
        {
            "properties": {
                # A pattern, not an enum: drf-spectacular would make a named enum of it.
                "instrument": {"pattern": f"^{key}$"},
                "answers": {"minItems": len(instrument.items), "maxItems": len(instrument.items)},
            }
        }
        for key, instrument in INSTRUMENTS.items()
    ]


class LinkAnswerInput(StrictSerializer):
    answers = AnswersField(help_text="One answer per item, in order, each 0-3 (as many as the link's form has).")


class LinkCreateInput(StrictSerializer):
    instrument = serializers.ChoiceField(choices=Instrument.choices)


class LinkOutput(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once; Scribe stores only its hash.")
    url = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ResponseOutput(serializers.ModelSerializer):
    id = IdField()
    consultation = IdField(source="consultation_id")

    class Meta:
        model = QuestionnaireResponse
        fields = [
            "id",
            "consultation",
            "instrument",
            "answers",
            "score",
            "severity",
            "flags",
            "urgent",
            "reviewed_at",
            "answered_by",
            "created_at",
        ]


class ListFilterInput(QuerySerializer):
    urgent = serializers.BooleanField(required=False, allow_null=True, default=None)


class HistoryFilterInput(QuerySerializer):
    nhs_number = serializers.RegexField(
        r"^\d{3} ?\d{3} ?\d{4}$", error_messages={"invalid": "Must be a 10-digit NHS number."}
    )
    instrument = serializers.ChoiceField(choices=Instrument.choices, required=False)


class TrendOutput(serializers.Serializer):
    count = serializers.IntegerField()
    first_score = serializers.IntegerField()
    latest_score = serializers.IntegerField()
    latest_severity = serializers.CharField()
    change = serializers.IntegerField()
    change_since_previous = serializers.IntegerField(allow_null=True)
    direction = serializers.ChoiceField(choices=["improving", "worsening", "unchanged"])


class InstrumentHistoryOutput(serializers.Serializer):
    responses = ResponseOutput(many=True)
    trend = TrendOutput()


class AwaitingReviewOutput(serializers.Serializer):
    count = serializers.IntegerField()
    results = ResponseOutput(many=True)


class FormItemOutput(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()


class FormOptionOutput(serializers.Serializer):
    value = serializers.IntegerField()
    label = serializers.CharField()


class FormOutput(serializers.Serializer):
    instrument = serializers.CharField()
    title = serializers.CharField()
    preamble = serializers.CharField()
    items = FormItemOutput(many=True)
    options = FormOptionOutput(many=True)
    expires_at = serializers.DateTimeField()


class LinkAnsweredOutput(serializers.Serializer):
    detail = serializers.CharField()
