"""The audit trail in the admin: read-only, and only for staff granted ``audit.view_auditevent``.

The permission must be granted explicitly (to the user or one of their groups): being a
superuser is not enough, so who may read the trail is a decision someone wrote down. No
one, superusers included, may add, change or delete an event here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.http import HttpRequest

from audit.models import AuditEvent
from scribe.core.admin_readonly import ReadOnlyAdminMixin

VIEW_PERMISSION = "view_auditevent"


def audit_viewer(user: Any) -> bool:
    if not (user.is_active and user.is_staff):
        return False
    granted = Permission.objects.filter(content_type__app_label="audit", codename=VIEW_PERMISSION)
    return granted.filter(Q(user=user) | Q(group__user=user)).exists()


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user_id", "role", "action", "model", "object_id", "consultation_id", "status", "ip"]
    list_filter = ["action", "model", "role"]
    search_fields = ["=user_id", "=object_id", "=consultation_id", "=request_id"]
    date_hierarchy = None
    show_full_result_count = False
    list_per_page = 100

    def has_module_permission(self, request: HttpRequest) -> bool:
        return audit_viewer(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return audit_viewer(request.user)
