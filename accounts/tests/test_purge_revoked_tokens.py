from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import LoginSession, RevokedToken
from accounts.tests.conftest import LOGOUT_URL, PROFILE_URL

pytestmark = pytest.mark.django_db


def _purge() -> str:
    out = StringIO()
    call_command("purge_revoked_tokens", stdout=out)
    return out.getvalue().strip()


def test_it_deletes_only_expired_records_and_says_how_many(clinician, login, bearer):
    client = bearer(login(clinician)["access_token"])
    client.post(LOGOUT_URL)  # two live records: the access token and its login
    past = timezone.now() - timedelta(seconds=1)
    RevokedToken.objects.create(key="jti:old-1", reason="logout", expires_at=past)
    RevokedToken.objects.create(key="legacy:" + "0" * 64, reason="legacy_import", expires_at=past)
    LoginSession.objects.create(family="f" * 32, user=clinician, expires_at=past)

    assert _purge() == "Deleted 2 expired revoked token record(s) and 1 expired login session(s)."

    assert RevokedToken.objects.count() == 2
    assert not RevokedToken.objects.filter(key__in=["jti:old-1", "legacy:" + "0" * 64]).exists()
    # The logged-out token is still refused: its records were not expired.
    assert client.get(PROFILE_URL).status_code == 401
    assert _purge() == "Deleted 0 expired revoked token record(s) and 0 expired login session(s)."
