"""Staff create API keys in the admin (the secret shown once, only its hash stored) and revoke them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, Role, User
from accounts.tests.factories import UserFactory

ADD = "/admin/accounts/apikey/add/"
LIST = "/admin/accounts/apikey/"
KEY = re.compile(r"scribe_[0-9a-f]{12}\.[A-Za-z0-9_-]{43}")

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    staff = UserFactory(role="staff", is_staff=True, is_superuser=True, email="boss@example-clinic.nhs.uk")
    client = Client()
    client.force_login(staff)
    return client


def _form(**fields) -> dict:
    expires = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    return {
        "label": "EHR integration",
        "scopes": ["consultations:read"],
        "expires_at_0": expires.strftime("%Y-%m-%d"),
        "expires_at_1": expires.strftime("%H:%M:%S"),
        **fields,
    }


def _created_key(response) -> str:
    [key] = KEY.findall(response.content.decode())
    return key


def test_it_creates_a_key_and_a_service_account_and_shows_the_secret_once(admin_client):
    response = admin_client.post(ADD, _form(new_service_account="Integration engine"), follow=True)

    assert response.status_code == 200
    key = _created_key(response)
    row = ApiKey.objects.get()
    prefix, secret = key.removeprefix("scribe_").split(".")
    assert row.prefix == prefix
    assert row.scopes == ["consultations:read"]
    assert len(row.hashed_secret) == 64
    assert secret not in row.hashed_secret
    stored = str(list(ApiKey.objects.values()))
    assert secret not in stored
    service = row.user
    assert (service.role, service.is_staff, service.has_usable_password()) == (Role.SERVICE, False, False)
    # Shown once: neither the list nor the key's page shows it again.
    for page in (admin_client.get(LIST), admin_client.get(f"{LIST}{row.pk}/change/")):
        assert page.status_code == 200
        assert secret not in page.content.decode()
        assert prefix in page.content.decode()


def test_the_key_made_in_the_admin_works_over_http(admin_client):
    key = _created_key(admin_client.post(ADD, _form(new_service_account="Probe"), follow=True))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    assert client.get("/api/v1/service/summaries").status_code == 200


def test_it_makes_a_key_for_an_existing_service_account(admin_client, service_account):
    admin_client.post(ADD, _form(service_account=str(service_account.pk)), follow=True)

    assert ApiKey.objects.get().user_id == service_account.pk


def test_it_refuses_a_form_without_a_service_account_or_with_a_past_expiry(admin_client, clinician):
    nobody = admin_client.post(ADD, _form())
    clinician_picked = admin_client.post(ADD, _form(service_account=str(clinician.pk)))
    past = admin_client.post(
        ADD, _form(new_service_account="Probe", expires_at_0="2020-01-01", expires_at_1="00:00:00")
    )

    for response in (nobody, clinician_picked, past):
        assert response.status_code == 200  # the form again, with its errors
    assert ApiKey.objects.count() == 0
    assert not User.objects.filter(role=Role.SERVICE).exists()


def test_staff_revoke_keys_with_an_action(admin_client, make_key, key_client):
    row, key = make_key()
    client = key_client(key)
    assert client.get("/api/v1/service/summaries").status_code == 200

    response = admin_client.post(LIST, {"action": "revoke_keys", "_selected_action": [str(row.pk)]}, follow=True)

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert row.revoked_by.email == "boss@example-clinic.nhs.uk"
    assert client.get("/api/v1/service/summaries").json()["code"] == "api_key_revoked"
