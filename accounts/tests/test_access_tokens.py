"""Bearer tokens: only an untampered, unexpired HS256 Scribe access token signed with
JWT_SECRET_KEY (or a Node.js one, see test_legacy_tokens) gets in."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from django.conf import settings

from accounts.tests.conftest import PROFILE_URL

pytestmark = pytest.mark.django_db

INVALID = "Invalid authentication credentials"


def _claims(token: str) -> dict:
    return jwt.decode(token, settings.JWT_SECRET_KEY, algorithms=["HS256"])


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _assert_invalid(response):
    assert response.status_code == 401
    assert response.json()["detail"] == INVALID
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_accepts_its_own_access_token(clinician, login, bearer):
    assert bearer(login(clinician)["access_token"]).get(PROFILE_URL).status_code == 200


def test_it_refuses_a_request_without_a_token(api_client):
    response = api_client.get(PROFILE_URL)

    assert response.status_code == 401


def test_it_refuses_a_tampered_token(clinician, other_clinician, login, bearer):
    token = login(clinician)["access_token"]
    header, _payload, signature = token.split(".")
    forged = {**_claims(token), "userID": str(other_clinician.pk)}

    _assert_invalid(bearer(f"{header}.{_b64(forged)}.{signature}").get(PROFILE_URL))


def test_it_refuses_a_token_with_alg_none(clinician, login, bearer):
    claims = _claims(login(clinician)["access_token"])
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."

    _assert_invalid(bearer(unsigned).get(PROFILE_URL))


def test_it_refuses_a_token_signed_with_another_secret(clinician, login, bearer):
    claims = _claims(login(clinician)["access_token"])
    forged = jwt.encode(claims, "another-secret-that-is-long-enough-for-hs256", algorithm="HS256")

    _assert_invalid(bearer(forged).get(PROFILE_URL))


def test_it_refuses_a_token_signed_with_secret_key_instead_of_jwt_secret_key(clinician, login, bearer):
    claims = _claims(login(clinician)["access_token"])

    _assert_invalid(bearer(jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")).get(PROFILE_URL))


def test_it_refuses_an_expired_token(clinician, login, bearer):
    claims = _claims(login(clinician)["access_token"])
    now = int(time.time())
    expired = jwt.encode({**claims, "iat": now - 7200, "exp": now - 1}, settings.JWT_SECRET_KEY, algorithm="HS256")

    _assert_invalid(bearer(expired).get(PROFILE_URL))


@pytest.mark.parametrize("claim", ["sid", "userID"])
def test_it_refuses_a_signed_token_without_its_login_or_user(clinician, login, bearer, claim):
    claims = _claims(login(clinician)["access_token"])
    del claims[claim]

    _assert_invalid(bearer(jwt.encode(claims, settings.JWT_SECRET_KEY, algorithm="HS256")).get(PROFILE_URL))


def test_it_refuses_a_refresh_token_used_as_an_access_token(clinician, login, bearer):
    _assert_invalid(bearer(login(clinician)["refresh_token"]).get(PROFILE_URL))


def test_it_refuses_a_token_for_a_deleted_user(clinician, login, bearer):
    token = login(clinician)["access_token"]
    clinician.delete()

    _assert_invalid(bearer(token).get(PROFILE_URL))


def test_it_refuses_garbage(bearer):
    _assert_invalid(bearer("abc.def.ghi").get(PROFILE_URL))


@pytest.mark.parametrize("header", ["Bearer {token} extra", "Bearer", "Bearer ", "Bearer  "])
def test_it_refuses_a_malformed_authorization_header(clinician, login, api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header.format(token=login(clinician)["access_token"]))

    _assert_invalid(api_client.get(PROFILE_URL))
