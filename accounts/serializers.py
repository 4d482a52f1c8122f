"""Input serializers validate shape only; output serializers render. No writes here."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import REGISTRATION_ROLE_CHOICES, Role
from scribe.core.serializers import IdField, QuerySerializer, StrictSerializer


class RegisterInput(StrictSerializer):
    username = serializers.CharField(min_length=3, max_length=50)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
    role = serializers.ChoiceField(choices=REGISTRATION_ROLE_CHOICES, default=Role.PATIENT)


class LoginInput(StrictSerializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})


class RefreshInput(StrictSerializer):
    refresh_token = serializers.CharField(max_length=4096, trim_whitespace=True)


class LogoutInput(StrictSerializer):
    refresh_token = serializers.CharField(max_length=4096, required=False, allow_blank=True)


class ProfileUpdateInput(StrictSerializer):
    username = serializers.CharField(min_length=3, max_length=50, required=False)
    current_password = serializers.CharField(max_length=256, required=False, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, required=False, trim_whitespace=False)


class UserOutput(serializers.Serializer):
    id = IdField()
    username = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    created_at = serializers.DateTimeField()
    legacy_id = serializers.CharField(
        read_only=True, allow_null=True, help_text="The user's _id in the Node.js database; null when made in Scribe."
    )


class TokenPairOutput(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField(help_text="Access token lifetime in seconds.")
    user = UserOutput()


class MessageOutput(serializers.Serializer):
    message = serializers.CharField()


class EmailCheckInput(QuerySerializer):
    email = serializers.EmailField(max_length=254)


class EmailAvailableOutput(serializers.Serializer):
    available = serializers.BooleanField()
