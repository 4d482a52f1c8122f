"""A deactivated account's tokens stop at once, Scribe and Node.js tokens alike."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.conftest import PROFILE_URL
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_stops_a_live_access_token_when_the_user_is_deactivated(clinician, client_for):
    client = client_for(clinician)
    assert client.get(PROFILE_URL).status_code == 200

    row = User.objects.get(pk=clinician.pk)  # as the admin's change form saves it
    row.is_active = False
    row.save(update_fields=["is_active"])

    response = client.get(PROFILE_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid authentication credentials"


def test_staff_deactivate_through_the_admin_and_the_tokens_stop(clinician, client_for):
    staff = UserFactory(role="patient", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)
    api = client_for(clinician)

    response = admin.post(
        "/admin/accounts/user/",
        {"action": "deactivate_users", "_selected_action": [str(clinician.pk)]},
    )

    assert response.status_code == 302
    clinician.refresh_from_db()
    assert clinician.is_active is False
    assert api.get(PROFILE_URL).status_code == 401


def test_the_admin_action_never_deactivates_the_staff_member_themself():
    staff = UserFactory(role="patient", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)

    admin.post("/admin/accounts/user/", {"action": "deactivate_users", "_selected_action": [str(staff.pk)]})

    staff.refresh_from_db()
    assert staff.is_active is True
