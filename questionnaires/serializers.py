"""Input and output shapes of the questionnaire API. Answers are checked by
``questionnaires.instruments`` (which names each bad item), not here."""

from __future__ import annotations

from rest_framework import serializers

from questionnaires.models import Instrument, QuestionnaireResponse
from scribe.core.serializers import IdField, StrictSerializer


class AnswerInput(StrictSerializer):
    instrument = serializers.ChoiceField(choices=Instrument.choices)
    answers = serializers.JSONField(help_text="One answer per item, in order, each 0-3.")


class LinkAnswerInput(StrictSerializer):
    answers = serializers.JSONField(help_text="One answer per item, in order, each 0-3.")


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
            "id", "consultation", "instrument", "answers", "score", "severity", "flags", "urgent",
            "reviewed_at", "answered_by", "created_at",
        ]


class ListFilterInput(serializers.Serializer):
    urgent = serializers.BooleanField(required=False, allow_null=True, default=None)


class HistoryFilterInput(serializers.Serializer):
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
