"""Refresh tokens rotate; a rotated one presented again ends the whole login."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tests.conftest import PROFILE_URL, REFRESH_URL

pytestmark = pytest.mark.django_db

REVOKED = "Session logged out. Please log in again."


def _refresh(token: str):
    return APIClient().post(REFRESH_URL, {"refresh_token": token})


def test_it_rotates_the_refresh_token_and_answers_like_login(clinician, login, bearer):
    first = login(clinician)

    response = _refresh(first["refresh_token"])

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["user"]["id"] == str(clinician.pk)
    assert body["refresh_token"] != first["refresh_token"]
    assert bearer(body["access_token"]).get(PROFILE_URL).status_code == 200
    assert _refresh(body["refresh_token"]).status_code == 200


def test_it_revokes_the_whole_login_when_a_rotated_refresh_token_comes_back(clinician, login, bearer):
    first = login(clinician)
    second = _refresh(first["refresh_token"]).json()
    third = _refresh(second["refresh_token"]).json()

    reuse = _refresh(first["refresh_token"])

    assert reuse.status_code == 401
    assert reuse.json()["detail"] == REVOKED
    # Every token descended from that login is now dead...
    assert _refresh(third["refresh_token"]).status_code == 401
    for access in (first["access_token"], second["access_token"], third["access_token"]):
        response = bearer(access).get(PROFILE_URL)
        assert response.status_code == 401
        assert response.json()["detail"] == REVOKED


def test_it_leaves_the_users_other_logins_alone_on_reuse(clinician, login, bearer, settings):
    settings.REFRESH_REUSE_GRACE_SECONDS = 0  # reuse at once (the grace window: test_refresh_grace)
    victim = login(clinician)
    other = login(clinician)
    _refresh(victim["refresh_token"])

    assert _refresh(victim["refresh_token"]).status_code == 401

    assert bearer(other["access_token"]).get(PROFILE_URL).status_code == 200
    assert _refresh(other["refresh_token"]).status_code == 200


def test_it_refuses_an_access_token_as_a_refresh_token(clinician, login):
    response = _refresh(login(clinician)["access_token"])

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid authentication credentials"


@pytest.mark.parametrize("claim", ["sid", "userID"])
def test_it_refuses_a_signed_refresh_token_without_its_login_or_user(clinician, login, claim):
    # simplejwt's own refresh tokens carry neither: one must not reach the rotation.
    import jwt
    from django.conf import settings

    claims = jwt.decode(login(clinician)["refresh_token"], settings.JWT_SECRET_KEY, algorithms=["HS256"])
    del claims[claim]

    response = _refresh(jwt.encode(claims, settings.JWT_SECRET_KEY, algorithm="HS256"))

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid authentication credentials"


def test_it_refuses_a_garbage_refresh_token():
    assert _refresh("nonsense").status_code == 401


def test_it_refuses_to_refresh_for_a_deactivated_user(clinician, login):
    tokens = login(clinician)
    clinician.is_active = False
    clinician.save()

    assert _refresh(tokens["refresh_token"]).status_code == 401


def test_it_needs_the_refresh_token_field():
    response = APIClient().post(REFRESH_URL, {})

    assert response.status_code == 400
    assert "refresh_token" in response.json()["errors"]


def test_it_issues_tokens_with_the_users_current_role(clinician, login):
    import jwt
    from django.conf import settings

    tokens = login(clinician)
    clinician.role = "patient"
    clinician.save()

    body = _refresh(tokens["refresh_token"]).json()

    assert jwt.decode(body["access_token"], settings.JWT_SECRET_KEY, algorithms=["HS256"])["role"] == "patient"
