"""Admin for staff: clinical records are looked up and read, never edited here.

List pages show ids, clinician, status and dates only. Clinical text
(patient data, transcripts, notes) appears read-only on the detail page and
never in a list column, where a glance over a shoulder would reveal it.
Records are created and changed through the API (services), so no staff user,
superusers included, may add, change or delete one here (the permissions below
are refused whatever the user's own permissions say). Every detail page a staff
user opens is recorded in the security log (``admin_record_viewed``: who, which
model, which id; never what it says).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.audit import security_event
from consultations import selectors
from consultations.models import Consultation, Note, Prompt, Segment, Summary, Transcript
from scribe.core.admin_readonly import ReadOnlyAdminMixin
from scribe.core.ids import parse_pk

_DIGITS = re.compile(r"\D")


def _change_link(obj: Model, label: str) -> str:
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label)


class ReadOnlyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only detail pages (clinical records are kept: not even a superuser deletes one
    here); search by id, legacy id or the clinician's e-mail."""

    search_fields = ["=legacy_id"]
    search_help_text = "Search by id, legacy id or the clinician's e-mail address."
    show_full_result_count = False
    list_per_page = 50

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            security_event(
                "admin_record_viewed",
                request=request,
                user_id=request.user.pk,
                level=logging.INFO,
                model=self.model._meta.label_lower,
                object_id=str(object_id),
            )
        return response

    def owner_field(self) -> str:
        return "clinician"

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        queryset_matches, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return queryset_matches, may_have_duplicates
        matches = queryset_matches | queryset.filter(**{f"{self.owner_field()}__email": term.lower()})
        pk = parse_pk(term)
        if pk is not None:
            matches = matches | queryset.filter(pk=pk)
        return matches, may_have_duplicates


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyRecordAdmin):
    search_help_text = "Search by patient name, NHS number, id, legacy id or the clinician's e-mail address."
    list_display = ["id", "clinician", "status", "started_at", "ended_at", "transcript_id", "legacy_id"]
    list_filter = ["status", "started_at", "ended_at"]
    list_select_related = ["clinician", "transcript"]
    date_hierarchy = "started_at"
    fields = [
        "clinician",
        "status",
        "started_at",
        "ended_at",
        "legacy_id",
        "patient",
        "summary",
        "transcript_link",
        "notes_links",
        "summary_versions",
    ]
    readonly_fields = fields

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        matches, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = " ".join(search_term.split())
        if len(term) >= 2:
            # The blind index, as the API's list search (patient data is encrypted at rest).
            matches = matches | queryset.filter(selectors.patient_index_match(name=term))
        digits = _DIGITS.sub("", search_term)
        if len(digits) == 10:  # an NHS number, typed with or without spaces
            matches = matches | queryset.filter(selectors.patient_index_match(nhs_number=digits))
        return matches, may_have_duplicates

    @admin.display(description="Transcript")
    def transcript_id(self, obj: Consultation) -> str:
        transcript = getattr(obj, "transcript", None)
        return str(transcript.pk) if transcript else "-"

    @admin.display(description="Patient data")
    def patient(self, obj: Consultation) -> str:
        data = obj.patient_data if isinstance(obj.patient_data, dict) else {}
        if not data:
            return "-"
        rows = ((str(key).replace("_", " ").capitalize(), _readable(value)) for key, value in sorted(data.items()))
        return format_html(
            '<dl class="scribe-patient-data">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows)
        )

    @admin.display(description="Transcript")
    def transcript_link(self, obj: Consultation) -> str:
        transcript = getattr(obj, "transcript", None)
        return _change_link(transcript, f"Transcript {transcript.pk}") if transcript else "-"

    @admin.display(description="Notes")
    def notes_links(self, obj: Consultation) -> str:
        notes = Note.objects.filter(consultation=obj).order_by("created_at")
        links = [_change_link(note, f"Note {note.pk} ({note.created_at:%d %b %Y %H:%M})") for note in notes]
        return format_html_join(mark_safe("<br>"), "{}", ((link,) for link in links)) if links else "-"

    @admin.display(description="Summary versions")
    def summary_versions(self, obj: Consultation) -> str:
        summaries = Summary.objects.filter(transcript__consultation=obj).order_by("-version")
        links = [
            _change_link(s, f"Version {s.version} ({s.model or 'imported'}, {s.created_at:%d %b %Y %H:%M})")
            for s in summaries
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((link,) for link in links)) if links else "-"


def _readable(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_readable(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_readable(v) for v in value)
    return "-" if value in (None, "") else str(value)


@admin.register(Transcript)
class TranscriptAdmin(ReadOnlyRecordAdmin):
    list_display = ["id", "consultation_id", "clinician", "consultation_status", "created_at", "updated_at"]
    list_filter = ["consultation__status", "created_at"]
    list_select_related = ["clinician", "consultation"]
    fields = [
        "consultation",
        "clinician",
        "created_at",
        "updated_at",
        "legacy_id",
        "prompt_used",
        "segments_count",
        "text_source",
        "full_text",
        "current_summary",
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


@admin.register(Segment)
class SegmentAdmin(ReadOnlyRecordAdmin):
    list_display = ["id", "transcript_id", "seq", "speaker", "start_ms", "end_ms", "created_at"]
    list_select_related = ["transcript"]
    fields = ["transcript", "seq", "speaker", "start_ms", "end_ms", "created_at", "text"]
    readonly_fields = fields

    def owner_field(self) -> str:
        return "transcript__clinician"


@admin.register(Summary)
class SummaryAdmin(ReadOnlyRecordAdmin):
    list_display = ["id", "transcript_id", "version", "model", "created_at", "legacy_id"]
    list_select_related = ["transcript"]
    fields = ["transcript", "version", "model", "prompt", "created_at", "legacy_id", "text"]
    readonly_fields = fields

    def owner_field(self) -> str:
        return "transcript__clinician"


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

    def owner_field(self) -> str:
        return "owner"
