from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_welcomes_with_the_version(api_client):
    response = api_client.get("/")
    assert response.status_code == 200
    # `msg` is the Node.js backend's welcome (LEGACY_API.md), beside Scribe's own keys.
    assert response.json() == {
        "msg": "welcome to the server",
        "message": "Welcome to Scribe API v2.0",
        "version": "2.0.0",
    }


def test_it_reports_liveness(api_client):
    response = api_client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


def test_it_reports_readiness_of_database_and_cache(api_client):
    response = api_client.get(reverse("health-ready"))
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}
