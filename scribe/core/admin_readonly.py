"""A read-only admin: nobody adds, changes, deletes or runs a bulk action, superusers included.

Used by the clinical records' admins (consultations) and the audit trail's (audit): records
are kept, and the admin is a place to look, not to edit.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}
