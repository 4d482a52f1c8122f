from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.conftest import REGISTER_URL

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "dr-jones",
    "email": "Dr.Jones@Example-Clinic.nhs.uk",
    "password": "Quiet-Harbour-42",
    "role": "clinician",
}


@pytest.mark.real_password_hashers
def test_it_registers_a_clinician_and_answers_the_contract_shape():
    response = APIClient().post(REGISTER_URL, GOOD)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "email", "role", "created_at", "legacy_id"}
    assert body["legacy_id"] is None  # registered in Scribe
    assert isinstance(body["id"], str)
    assert body["email"] == "dr.jones@example-clinic.nhs.uk"
    assert body["role"] == "clinician"
    user = User.objects.get(pk=int(body["id"]))
    assert user.password.startswith("argon2$")
    assert not user.is_staff


def test_it_accepts_a_trailing_slash():
    assert APIClient().post(REGISTER_URL + "/", GOOD).status_code == 201


def test_it_refuses_a_duplicate_email_in_another_letter_case():
    APIClient().post(REGISTER_URL, GOOD)

    response = APIClient().post(REGISTER_URL, {**GOOD, "email": "DR.JONES@example-clinic.NHS.uk", "username": "other"})

    assert response.status_code == 400
    assert response.json()["detail"] == "User already exists"
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("password", "short1"),
        ("password", "password123"),
        ("password", "12345678901"),
        ("username", "ab"),
        ("username", "x" * 51),
        ("email", "not-an-email"),
        ("role", "admin"),
        ("role", "staff"),
    ],
)
def test_it_rejects_invalid_fields_with_the_error_shape(field, value):
    response = APIClient().post(REGISTER_URL, {**GOOD, field: value})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    assert User.objects.count() == 0


@pytest.mark.parametrize("extra", [{"is_staff": True}, {"is_superuser": True}, {"id": "999"}, {"is_active": False}])
def test_it_rejects_mass_assignment_and_writes_nothing(extra):
    response = APIClient().post(REGISTER_URL, {**GOOD, **extra})

    assert response.status_code == 400
    assert next(iter(extra)) in response.json()["errors"]
    assert User.objects.count() == 0


def test_it_defaults_the_role_to_patient():
    body = {k: v for k, v in GOOD.items() if k != "role"}

    response = APIClient().post(REGISTER_URL, body)

    assert response.status_code == 201
    assert response.json()["role"] == "patient"
