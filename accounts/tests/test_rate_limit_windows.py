"""Rate-limit waits with a controlled clock: the email lockout's window starts at the first
failure (not at a clock boundary), and Retry-After is the longest wait among the refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from rest_framework.test import APIClient

from accounts.tests.conftest import LOGIN_URL
from accounts.tests.factories import FACTORY_PASSWORD

pytestmark = pytest.mark.django_db

# Just before a quarter-hour boundary: a clock-aligned 15-minute window would end seconds later.
START = "2026-03-02 09:14:50"


def _login(email: str, password: str = "wrong-password-here", ip: str = "10.0.0.1"):
    return APIClient().post(LOGIN_URL, {"email": email, "password": password}, REMOTE_ADDR=ip)


def test_it_locks_an_email_for_the_whole_period_from_its_first_failure(settings, clinician):
    settings.RATELIMIT_LOGIN_EMAIL = "3/15m"
    with freeze_time(START) as clock:
        for n in range(3):
            assert _login(clinician.email, ip=f"10.0.1.{n}").status_code == 401
            clock.tick(timedelta(seconds=2))
        # The first failure was 6 s ago: 894 s of the lockout are left, across the boundary.
        clock.tick(timedelta(seconds=4))
        limited = _login(clinician.email, FACTORY_PASSWORD, ip="10.0.2.1")
        assert limited.status_code == 429
        assert limited["Retry-After"] == "890"
        clock.tick(timedelta(seconds=889))
        limited = _login(clinician.email, FACTORY_PASSWORD, ip="10.0.2.2")
        assert limited.status_code == 429
        assert limited["Retry-After"] == "1"
        clock.tick(timedelta(seconds=1))
        assert _login(clinician.email, FACTORY_PASSWORD, ip="10.0.2.3").status_code == 200


def test_it_starts_a_new_window_after_the_old_one_ended(settings, clinician):
    settings.RATELIMIT_LOGIN_EMAIL = "2/15m"
    with freeze_time(START) as clock:
        _login(clinician.email, ip="10.0.3.1")
        clock.tick(timedelta(minutes=16))
        _login(clinician.email, ip="10.0.3.2")  # one failure in the new window
        assert _login(clinician.email, FACTORY_PASSWORD, ip="10.0.3.3").status_code == 200


def test_it_answers_the_longest_wait_when_ip_and_email_both_refuse(settings, clinician):
    settings.RATELIMIT_LOGIN_IP = "3/m"
    settings.RATELIMIT_LOGIN_EMAIL = "3/15m"
    with freeze_time(START) as clock:
        for _ in range(3):
            assert _login(clinician.email).status_code == 401
        clock.tick(timedelta(seconds=10))
        limited = _login(clinician.email, FACTORY_PASSWORD)
        assert limited.status_code == 429
        # The IP's minute would say <= 60; the email's lockout has 890 s left.
        assert limited["Retry-After"] == "890"


def test_it_answers_the_ip_wait_when_only_the_ip_refuses(settings, clinician):
    settings.RATELIMIT_LOGIN_IP = "2/m"
    with freeze_time(START):
        for n in range(2):
            _login(f"someone{n}@example.org")
        limited = _login(clinician.email, FACTORY_PASSWORD)
        assert limited.status_code == 429
        assert 1 <= int(limited["Retry-After"]) <= 60
