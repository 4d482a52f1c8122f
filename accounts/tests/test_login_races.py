"""A deactivation or password change that lands while a login is checking the password
wins: the login is refused and the session it started is revoked."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import LoginSession, RevokedToken, User
from accounts.tests import hashers as interrupting
from accounts.tests.conftest import LOGIN_URL
from accounts.tests.factories import FACTORY_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def interrupted(settings):
    settings.PASSWORD_HASHERS = ["accounts.tests.hashers.InterruptingArgon2PasswordHasher"]
    yield interrupting.AFTER_VERIFY
    interrupting.AFTER_VERIFY.clear()


def _login(user):
    return APIClient().post(LOGIN_URL, {"email": user.email, "password": FACTORY_PASSWORD})


def test_it_logs_in_when_nothing_interrupts(interrupted, clinician):
    assert _login(clinician).status_code == 200
    assert not RevokedToken.objects.exists()


@pytest.mark.parametrize(
    "concurrent_write",
    [
        pytest.param({"is_active": False}, id="deactivated"),
        pytest.param({"password_changed_at": "now"}, id="password-changed"),
    ],
)
def test_it_refuses_a_login_that_raced_a_concurrent_change(interrupted, clinician, concurrent_write):
    values = {k: timezone.now() if v == "now" else v for k, v in concurrent_write.items()}
    interrupted.append(lambda: User.objects.filter(pk=clinician.pk).update(**values))

    response = _login(clinician)

    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password"
    assert "access_token" not in response.json()
    clinician.refresh_from_db()
    assert clinician.last_login is None
    # The session the login had already started is revoked, not left usable.
    assert RevokedToken.objects.filter(reason="race").count() == LoginSession.objects.count() == 1
