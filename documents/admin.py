"""Read-only admin pages, like the other clinical records (consultations.admin)."""

from __future__ import annotations

from django.contrib import admin

from consultations.admin import ReadOnlyRecordAdmin
from documents.models import Document, DriveUpload


@admin.register(Document)
class DocumentAdmin(ReadOnlyRecordAdmin):
    search_fields: list[str] = []
    list_display = ["id", "clinician", "kind", "version", "is_draft", "created_at"]
    list_filter = ["kind", "is_draft", "created_at"]
    list_select_related = ["clinician"]
    fields = ["clinician", "consultation", "kind", "version", "is_draft", "created_at", "body"]
    readonly_fields = fields


@admin.register(DriveUpload)
class DriveUploadAdmin(ReadOnlyRecordAdmin):
    search_fields: list[str] = []
    list_display = ["id", "document", "drive_file_id", "claimed_at", "uploaded_at"]
    fields = ["document", "drive_file_id", "web_view_link", "claimed_at", "uploaded_at"]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        # No clinician on this row: search by id only.
        return admin.ModelAdmin.get_search_results(self, request, queryset, search_term)
