from __future__ import annotations

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.tests import hashers as counting
from accounts.tests.conftest import LOGIN_URL, PROFILE_URL
from accounts.tests.factories import FACTORY_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_it_logs_in_and_returns_tokens_and_the_user(clinician):
    response = APIClient().post(LOGIN_URL, {"email": clinician.email, "password": FACTORY_PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["user"] == {
        "id": str(clinician.pk),
        "username": clinician.username,
        "email": clinician.email,
        "role": "clinician",
        "created_at": body["user"]["created_at"],
        "legacy_id": None,
    }


def test_it_signs_hs256_tokens_with_the_jwt_secret_and_the_contract_claims(clinician, login):
    body = login(clinician)

    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    claims = jwt.decode(body["access_token"], settings.JWT_SECRET_KEY, algorithms=["HS256"])
    assert claims["userID"] == str(clinician.pk)
    assert claims["author"] == clinician.username
    assert claims["role"] == "clinician"
    assert claims["token_type"] == "access"
    assert claims["jti"]
    assert claims["exp"] - claims["iat"] == 60 * 60
    refresh = jwt.decode(body["refresh_token"], settings.JWT_SECRET_KEY, algorithms=["HS256"])
    assert refresh["token_type"] == "refresh"
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(body["access_token"], settings.SECRET_KEY, algorithms=["HS256"])


def test_it_records_the_last_login(clinician, login):
    assert clinician.last_login is None

    login(clinician)

    clinician.refresh_from_db()
    assert clinician.last_login is not None


def test_it_finds_the_account_whatever_the_email_case(clinician):
    response = APIClient().post(LOGIN_URL, {"email": "  " + clinician.email.upper(), "password": FACTORY_PASSWORD})

    assert response.status_code == 200


def test_it_gives_the_same_answer_for_a_wrong_password_and_an_unknown_email(clinician):
    wrong = APIClient().post(LOGIN_URL, {"email": clinician.email, "password": "not-the-password"})
    unknown = APIClient().post(LOGIN_URL, {"email": "nobody@example.org", "password": "not-the-password"})

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "Incorrect email or password"
    assert wrong.json()["code"] == unknown.json()["code"]


def test_it_spends_one_argon2_hash_on_an_unknown_email_as_on_a_known_one(settings, clinician):
    settings.PASSWORD_HASHERS = [
        "accounts.tests.hashers.CountingArgon2PasswordHasher",
        "accounts.hashers.LegacyNodeBcryptHasher",
    ]
    counting.CALLS.clear()
    APIClient().post(LOGIN_URL, {"email": clinician.email, "password": "not-the-password"})
    known = list(counting.CALLS)
    counting.CALLS.clear()
    APIClient().post(LOGIN_URL, {"email": "nobody@example.org", "password": "not-the-password"})
    unknown = list(counting.CALLS)

    assert known == ["verify"]
    assert unknown == ["encode"]


def test_it_refuses_a_deactivated_account_with_the_same_words():
    user = UserFactory(is_active=False)

    response = APIClient().post(LOGIN_URL, {"email": user.email, "password": FACTORY_PASSWORD})

    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password"


def test_it_requires_both_fields():
    response = APIClient().post(LOGIN_URL, {"email": "a@b.org"})

    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_it_ignores_a_stale_bearer_token_on_login(clinician):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

    response = client.post(LOGIN_URL, {"email": clinician.email, "password": FACTORY_PASSWORD})

    assert response.status_code == 200


def test_it_lets_the_new_token_read_the_profile(clinician, login, bearer):
    token = login(clinician)["access_token"]

    response = bearer(token).get(PROFILE_URL)

    assert response.status_code == 200
    assert response.json()["id"] == str(clinician.pk)
