"""A machine client reads signed summaries with an API key: GET /api/v1/service/summaries."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import api_keys
from accounts.models import ApiKey, ApiKeyScope
from accounts.tests.factories import FACTORY_PASSWORD

LIST = "/api/v1/service/summaries"
HEALTH = "/api/v1/service/health"

pytestmark = pytest.mark.django_db


def test_it_lists_signed_versions_only_with_what_an_engine_files(make_key, key_client, signed_summary, clinician):
    _row, key = make_key()

    response = key_client(key).get(LIST)

    assert response.status_code == 200, response.json()
    [item] = response.json()["results"]  # the unsigned draft 2 is not there
    assert item["id"] == str(signed_summary.pk)
    assert item["version"] == 1
    assert item["consultation"] == str(signed_summary.transcript.consultation_id)
    assert item["clinician"] == str(clinician.pk)
    assert item["signed_by"] == str(clinician.pk)
    assert item["patient_data"]["nhs_number"] == "9434765919"
    assert item["content"]["plan"] == "Fluids"


def test_it_authenticates_as_the_service_account(make_key, key_client, service_account, signed_summary):
    row, key = make_key()

    response = key_client(key).get(f"{LIST}/{signed_summary.pk}")

    assert response.status_code == 200
    assert row.user_id == service_account.pk
    assert service_account.role == "service"
    assert not service_account.has_usable_password()


def test_it_pulls_only_what_was_signed_after_an_instant(make_key, key_client, signed_summary):
    _row, key = make_key()
    client = key_client(key)

    before = client.get(LIST, {"signed_after": (signed_summary.signed_at - timedelta(seconds=1)).isoformat()})
    after = client.get(LIST, {"signed_after": signed_summary.signed_at.isoformat()})
    bad = client.get(LIST, {"signed_after": "yesterday"})

    assert [item["id"] for item in before.json()["results"]] == [str(signed_summary.pk)]
    assert after.json()["results"] == []
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"


def test_it_answers_404_for_a_draft_version(make_key, key_client, signed_summary):
    _row, key = make_key()
    draft = signed_summary.transcript.summaries.get(version=2)

    response = key_client(key).get(f"{LIST}/{draft.pk}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_refuses_a_clinicians_token_on_the_service_routes(client_for, clinician, signed_summary):
    response = client_for(clinician).get(LIST)

    assert response.status_code == 401
    assert set(response.json()) >= {"detail", "code", "request_id"}


def test_it_answers_401_without_a_key_and_for_a_wrong_secret(make_key, key_client, api_client):
    _row, key = make_key()

    missing = api_client.get(LIST)
    wrong = key_client(key[:-4] + "AAAA").get(LIST)
    malformed = key_client("not-a-key").get(LIST)

    for response in (missing, wrong, malformed):
        assert response.status_code == 401
        assert set(response.json()) >= {"detail", "code", "request_id"}
    assert missing["WWW-Authenticate"] == "Api-Key"
    assert wrong.json()["code"] == "not_authenticated"


def test_it_refuses_an_expired_key_with_the_contracts_shape(make_key, key_client):
    row, key = make_key()
    ApiKey.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = key_client(key).get(LIST)

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "api_key_expired"
    assert body["detail"] == "API key expired."
    assert body["request_id"] == response["X-Request-ID"]


def test_it_refuses_a_revoked_key_from_the_very_next_request(make_key, key_client, signed_summary):
    row, key = make_key()
    client = key_client(key)
    assert client.get(LIST).status_code == 200

    assert api_keys.api_keys_revoke(key_ids=[row.pk], by=None) == 1
    response = client.get(LIST)

    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"
    assert api_keys.api_keys_revoke(key_ids=[row.pk], by=None) == 0  # revoked once


def test_it_refuses_a_key_of_a_deactivated_service_account(make_key, key_client, service_account):
    _row, key = make_key()
    service_account.is_active = False
    service_account.save(update_fields=["is_active"])

    assert key_client(key).get(LIST).status_code == 401


def test_it_answers_403_for_a_key_without_the_scope(make_key, key_client, signed_summary):
    _row, health_only = make_key(scopes=[ApiKeyScope.HEALTH_READ])
    _row, summaries_only = make_key(scopes=[ApiKeyScope.CONSULTATIONS_READ])

    refused = key_client(health_only).get(LIST)
    also_refused = key_client(summaries_only).get(HEALTH)
    allowed = key_client(health_only).get(HEALTH)

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert also_refused.status_code == 403
    assert allowed.status_code == 200
    assert allowed.json()["status"] == "ready"


def test_it_rate_limits_each_key_on_its_own(settings, make_key, key_client, frozen_clock):
    settings.RATELIMIT_API_KEY = "2/m"
    _row, first = make_key()
    _row, second = make_key()
    client = key_client(first)

    statuses = [client.get(LIST).status_code for _ in range(3)]
    other = key_client(second).get(LIST)

    assert statuses == [200, 200, 429]
    assert other.status_code == 200
    limited = client.get(LIST)
    assert limited.json()["code"] == "rate_limited"
    assert int(limited["Retry-After"]) >= 1


def test_it_logs_the_key_id_and_never_the_secret(make_key, key_client, caplog):
    row, key = make_key()
    secret = key.partition(".")[2]

    with caplog.at_level(logging.INFO):
        key_client(key).get(LIST)
        key_client(key[:-4] + "AAAA").get(LIST)

    access = [r for r in caplog.records if r.name == "scribe.request" and getattr(r, "api_key_id", None)]
    assert [r.api_key_id for r in access] == [str(row.pk)]
    everything = " ".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert secret not in everything
    assert "api_key_rejected" in everything


def client_for_admin(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_never_lets_a_service_account_log_in(service_account, api_client):
    service_account.set_password(FACTORY_PASSWORD)  # even with a password set by hand
    service_account.save()

    login = api_client.post("/api/v1/users/login", {"email": service_account.email, "password": FACTORY_PASSWORD})
    node_login = api_client.post("/users/login", {"email": service_account.email, "password": FACTORY_PASSWORD})

    assert login.status_code == 401
    assert node_login.status_code == 401
    assert client_for_admin(service_account).get("/admin/").status_code == 302  # the admin's login page


def test_it_leaves_an_audit_record_naming_the_service_account(make_key, key_client, service_account, signed_summary):
    from audit.models import AuditEvent

    _row, key = make_key()

    key_client(key).get(LIST)
    key_client(key).get(f"{LIST}/{signed_summary.pk}")

    events = list(AuditEvent.objects.order_by("pk").values_list("user_id", "role", "model", "object_id", "action"))
    assert events == [
        (str(service_account.pk), "service", "summary", "", "list"),
        (str(service_account.pk), "service", "summary", str(signed_summary.pk), "read"),
    ]
    stored = " ".join(str(v) for event in AuditEvent.objects.values() for v in event.values())
    assert "9434765919" not in stored
    assert "Fluids" not in stored
