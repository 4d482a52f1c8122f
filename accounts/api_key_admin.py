"""API keys in the admin: staff create a key (for an existing service account or a new
one), see the secret exactly once (the message after saving), and revoke keys.

Nothing is ever edited after creation: a key with other scopes or another expiry is a
new key. Keys are revoked, not deleted (the row names the key id the logs mention).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.utils import timezone

from accounts import api_keys
from accounts.models import ApiKey, ApiKeyScope, Role, User


def _default_expiry():
    return timezone.now() + timedelta(days=90)


class ApiKeyCreateForm(forms.ModelForm):
    service_account = forms.ModelChoiceField(
        queryset=User.objects.filter(role=Role.SERVICE, is_active=True).order_by("username"),
        required=False,
        help_text="The service account the key authenticates as.",
    )
    new_service_account = forms.CharField(
        max_length=50,
        required=False,
        help_text="Or: the name of a new service account to create for this key "
        "(no password; it can only use API keys).",
    )
    scopes = forms.MultipleChoiceField(choices=ApiKeyScope.choices, widget=forms.CheckboxSelectMultiple)
    expires_at = forms.SplitDateTimeField(
        initial=_default_expiry,
        widget=widgets.AdminSplitDateTime,
        help_text="After this instant the key is refused.",
    )

    class Meta:
        model = ApiKey
        fields = ("label", "scopes", "expires_at")

    def clean(self):
        data = super().clean()
        existing, new = data.get("service_account"), (data.get("new_service_account") or "").strip()
        if bool(existing) == bool(new):
            raise forms.ValidationError("Choose a service account or name a new one (one of the two).")
        expires_at = data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            self.add_error("expires_at", "The expiry must be in the future.")
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("label", "prefix", "user", "scopes", "expires_at", "revoked_at", "created_at")
    list_filter = ("revoked_at",)
    search_fields = ("label", "prefix")
    ordering = ("-created_at",)
    actions = ["revoke_keys"]
    readonly_fields = (
        "label",
        "prefix",
        "user",
        "scopes",
        "expires_at",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_by",
    )
    show_full_result_count = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("service_account", "new_service_account", "label", "scopes", "expires_at")
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return  # nothing is editable after creation
        data = form.cleaned_data
        user = data["service_account"] or api_keys.service_account_create(name=data["new_service_account"])
        row, key = api_keys.api_key_create(
            user=user,
            label=data["label"],
            scopes=data["scopes"],
            expires_at=data["expires_at"],
            created_by=request.user,
        )
        # The admin's redirect and messages need the saved object: point it at the row.
        obj.pk = row.pk
        obj.__dict__.update({k: v for k, v in row.__dict__.items() if not k.startswith("_")})
        self.message_user(
            request,
            f"API key created. Copy it now, it will not be shown again: {key}",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected API keys (refused from the next request)")
    def revoke_keys(self, request, queryset) -> None:
        changed = api_keys.api_keys_revoke(key_ids=list(queryset.values_list("pk", flat=True)), by=request.user)
        self.message_user(request, f"Revoked {changed} API key(s).", messages.SUCCESS)
