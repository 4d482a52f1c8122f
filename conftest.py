"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from scribe.testing.cache import cache_clear

# Test settings (fast hashers, per-worker cache keys), frozen_clock, and the stub servers
# for the AI provider and the NHS terminology server (openai_stub, nhs_stub).
pytest_plugins = ["scribe.testing.fixtures"]


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters and cached lookups must not leak between tests (on Redis:
    # only this worker's keys; see scribe.testing.fixtures).
    cache_clear()
    yield
    cache_clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def clinician(db):
    return UserFactory(role="clinician")


@pytest.fixture
def other_clinician(db):
    return UserFactory(role="clinician")


@pytest.fixture
def patient(db):
    return UserFactory(role="patient")


@pytest.fixture
def staff_user(db):
    """Staff who is not a clinician: the admin site, no extra API powers."""
    return UserFactory(role="patient", is_staff=True)


@pytest.fixture
def client_for():
    """``client_for(user)``: an APIClient that sends that user's real bearer token."""

    def make(user) -> APIClient:
        from accounts.tokens import token_pair_for

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_for(user)['access_token']}")
        return client

    return make
