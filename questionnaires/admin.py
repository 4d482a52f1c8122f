"""Read-only admin pages, like the other clinical records (consultations.admin)."""

from __future__ import annotations

from django.contrib import admin

from consultations.admin import ReadOnlyRecordAdmin
from questionnaires.models import QuestionnaireLink, QuestionnaireResponse


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(ReadOnlyRecordAdmin):
    search_fields: list[str] = []
    list_display = ["id", "clinician", "instrument", "score", "severity", "urgent", "reviewed_at", "created_at"]
    list_filter = ["instrument", "urgent", "created_at"]
    list_select_related = ["clinician"]
    fields = [
        "clinician",
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
    readonly_fields = fields


@admin.register(QuestionnaireLink)
class QuestionnaireLinkAdmin(ReadOnlyRecordAdmin):
    search_fields: list[str] = []
    list_display = ["id", "clinician", "instrument", "expires_at", "used_at", "created_at"]
    list_select_related = ["clinician"]
    fields = ["clinician", "consultation", "instrument", "expires_at", "used_at", "created_at"]
    readonly_fields = fields
