"""Views limited with django-ratelimit's decorators answer 429 + Retry-After, never 403."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("accounts.tests.urls_roles")]


@pytest.mark.parametrize(("client_class", "path"), [(APIClient, "/decorated-api"), (Client, "/decorated-django")])
def test_it_turns_a_decorator_limit_into_429_with_retry_after(client_class, path):
    client = client_class()
    assert client.get(path).status_code == 200

    response = client.get(path)

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
