"""Fixtures for the accounts tests: logins through the API and Node.js-era artefacts."""

from __future__ import annotations

import time

import bcrypt
import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.tests.factories import FACTORY_PASSWORD

LOGIN_URL = "/api/v1/users/login"
REFRESH_URL = "/api/v1/users/refresh"
LOGOUT_URL = "/api/v1/users/logout"
PROFILE_URL = "/api/v1/users/profile"
REGISTER_URL = "/api/v1/users/register"


@pytest.fixture
def login():
    """``login(user_or_email, password=...)`` -> the login response's JSON (asserts 200)."""

    def do(who, password: str = FACTORY_PASSWORD) -> dict:
        email = who if isinstance(who, str) else who.email
        response = APIClient().post(LOGIN_URL, {"email": email, "password": password})
        assert response.status_code == 200, response.json()
        return response.json()

    return do


@pytest.fixture
def bearer():
    """``bearer(access_token)`` -> an APIClient sending it."""

    def make(token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


@pytest.fixture
def node_token():
    """A token as the Node.js backend issued it: ``{userID, author, iat, exp}``, HS256."""

    def make(legacy_id: str, *, secret: str | None = None, lifetime: int = 3600, **claims) -> str:
        now = int(time.time())
        payload = {"userID": legacy_id, "author": "legacy-user", "iat": now, "exp": now + lifetime, **claims}
        return jwt.encode(payload, secret or settings.LEGACY_JWT_SECRET_KEY, algorithm="HS256")

    return make


@pytest.fixture
def node_bcrypt():
    """``node_bcrypt(password, prefix="2b")`` -> a raw hash as node-bcrypt ($2b$) or bcryptjs ($2a$) stored it."""

    def make(password: str, prefix: str = "2b") -> str:
        # bcrypt (Python) refuses >72 bytes; the Node libraries silently used the first 72.
        raw = password.encode("utf-8")[:72]
        return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=4, prefix=prefix.encode())).decode()

    return make
