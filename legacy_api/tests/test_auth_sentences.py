"""Node's four sentences for authentication failures, on the Node.js routes only."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from accounts.tokens import new_session_tokens

pytestmark = pytest.mark.django_db

LEGACY_ID = "68e226a411e81818f8c99d5d"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def node_token(*, exp_in: int, secret: str | None = None) -> str:
    now = int(time.time())
    claims = {"userID": LEGACY_ID, "author": "dr_priya0", "iat": now - 7200, "exp": now + exp_in}
    return jwt.encode(claims, secret or settings.LEGACY_JWT_SECRET_KEY, algorithm="HS256")


@pytest.fixture
def legacy_clinician():
    return UserFactory(role="clinician", legacy_id=LEGACY_ID)


def test_it_says_no_token_was_provided():
    body = APIClient().get("/users/profile").json()
    assert body["msg"] == "Please login, no token provided"
    assert {"detail", "code", "request_id"} <= set(body)


def test_it_says_an_expired_scribe_token_expired(legacy_clinician):
    access, _ = new_session_tokens(user=legacy_clinician, family="f" * 32)
    access.set_exp(lifetime=-timedelta(minutes=1))
    response = bearer(str(access)).get("/users/profile")
    assert response.status_code == 401
    assert response.json()["msg"] == "Token expired. Please log in again."


def test_it_says_an_expired_node_token_expired(legacy_clinician):
    response = bearer(node_token(exp_in=-60)).get("/api/consultation")
    assert response.status_code == 401
    assert response.json()["msg"] == "Token expired. Please log in again."


def test_it_calls_a_forged_expired_token_invalid_not_expired(legacy_clinician):
    response = bearer(node_token(exp_in=-60, secret="not-the-secret-at-all-0123456789")).get("/api/consultation")
    assert response.status_code == 401
    assert response.json()["msg"] == "Not authorized, invalid token"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_it_calls_any_other_bad_token_invalid(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}".strip())
    response = client.get("/api/prompts")
    assert response.status_code == 401
    assert response.json()["msg"] == "Not authorized, invalid token"


def test_it_says_a_logged_out_token_is_logged_out(legacy_clinician):
    client = bearer(node_token(exp_in=3600))
    assert client.get("/users/profile").status_code == 200
    assert client.post("/users/logout").json() == {"msg": "user logged out successfully"}
    response = client.get("/users/profile")
    assert response.status_code == 401
    assert response.json()["msg"] == "Session logged out. Please log in again."


def test_it_keeps_the_api_v1_wording(legacy_clinician):
    response = bearer(node_token(exp_in=-60)).get("/api/v1/users/profile")
    assert response.status_code == 401
    assert "msg" not in response.json()
    assert response.json()["detail"] == "Invalid authentication credentials"
