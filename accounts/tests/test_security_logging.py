"""Login, refresh and logout failures are logged with ids; never secrets."""

from __future__ import annotations

import logging

import pytest
from rest_framework.test import APIClient

from accounts.tests.conftest import LOGIN_URL, PROFILE_URL, REFRESH_URL

pytestmark = pytest.mark.django_db

SECRET_PASSWORD = "Wrong-But-Secret-Pass-77"


def _events(caplog, name):
    return [r for r in caplog.records if r.getMessage() == name]


def _no_secrets(caplog, *secrets):
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in secrets:
        assert secret not in text


def test_it_logs_a_failed_login_with_the_account_id_ip_and_request_id(clinician, caplog):
    caplog.set_level(logging.INFO, logger="scribe.security")

    APIClient().post(
        LOGIN_URL,
        {"email": clinician.email, "password": SECRET_PASSWORD},
        HTTP_X_REQUEST_ID="req-login-1",
        REMOTE_ADDR="192.0.2.10",
    )

    [record] = _events(caplog, "login_failed")
    assert record.user_id == str(clinician.pk)
    assert record.ip == "192.0.2.10"
    assert record.request_id == "req-login-1"
    _no_secrets(caplog, SECRET_PASSWORD, clinician.email)


def test_it_logs_a_failed_login_for_an_unknown_email_without_the_email(caplog):
    caplog.set_level(logging.INFO, logger="scribe.security")

    APIClient().post(LOGIN_URL, {"email": "ghost@example.org", "password": SECRET_PASSWORD})

    [record] = _events(caplog, "login_failed")
    assert record.user_id is None
    _no_secrets(caplog, SECRET_PASSWORD, "ghost@example.org")


def test_it_logs_refresh_reuse_and_rejected_tokens_without_the_tokens(clinician, login, bearer, caplog, settings):
    settings.REFRESH_REUSE_GRACE_SECONDS = 0  # reuse at once (the grace window: test_refresh_grace)
    tokens = login(clinician)
    APIClient().post(REFRESH_URL, {"refresh_token": tokens["refresh_token"]})
    caplog.set_level(logging.INFO, logger="scribe.security")

    APIClient().post(REFRESH_URL, {"refresh_token": tokens["refresh_token"]}, HTTP_X_REQUEST_ID="req-reuse")
    bearer(tokens["access_token"]).get(PROFILE_URL)

    [reuse] = _events(caplog, "refresh_token_reused")
    assert reuse.user_id == str(clinician.pk)
    assert reuse.request_id == "req-reuse"
    [rejected] = _events(caplog, "token_rejected")
    assert rejected.reason == "revoked"
    assert rejected.user_id == str(clinician.pk)
    _no_secrets(caplog, tokens["access_token"], tokens["refresh_token"])


def test_it_logs_an_invalid_refresh_attempt(caplog):
    caplog.set_level(logging.INFO, logger="scribe.security")

    APIClient().post(REFRESH_URL, {"refresh_token": "garbage.token.value"}, REMOTE_ADDR="192.0.2.55")

    [record] = _events(caplog, "refresh_failed")
    assert record.ip == "192.0.2.55"
    assert record.reason == "invalid_token"
