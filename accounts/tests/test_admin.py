"""The users admin: searchable, filterable, and never showing a password hash."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory

# Real hashers: the pages must hide the hashes production writes (Argon2, bcrypt).
pytestmark = [pytest.mark.django_db, pytest.mark.real_password_hashers]


@pytest.fixture
def admin_client():
    staff = UserFactory(role="patient", is_staff=True, is_superuser=True, email="boss@example-clinic.nhs.uk")
    client = Client()
    client.force_login(staff)
    return client


def test_it_lists_users_without_their_hashes(admin_client, clinician, node_bcrypt):
    legacy = User.objects.create(email="old@example.org", username="old", password=node_bcrypt("legacy-pass-123"))

    page = admin_client.get("/admin/accounts/user/").content.decode()

    assert clinician.email in page
    assert legacy.email in page
    assert clinician.password.split("$")[-1] not in page
    assert "argon2" not in page
    assert "$2b$" not in page


def test_the_change_page_has_no_password_nor_hash_summary(admin_client, clinician, node_bcrypt):
    legacy = User.objects.create(email="old@example.org", username="old", password=node_bcrypt("legacy-pass-123"))

    for user in (clinician, legacy):
        page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
        assert page.status_code == 200
        html = page.content.decode()
        assert user.email in html
        assert 'name="password"' not in html
        assert "algorithm" not in html.lower()
        assert "salt" not in html.lower()
        assert user.password[-20:] not in html


def test_it_searches_by_email_and_username(admin_client):
    UserFactory(email="alpha@example.org", username="alpha-user")
    UserFactory(email="beta@example.org", username="beta-user")

    by_email = admin_client.get("/admin/accounts/user/", {"q": "alpha@"}).content.decode()
    by_name = admin_client.get("/admin/accounts/user/", {"q": "beta-user"}).content.decode()

    assert "alpha@example.org" in by_email
    assert "beta@example.org" not in by_email
    assert "beta@example.org" in by_name
    assert "alpha@example.org" not in by_name


def test_it_filters_by_role_and_staff(admin_client):
    UserFactory(email="doc@example.org", role="clinician")
    UserFactory(email="pat@example.org", role="patient")

    clinicians = admin_client.get("/admin/accounts/user/", {"role__exact": "clinician"}).content.decode()
    staff = admin_client.get("/admin/accounts/user/", {"is_staff__exact": "1"}).content.decode()

    assert "doc@example.org" in clinicians
    assert "pat@example.org" not in clinicians
    assert "boss@example-clinic.nhs.uk" in staff
    assert "doc@example.org" not in staff


def test_staff_can_edit_the_role_but_not_the_password(admin_client, patient):
    before = User.objects.get(pk=patient.pk).password

    response = admin_client.post(
        f"/admin/accounts/user/{patient.pk}/change/",
        {"username": patient.username, "role": "clinician", "is_active": "on", "password": "pbkdf2_sha256$1$x$y"},
    )

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.role == "clinician"
    assert patient.password == before


def test_createsuperuser_makes_a_staff_user_without_a_clinical_role(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Quiet-Harbour-42-admin")
    call_command("createsuperuser", "--noinput", email="Admin@Example-Clinic.nhs.uk", username="admin", verbosity=0)

    admin = User.objects.get(email="admin@example-clinic.nhs.uk")
    assert (admin.is_staff, admin.is_superuser, admin.role) == (True, True, "staff")
    assert not admin.is_patient
    assert not admin.is_clinician


def test_it_names_people_by_name_and_email(admin_client, clinician):
    page = admin_client.get("/admin/accounts/user/").content.decode()
    assert clinician.email in page
    assert str(clinician) == f"{clinician.username} <{clinician.email}>"


def test_nobody_registers_as_staff_through_the_api():
    from rest_framework.test import APIClient

    response = APIClient().post(
        "/api/v1/users/register",
        {"username": "sneaky", "email": "sneaky@example.org", "password": "Quiet-Harbour-42", "role": "staff"},
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="sneaky@example.org").exists()


def test_it_never_deletes_a_user_even_for_a_superuser(admin_client, clinician):
    assert admin_client.get(f"/admin/accounts/user/{clinician.pk}/delete/").status_code == 403
    admin_client.post(
        "/admin/accounts/user/", {"action": "delete_selected", "_selected_action": [clinician.pk], "post": "yes"}
    )
    assert User.objects.filter(pk=clinician.pk).exists()
