"""Account rate limits: 429 with Retry-After, never 403; switchable; proxy-aware."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tests.conftest import LOGIN_URL, REFRESH_URL, REGISTER_URL
from accounts.tests.factories import FACTORY_PASSWORD, UserFactory

# Fixed windows: a stopped clock keeps each test's requests in one window however slow
# the machine (four Argon2 logins once straddled a minute's edge under load).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def _login(email: str, password: str = "wrong-password-here", **extra):
    return APIClient().post(LOGIN_URL, {"email": email, "password": password}, **extra)


def _assert_limited(response):
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1


def test_it_limits_logins_per_ip_with_retry_after(settings):
    settings.RATELIMIT_LOGIN_IP = "3/m"
    for n in range(3):
        assert _login(f"someone{n}@example.org").status_code == 401

    limited = _login("someone-else@example.org")

    _assert_limited(limited)
    assert int(limited["Retry-After"]) <= 60
    # Another address is not affected.
    assert _login("x@example.org", REMOTE_ADDR="10.1.2.3").status_code == 401


def test_it_limits_failed_logins_per_email_even_with_the_right_password(settings, clinician):
    settings.RATELIMIT_LOGIN_EMAIL = "3/15m"
    for _ in range(3):
        assert _login(clinician.email, REMOTE_ADDR=f"10.0.0.{_}").status_code == 401

    limited = _login(clinician.email, FACTORY_PASSWORD, REMOTE_ADDR="10.9.9.9")

    _assert_limited(limited)
    assert 1 <= int(limited["Retry-After"]) <= 15 * 60
    # A colleague behind the same address still logs in.
    colleague = UserFactory()
    assert _login(colleague.email, FACTORY_PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 200


def test_it_does_not_count_successful_logins_against_the_email(settings, clinician):
    settings.RATELIMIT_LOGIN_EMAIL = "2/15m"

    for _ in range(4):
        assert _login(clinician.email, FACTORY_PASSWORD).status_code == 200


def test_it_limits_the_email_whatever_its_letter_case(settings, clinician):
    settings.RATELIMIT_LOGIN_EMAIL = "2/15m"
    _login(clinician.email.upper())
    _login(clinician.email)

    _assert_limited(_login(clinician.email.title(), FACTORY_PASSWORD))


def test_it_limits_registrations_per_ip(settings):
    settings.RATELIMIT_REGISTER_IP = "2/h"
    body = {"username": "someone", "password": "Quiet-Harbour-42", "role": "patient"}
    for n in range(2):
        assert APIClient().post(REGISTER_URL, {**body, "email": f"p{n}@example.org"}).status_code == 201

    limited = APIClient().post(REGISTER_URL, {**body, "email": "p9@example.org"})

    _assert_limited(limited)
    assert int(limited["Retry-After"]) <= 3600


def test_it_limits_refreshes_per_user(settings, clinician, login):
    settings.RATELIMIT_REFRESH_USER = "2/m"
    token = login(clinician)["refresh_token"]
    for _ in range(2):
        response = APIClient().post(REFRESH_URL, {"refresh_token": token})
        assert response.status_code == 200
        token = response.json()["refresh_token"]

    limited = APIClient().post(REFRESH_URL, {"refresh_token": token})

    _assert_limited(limited)
    # The limited token was not rotated: it works once the window has passed.
    settings.RATELIMIT_REFRESH_USER = "100/m"
    assert APIClient().post(REFRESH_URL, {"refresh_token": token}).status_code == 200


def test_it_can_be_switched_off(settings):
    settings.RATELIMIT_ENABLE = False
    settings.RATELIMIT_LOGIN_IP = "1/m"

    for n in range(4):
        assert _login(f"p{n}@example.org").status_code == 401


def test_it_ignores_x_forwarded_for_unless_proxies_are_trusted(settings):
    settings.RATELIMIT_LOGIN_IP = "2/m"
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(2):
        _login("a@example.org", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    _assert_limited(_login("a@example.org", HTTP_X_FORWARDED_FOR="203.0.113.77"))


def test_it_limits_the_client_address_a_trusted_proxy_saw(settings):
    settings.RATELIMIT_LOGIN_IP = "2/m"
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(2):
        _login("a@example.org", HTTP_X_FORWARDED_FOR="203.0.113.5")

    _assert_limited(_login("a@example.org", HTTP_X_FORWARDED_FOR="203.0.113.5"))
    # Same proxy (REMOTE_ADDR), another clinic: not limited.
    assert _login("a@example.org", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 401
    # A spoofed extra hop written by the client does not change who is counted.
    _assert_limited(_login("a@example.org", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5"))
