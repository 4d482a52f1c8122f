from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.conftest import LOGIN_URL, PROFILE_URL, REFRESH_URL
from accounts.tests.factories import FACTORY_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Lantern-Meadow-3141"


def _row(user) -> dict:
    return (
        User.objects.filter(pk=user.pk)
        .values(
            "email", "username", "role", "is_staff", "is_superuser", "is_active", "password", "created_at", "legacy_id"
        )
        .get()
    )


def test_it_shows_the_callers_profile(patient, client_for):
    response = client_for(patient).get(PROFILE_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": str(patient.pk),
        "username": patient.username,
        "email": patient.email,
        "role": "patient",
        "created_at": response.json()["created_at"],
        "legacy_id": None,
    }


def test_it_changes_the_username(clinician, client_for):
    response = client_for(clinician).patch(PROFILE_URL, {"username": "dr-renamed"})

    assert response.status_code == 200
    assert response.json()["username"] == "dr-renamed"
    clinician.refresh_from_db()
    assert clinician.username == "dr-renamed"


@pytest.mark.parametrize(
    "body",
    [
        {"role": "clinician"},
        {"is_staff": True},
        {"is_superuser": True},
        {"id": "1"},
        {"email": "new@example.org"},
        {"is_active": False},
        {"username": "fine-name", "role": "clinician"},
        {"username": "fine-name", "is_staff": True},
    ],
)
def test_it_rejects_mass_assignment_and_leaves_the_row_unchanged(patient, client_for, body):
    before = _row(patient)

    response = client_for(patient).patch(PROFILE_URL, body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert _row(patient) == before


def test_it_rejects_a_too_short_username_and_leaves_the_row_unchanged(patient, client_for):
    before = _row(patient)

    assert client_for(patient).patch(PROFILE_URL, {"username": "ab"}).status_code == 400
    assert _row(patient) == before


def test_it_needs_the_current_password_to_change_it(clinician, client_for):
    before = _row(clinician)

    response = client_for(clinician).patch(PROFILE_URL, {"new_password": NEW_PASSWORD})

    assert response.status_code == 400
    assert "current_password" in response.json()["errors"]
    assert _row(clinician) == before


def test_it_refuses_a_wrong_current_password_and_writes_nothing(clinician, client_for):
    before = _row(clinician)

    response = client_for(clinician).patch(
        PROFILE_URL, {"current_password": "wrong-one-entirely", "new_password": NEW_PASSWORD, "username": "changed"}
    )

    assert response.status_code == 400
    assert "current_password" in response.json()["errors"]
    assert _row(clinician) == before


def test_it_validates_the_new_password(clinician, client_for):
    before = _row(clinician)

    response = client_for(clinician).patch(
        PROFILE_URL, {"current_password": FACTORY_PASSWORD, "new_password": "password"}
    )

    assert response.status_code == 400
    assert "new_password" in response.json()["errors"]
    assert _row(clinician) == before


def test_it_changes_the_password_and_revokes_the_users_other_logins(clinician, login, bearer):
    current = login(clinician)
    other = login(clinician)
    client = bearer(current["access_token"])

    response = client.patch(PROFILE_URL, {"current_password": FACTORY_PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 200
    # The other login is over, access and refresh alike.
    assert bearer(other["access_token"]).get(PROFILE_URL).status_code == 401
    refused = APIClient().post(REFRESH_URL, {"refresh_token": other["refresh_token"]})
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Session logged out. Please log in again."
    # This login keeps working, refresh included.
    assert client.get(PROFILE_URL).status_code == 200
    assert APIClient().post(REFRESH_URL, {"refresh_token": current["refresh_token"]}).status_code == 200
    # Only the new password logs in.
    assert APIClient().post(LOGIN_URL, {"email": clinician.email, "password": FACTORY_PASSWORD}).status_code == 401
    assert APIClient().post(LOGIN_URL, {"email": clinician.email, "password": NEW_PASSWORD}).status_code == 200


def test_it_ends_node_tokens_issued_before_a_password_change(clinician, login, bearer, node_token):
    clinician.legacy_id = "64b7f0c2a1e4d3b2c1a09f8e"
    clinician.save()
    legacy = bearer(node_token(clinician.legacy_id))
    assert legacy.get(PROFILE_URL).status_code == 200

    bearer(login(clinician)["access_token"]).patch(
        PROFILE_URL, {"current_password": FACTORY_PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert legacy.get(PROFILE_URL).status_code == 401


def test_a_patient_may_use_its_profile(patient, client_for):
    assert client_for(patient).patch(PROFILE_URL, {"username": "patient-x"}).status_code == 200
