"""Bearer-token authentication in at most one query, none on a warm path with a shared
cache, and every invalidation (logout, password change, deactivation, role change) seen on
the very next request, the way users and staff make them (API, admin)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import authcache
from accounts.tests.conftest import LOGOUT_URL, PROFILE_URL
from accounts.tests.factories import FACTORY_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/consultations/"


@pytest.fixture
def shared_cache(settings, tmp_path):
    """A cache every process shares: Redis when the suite runs with REDIS_URL, otherwise a
    file-based one (shared between processes too), so the warm path runs on both."""
    if not django_settings.REDIS_URL:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
        }
    assert authcache.enabled()


@pytest.fixture
def local_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not authcache.enabled()


def _auth_queries(client, url=PROFILE_URL) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    touched = [q["sql"] for q in captured.captured_queries if "accounts_" in q["sql"]]
    return response, touched


def test_it_authenticates_in_one_query_without_the_password_hash_with_a_local_cache(local_cache, clinician, client_for):
    client = client_for(clinician)

    for _ in range(2):  # no caching at all: each request is one query
        _, queries = _auth_queries(client)
        assert len(queries) == 1
        assert '"accounts_user"."password",' not in queries[0]


def test_it_authenticates_the_list_in_at_most_one_query_overall_for_auth(local_cache, clinician, client_for):
    _, queries = _auth_queries(client_for(clinician), LIST_URL)

    assert len(queries) == 1


def test_it_needs_no_query_for_a_token_checked_before_with_a_shared_cache(
    shared_cache, clinician, client_for, django_assert_max_num_queries
):
    client = client_for(clinician)
    _, cold = _auth_queries(client)
    assert len(cold) == 1

    with django_assert_max_num_queries(0):
        response = client.get(PROFILE_URL)

    assert response.status_code == 200
    assert response.json()["email"] == clinician.email


def test_it_refuses_a_logged_out_token_on_the_next_request(shared_cache, clinician, login, bearer):
    tokens = login(clinician)
    client = bearer(tokens["access_token"])
    assert client.get(PROFILE_URL).status_code == 200  # now cached

    assert client.post(LOGOUT_URL, {"refresh_token": tokens["refresh_token"]}).status_code in (200, 204)

    response = client.get(PROFILE_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_it_refuses_other_logins_after_a_password_change(shared_cache, clinician, login, bearer):
    other = bearer(login(clinician)["access_token"])
    current = bearer(login(clinician)["access_token"])
    assert other.get(PROFILE_URL).status_code == 200  # now cached

    changed = current.patch(
        PROFILE_URL, {"current_password": FACTORY_PASSWORD, "new_password": "A-new-passw0rd-here"}, format="json"
    )
    assert changed.status_code == 200, changed.json()

    assert other.get(PROFILE_URL).status_code == 401


def test_it_refuses_a_token_once_staff_deactivate_the_user_in_the_admin(shared_cache, clinician, client_for):
    api = client_for(clinician)
    assert api.get(PROFILE_URL).status_code == 200  # now cached
    admin = Client()
    admin.force_login(UserFactory(role="patient", is_staff=True, is_superuser=True))

    response = admin.post(
        "/admin/accounts/user/", {"action": "deactivate_users", "_selected_action": [str(clinician.pk)]}
    )

    assert response.status_code == 302
    assert api.get(PROFILE_URL).status_code == 401


def test_it_sees_a_role_change_made_in_the_admin_on_the_next_request(shared_cache, clinician, client_for):
    api = client_for(clinician)
    assert api.get(LIST_URL).status_code == 200  # a clinician's list, now cached
    admin = Client()
    admin.force_login(UserFactory(role="patient", is_staff=True, is_superuser=True))

    response = admin.post(
        f"/admin/accounts/user/{clinician.pk}/change/",
        {"username": clinician.username, "role": "patient", "is_active": "on"},
    )

    assert response.status_code == 302
    assert api.get(PROFILE_URL).json()["role"] == "patient"
    assert api.get(LIST_URL).status_code == 403


def test_it_keeps_node_tokens_working_warm_and_refuses_them_after_logout(
    shared_cache, node_token, bearer, django_assert_max_num_queries
):
    user = UserFactory(role="clinician", legacy_id="5f1d7a9e2b3c4d5e6f708192")
    raw = node_token(user.legacy_id)
    client = bearer(raw)
    _, cold = _auth_queries(client)
    assert len(cold) == 1
    with django_assert_max_num_queries(0):
        assert client.get(PROFILE_URL).status_code == 200

    assert client.post(LOGOUT_URL, {}, format="json").status_code in (200, 204)

    assert client.get(PROFILE_URL).status_code == 401
