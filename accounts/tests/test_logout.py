from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tests.conftest import LOGOUT_URL, PROFILE_URL, REFRESH_URL

pytestmark = pytest.mark.django_db

REVOKED = "Session logged out. Please log in again."


def test_it_logs_out_and_the_access_token_stops(clinician, login, bearer):
    client = bearer(login(clinician)["access_token"])

    response = client.post(LOGOUT_URL)

    assert response.status_code == 200
    assert response.json() == {"message": "User logged out successfully"}
    after = client.get(PROFILE_URL)
    assert after.status_code == 401
    assert after.json()["detail"] == REVOKED
    assert after.json()["code"] == "token_revoked"


def test_it_revokes_the_refresh_token_sent_with_logout(clinician, login, bearer):
    tokens = login(clinician)

    bearer(tokens["access_token"]).post(LOGOUT_URL, {"refresh_token": tokens["refresh_token"]})

    response = APIClient().post(REFRESH_URL, {"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401
    assert response.json()["detail"] == REVOKED


def test_it_ends_only_this_login(clinician, login, bearer):
    mine = login(clinician)
    other_device = login(clinician)

    bearer(mine["access_token"]).post(LOGOUT_URL)

    assert bearer(other_device["access_token"]).get(PROFILE_URL).status_code == 200
    assert APIClient().post(REFRESH_URL, {"refresh_token": other_device["refresh_token"]}).status_code == 200


def test_it_ends_the_whole_login_of_the_refresh_token_sent_with_logout(clinician, login, bearer):
    # The access token of one login, the refresh token of another (e.g. two tabs): both end.
    mine = login(clinician)
    other_tab = login(clinician)

    bearer(mine["access_token"]).post(LOGOUT_URL, {"refresh_token": other_tab["refresh_token"]})

    response = bearer(other_tab["access_token"]).get(PROFILE_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == REVOKED
    assert APIClient().post(REFRESH_URL, {"refresh_token": other_tab["refresh_token"]}).status_code == 401


def test_it_does_not_revoke_another_users_refresh_token(clinician, other_clinician, login, bearer):
    theirs = login(other_clinician)

    response = bearer(login(clinician)["access_token"]).post(LOGOUT_URL, {"refresh_token": theirs["refresh_token"]})

    assert response.status_code == 200
    assert APIClient().post(REFRESH_URL, {"refresh_token": theirs["refresh_token"]}).status_code == 200


def test_it_needs_a_token(api_client):
    assert api_client.post(LOGOUT_URL).status_code == 401


def test_it_answers_401_to_a_second_logout(clinician, login, bearer):
    client = bearer(login(clinician)["access_token"])
    client.post(LOGOUT_URL)

    response = client.post(LOGOUT_URL)

    assert response.status_code == 401
    assert response.json()["detail"] == REVOKED
