"""A refresh token sent twice within REFRESH_REUSE_GRACE_SECONDS (two tabs, a retry after a
lost answer) gets the pair already issued for it; later, or once that pair has moved on,
reuse still ends the whole login. Controlled clock, no sleeping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from rest_framework.test import APIClient

from accounts.tests.conftest import PROFILE_URL, REFRESH_URL

pytestmark = pytest.mark.django_db

REVOKED = "Session logged out. Please log in again."
START = "2026-03-02 09:00:00"


def _refresh(token: str):
    return APIClient().post(REFRESH_URL, {"refresh_token": token})


def _pair(body: dict) -> tuple[str, str, int]:
    return body["access_token"], body["refresh_token"], body["expires_in"]


def test_it_answers_a_second_tab_within_the_grace_window_with_the_same_pair(clinician, login, bearer, settings):
    settings.REFRESH_REUSE_GRACE_SECONDS = 30
    with freeze_time(START) as clock:
        tokens = login(clinician)
        first_tab = _refresh(tokens["refresh_token"])
        clock.tick(timedelta(seconds=29))
        second_tab = _refresh(tokens["refresh_token"])

        assert first_tab.status_code == 200
        assert second_tab.status_code == 200
        assert _pair(second_tab.json()) == _pair(first_tab.json())
        access, refresh, _ = _pair(first_tab.json())
        # The login lives on: the pair works, and rotates onwards.
        assert bearer(access).get(PROFILE_URL).status_code == 200
        clock.tick(timedelta(seconds=60))
        assert _refresh(refresh).status_code == 200


def test_it_revokes_the_login_when_the_token_comes_back_after_the_grace_window(clinician, login, bearer, settings):
    settings.REFRESH_REUSE_GRACE_SECONDS = 30
    with freeze_time(START) as clock:
        tokens = login(clinician)
        rotated = _refresh(tokens["refresh_token"]).json()
        clock.tick(timedelta(seconds=31))

        reuse = _refresh(tokens["refresh_token"])

        assert reuse.status_code == 401
        assert reuse.json()["detail"] == REVOKED
        assert bearer(rotated["access_token"]).get(PROFILE_URL).status_code == 401
        assert _refresh(rotated["refresh_token"]).status_code == 401


def test_it_revokes_the_login_when_the_pair_issued_for_it_was_already_rotated(clinician, login, bearer, settings):
    settings.REFRESH_REUSE_GRACE_SECONDS = 30
    with freeze_time(START) as clock:
        tokens = login(clinician)
        second = _refresh(tokens["refresh_token"]).json()
        clock.tick(timedelta(seconds=2))
        third = _refresh(second["refresh_token"]).json()
        clock.tick(timedelta(seconds=2))

        # Within the window, but the chain moved on: a copy, not a second tab.
        assert _refresh(tokens["refresh_token"]).status_code == 401
        assert bearer(third["access_token"]).get(PROFILE_URL).status_code == 401


def test_it_gives_nothing_back_for_a_logged_out_login_within_the_window(clinician, login, bearer, settings):
    settings.REFRESH_REUSE_GRACE_SECONDS = 30
    with freeze_time(START):
        tokens = login(clinician)
        rotated = _refresh(tokens["refresh_token"]).json()
        assert bearer(rotated["access_token"]).post("/api/v1/users/logout", {}, format="json").status_code == 200

        assert _refresh(tokens["refresh_token"]).status_code == 401


def test_it_can_turn_the_grace_off(clinician, login, settings):
    settings.REFRESH_REUSE_GRACE_SECONDS = 0
    with freeze_time(START) as clock:
        tokens = login(clinician)
        _refresh(tokens["refresh_token"])
        clock.tick(timedelta(seconds=1))
        assert _refresh(tokens["refresh_token"]).status_code == 401
