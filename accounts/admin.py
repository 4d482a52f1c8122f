"""Staff see and deactivate accounts; password hashes are never shown, not even
Django's read-only hash summary (the ``password`` field is not on any form)."""

from __future__ import annotations

from django.contrib import admin, messages

from accounts import services
from accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("id", "email", "username", "role", "is_staff", "is_active", "created_at")
    list_filter = ("role", "is_staff", "is_active")
    search_fields = ("email", "username")
    ordering = ("-created_at",)
    # An explicit allow-list: "password" (and the permissions machinery) never render.
    fields = ("email", "username", "role", "is_staff", "is_active", "legacy_id", "created_at", "last_login")
    readonly_fields = ("email", "legacy_id", "created_at", "last_login")
    actions = ["deactivate_users"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        # Accounts are created by registration (patients, clinicians) or `createsuperuser`.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Clinical records point at their clinician: deactivate instead of deleting.
        return False

    @admin.action(description="Deactivate selected users (their tokens stop at once)")
    def deactivate_users(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        changed = services.users_deactivate(user_ids=ids, by=request.user)
        self.message_user(request, f"Deactivated {changed} user(s).", messages.SUCCESS)


from accounts import api_key_admin  # noqa: E402, F401  (registers the API keys' admin)
