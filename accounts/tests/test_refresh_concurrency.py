"""Refreshes racing with one refresh token (tabs refreshing at once): one rotation wins,
and within the grace window the others get the very pair it issued; the login lives on.

No transaction or lock decides it: the unique insert of the token's jti does.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.tests.conftest import PROFILE_URL, REFRESH_URL
from accounts.tokens import token_pair_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_answers_racing_refreshes_with_one_pair_and_keeps_the_login(clinician, bearer):
    tokens = token_pair_for(clinician)

    def refresh(_):
        try:
            return APIClient().post(REFRESH_URL, {"refresh_token": tokens["refresh_token"]})
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(refresh, range(4)))

    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    pairs = {(r.json()["access_token"], r.json()["refresh_token"]) for r in responses}
    assert len(pairs) == 1
    ((access, refresh_token),) = pairs
    assert bearer(access).get(PROFILE_URL).status_code == 200
    assert APIClient().post(REFRESH_URL, {"refresh_token": refresh_token}).status_code == 200


def test_it_still_revokes_the_login_when_racing_refreshes_come_after_the_grace(clinician, bearer, settings):
    settings.REFRESH_REUSE_GRACE_SECONDS = 0
    tokens = token_pair_for(clinician)

    def refresh(_):
        try:
            return APIClient().post(REFRESH_URL, {"refresh_token": tokens["refresh_token"]})
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(refresh, range(4)))

    # Same second, but no grace: the copies end the login (the winner's pair included).
    assert 200 in [r.status_code for r in responses]
    assert 401 in [r.status_code for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    assert APIClient().post(REFRESH_URL, {"refresh_token": winner["refresh_token"]}).status_code == 401
