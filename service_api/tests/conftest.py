"""Service accounts, their API keys and clients sending them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import api_keys
from accounts.models import ApiKeyScope
from consultations.services import summary_sign, transcript_summary_add
from consultations.tests.factories import consultation_for

SOAP = {"subjective": "Cough for 3 days", "objective": "Clear chest", "assessment": "Viral URTI", "plan": "Fluids"}


@pytest.fixture
def service_account(db):
    return api_keys.service_account_create(name="Integration engine")


@pytest.fixture
def make_key(service_account):
    """``make_key(scopes=..., expires_in=..., user=...)`` -> ``(ApiKey row, full key)``."""

    def make(*, scopes=(ApiKeyScope.CONSULTATIONS_READ,), expires_in=timedelta(days=30), user=None):
        return api_keys.api_key_create(
            user=user or service_account,
            label="EHR integration",
            scopes=scopes,
            expires_at=timezone.now() + expires_in,
            created_by=None,
        )

    return make


@pytest.fixture
def key_client():
    """``key_client(key)``: an APIClient sending ``Authorization: Api-Key <key>``."""

    def make(key: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        return client

    return make


@pytest.fixture
def signed_summary(clinician):
    """A consultation of ``clinician`` with a signed version 1 and an unsigned draft 2."""
    transcript = consultation_for(clinician, name="Ada Patient", nhs_number="9434765919").transcript
    transcript_summary_add(transcript=transcript, content=dict(SOAP), text="t", model="gpt-x", prompt=None)
    signed = summary_sign(transcript=transcript, version=1, signer=clinician)
    transcript_summary_add(transcript=transcript, content=dict(SOAP), text="draft", model="gpt-x", prompt=None)
    return signed
