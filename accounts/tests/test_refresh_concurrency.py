"""Two refreshes racing with one refresh token: one wins, and the copy ends the login.

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


def test_it_lets_exactly_one_of_two_racing_refreshes_win_and_revokes_the_login(clinician, bearer):
    tokens = token_pair_for(clinician)

    def refresh(_):
        try:
            return APIClient().post(REFRESH_URL, {"refresh_token": tokens["refresh_token"]})
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(refresh, range(4)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 401, 401, 401]
    winner = next(r for r in responses if r.status_code == 200).json()
    # The copy was presented, so the whole login is over, the winner's new tokens included.
    assert bearer(winner["access_token"]).get(PROFILE_URL).status_code == 401
    assert APIClient().post(REFRESH_URL, {"refresh_token": winner["refresh_token"]}).status_code == 401
