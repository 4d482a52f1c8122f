"""Tokens the Node.js backend issued keep working until they expire."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from accounts.models import RevokedToken
from accounts.services import legacy_token_revoke
from accounts.tests.conftest import LOGOUT_URL, PROFILE_URL
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LEGACY_ID = "64b7f0c2a1e4d3b2c1a09f8e"
INVALID = "Invalid authentication credentials"
REVOKED = "Session logged out. Please log in again."


@pytest.fixture
def legacy_clinician(db):
    return UserFactory(role="clinician", legacy_id=LEGACY_ID)


def test_it_accepts_a_node_token_through_the_users_legacy_id(legacy_clinician, node_token, bearer):
    response = bearer(node_token(LEGACY_ID)).get(PROFILE_URL)

    assert response.status_code == 200
    assert response.json()["id"] == str(legacy_clinician.pk)


def test_it_accepts_a_node_token_signed_with_a_separate_legacy_secret(settings, legacy_clinician, node_token, bearer):
    settings.LEGACY_JWT_SECRET_KEY = "the-node-apps-tokenSecretKey-value-0123456789"

    assert bearer(node_token(LEGACY_ID)).get(PROFILE_URL).status_code == 200
    assert bearer(node_token(LEGACY_ID, secret=settings.JWT_SECRET_KEY)).get(PROFILE_URL).status_code == 401


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda mk: mk(LEGACY_ID, lifetime=-1), id="expired"),
        pytest.param(lambda mk: mk(LEGACY_ID, secret="some-other-secret-of-sufficient-length"), id="other-secret"),
        pytest.param(lambda mk: mk("0123456789abcdef01234567"), id="unknown-legacy-id"),
        pytest.param(lambda mk: mk("not-hex-not-hex-not-hex!"), id="malformed-legacy-id"),
        pytest.param(lambda mk: mk(LEGACY_ID, token_type="access", jti="x"), id="scribe-claims-on-a-legacy-token"),
    ],
)
def test_it_refuses_bad_node_tokens(legacy_clinician, node_token, bearer, make):
    response = bearer(make(node_token)).get(PROFILE_URL)

    assert response.status_code == 401
    assert response.json()["detail"] == INVALID


def test_it_refuses_a_node_token_with_a_tampered_payload(legacy_clinician, node_token, bearer):
    other = UserFactory(legacy_id="aaaaaaaaaaaaaaaaaaaaaaaa")
    header, payload, signature = node_token(LEGACY_ID).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "userID": other.legacy_id}).encode()).rstrip(b"=")

    response = bearer(f"{header}.{forged.decode()}.{signature}").get(PROFILE_URL)

    assert response.status_code == 401


def test_it_refuses_a_node_token_with_a_tampered_signature(legacy_clinician, node_token, bearer):
    header, payload, signature = node_token(LEGACY_ID).split(".")
    flipped = ("B" if signature[10] == "A" else "A").join([signature[:10], signature[11:]])

    assert bearer(f"{header}.{payload}.{flipped}").get(PROFILE_URL).status_code == 401


def test_it_refuses_a_node_token_with_alg_none(legacy_clinician, bearer):
    now = int(time.time())
    token = jwt.encode({"userID": LEGACY_ID, "author": "x", "iat": now, "exp": now + 600}, None, algorithm="none")

    assert bearer(token).get(PROFILE_URL).status_code == 401


def test_it_refuses_a_node_token_without_exp(legacy_clinician, settings, bearer):
    token = jwt.encode({"userID": LEGACY_ID, "author": "x", "iat": int(time.time())}, settings.LEGACY_JWT_SECRET_KEY)

    assert bearer(token).get(PROFILE_URL).status_code == 401


def test_it_refuses_a_node_token_of_a_deactivated_user(legacy_clinician, node_token, bearer):
    legacy_clinician.is_active = False
    legacy_clinician.save()

    assert bearer(node_token(LEGACY_ID)).get(PROFILE_URL).status_code == 401


def test_it_revokes_a_node_token_on_logout_keyed_by_its_hash(legacy_clinician, node_token, bearer):
    token = node_token(LEGACY_ID)
    client = bearer(token)

    assert client.post(LOGOUT_URL).status_code == 200
    response = client.get(PROFILE_URL)

    assert response.status_code == 401
    assert response.json()["detail"] == REVOKED
    # No part of the token (header, payload or signature) is stored, only its hash.
    for key in RevokedToken.objects.values_list("key", flat=True):
        assert all(part not in key for part in token.split("."))


def test_it_imports_a_blacktokens_entry_idempotently(legacy_clinician, node_token, bearer):
    token = node_token(LEGACY_ID)

    assert legacy_token_revoke(token=token) is True
    assert legacy_token_revoke(token=token) is False

    response = bearer(token).get(PROFILE_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == REVOKED
    row = RevokedToken.objects.get()
    assert token not in row.key
    assert int(row.expires_at.timestamp()) == jwt.decode(token, options={"verify_signature": False})["exp"]
    # Another token of the same user is unaffected.
    assert bearer(node_token(LEGACY_ID, lifetime=1200)).get(PROFILE_URL).status_code == 200


def test_it_records_an_undecodable_blacktoken_without_failing():
    assert legacy_token_revoke(token="not-a-jwt-at-all") is True
    assert legacy_token_revoke(token="not-a-jwt-at-all") is False
    assert legacy_token_revoke(token="") is False
