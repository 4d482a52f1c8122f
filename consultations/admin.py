"""Admin for staff: clinical records are looked up and read, never edited here.

List pages show ids, clinician, status and dates only. Clinical text
(patient data, transcripts, notes) appears read-only on the detail page and
never in a list column, where a glance over a shoulder would reveal it.
Records are created and changed through the API (services), so the admin
neither adds nor changes them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from consultations import selectors
from consultations.models import Consultation, Note, Prompt, Segment, Transcript
from scribe.core.ids import parse_pk


class ReadOnlyRecordAdmin(admin.ModelAdmin):
    """Read-only detail pages; search by id, legacy id or the clinician's e-mail."""

    search_fields = ["=legacy_id"]
    search_help_text = "Search by id, legacy id or the clinician's e-mail address."
    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        queryset_matches, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return queryset_matches, may_have_duplicates
        matches = queryset_matches
        owner = "owner" if queryset.model is Prompt else "clinician"
        matches = matches | queryset.filter(**{f"{owner}__email": term.lower()})
        pk = parse_pk(term)
        if pk is not None:
            matches = matches | queryset.filter(pk=pk)
        return matches, may_have_duplicates


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyRecordAdmin):
    list_display = ["id", "clinician", "status", "started_at", "ended_at", "transcript_id", "legacy_id"]
    list_filter = ["status", "started_at", "ended_at"]
    list_select_related = ["clinician", "transcript"]
    date_hierarchy = "started_at"
    fields = ["clinician", "status", "started_at", "ended_at", "legacy_id", "patient_data", "summary"]
    readonly_fields = fields

    @admin.display(description="Transcript")
    def transcript_id(self, obj: Consultation) -> str:
        transcript = getattr(obj, "transcript", None)
        return str(transcript.pk) if transcript else "-"


@admin.register(Transcript)
class TranscriptAdmin(ReadOnlyRecordAdmin):
    list_display = ["id", "consultation_id", "clinician", "consultation_status", "created_at", "updated_at"]
    list_filter = ["consultation__status", "created_at"]
    list_select_related = ["clinician", "consultation"]
    fields = [
        "consultation", "clinician", "created_at", "updated_at", "legacy_id", "prompt_used",
        "segments_count", "text_source", "full_text", "current_summary",
    ]
    readonly_fields = fields

    @admin.display(description="Status", ordering="consultation__status")
    def consultation_status(self, obj: Transcript) -> str:
        return obj.consultation.status

    @admin.display(description="Segments")
    def segments_count(self, obj: Transcript) -> int:
        return Segment.objects.filter(transcript=obj).count()

    @admin.display(description="Text source")
    def text_source(self, obj: Transcript) -> str:
        return "segments" if obj.edited_text is None else "edited (PUT)"

    @admin.display(description="Transcript text")
    def full_text(self, obj: Transcript) -> str:
        return selectors.transcript_text(transcript=obj)

    @admin.display(description="Current summary")
    def current_summary(self, obj: Transcript) -> str:
        summary = selectors.summary_current(transcript=obj)
        return f"v{summary.version} ({summary.model}): {summary.text}" if summary else "-"


@admin.register(Note)
class NoteAdmin(ReadOnlyRecordAdmin):
    list_display = ["id", "consultation_id", "clinician", "consultation_status", "created_at", "updated_at"]
    list_filter = ["consultation__status", "created_at"]
    list_select_related = ["clinician", "consultation"]
    fields = ["consultation", "transcript", "clinician", "created_at", "updated_at", "legacy_id", "body"]
    readonly_fields = fields

    @admin.display(description="Status", ordering="consultation__status")
    def consultation_status(self, obj: Note) -> str:
        return obj.consultation.status


@admin.register(Prompt)
class PromptAdmin(ReadOnlyRecordAdmin):
    list_display = ["id", "name", "owner", "is_shareable", "is_deleted", "created_at", "updated_at"]
    list_filter = ["is_shareable", "is_deleted", "created_at"]
    list_select_related = ["owner"]
    fields = ["owner", "name", "is_shareable", "is_deleted", "created_at", "updated_at", "legacy_id", "text"]
    readonly_fields = fields
