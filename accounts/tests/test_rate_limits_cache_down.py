"""With the shared cache (Redis) down, logins keep working and stay rate limited.

Chosen behaviour (README "Rate limits"): count in this process's memory instead
and log a warning; neither fail open (unlimited password guessing during an outage)
nor fail closed (clinicians locked out by a cache blip).
"""

from __future__ import annotations

import logging
import socket

import pytest
import redis
from rest_framework.test import APIClient

from accounts.ratelimits import fallback_counters_clear
from accounts.tests.conftest import LOGIN_URL, REFRESH_URL
from accounts.tests.factories import FACTORY_PASSWORD
from accounts.tokens import token_pair_for

# Fixed windows (the fallback counters too): a stopped clock keeps each test in one window.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    from django.core.cache import cache

    with pytest.raises(redis.exceptions.ConnectionError):  # the precondition: the cache really is unreachable
        cache.get("anything")
    fallback_counters_clear()
    yield
    fallback_counters_clear()


def test_it_still_logs_in_when_the_cache_is_down(redis_down, clinician, caplog):
    caplog.set_level(logging.WARNING, logger="scribe.security")

    response = APIClient().post(LOGIN_URL, {"email": clinician.email, "password": FACTORY_PASSWORD})

    assert response.status_code == 200
    assert any(r.getMessage() == "ratelimit_cache_unavailable" for r in caplog.records)


def test_it_keeps_limiting_failed_logins_when_the_cache_is_down(redis_down, settings, clinician):
    settings.RATELIMIT_LOGIN_EMAIL = "3/15m"
    for _ in range(3):
        assert APIClient().post(LOGIN_URL, {"email": clinician.email, "password": "wrong-wrong"}).status_code == 401

    response = APIClient().post(LOGIN_URL, {"email": clinician.email, "password": FACTORY_PASSWORD})

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_it_still_refreshes_when_the_cache_is_down(clinician, redis_down):
    tokens = token_pair_for(clinician)

    response = APIClient().post(REFRESH_URL, {"refresh_token": tokens["refresh_token"]})

    assert response.status_code == 200
