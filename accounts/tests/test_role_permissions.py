"""IsClinician / IsPatientOrClinician, the permissions the other apps reuse."""

from __future__ import annotations

import logging

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("accounts.tests.urls_roles")]


def test_a_clinician_passes_both(clinician, client_for):
    client = client_for(clinician)

    assert client.get("/clinician-only").status_code == 200
    assert client.get("/patient-or-clinician").status_code == 200


def test_a_patient_gets_403_on_a_clinician_route(patient, client_for):
    client = client_for(patient)

    response = client.get("/clinician-only")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert client.get("/patient-or-clinician").status_code == 200


def test_staff_who_is_not_a_clinician_gets_403(staff_user, client_for):
    assert client_for(staff_user).get("/clinician-only").status_code == 403


def test_an_anonymous_caller_gets_401(api_client):
    assert api_client.get("/clinician-only").status_code == 401
    assert api_client.get("/patient-or-clinician").status_code == 401


def test_it_logs_a_role_denial_with_ids_only(patient, client_for, caplog):
    caplog.set_level(logging.WARNING, logger="scribe.security")

    client_for(patient).get("/clinician-only", HTTP_X_REQUEST_ID="req-role-1", REMOTE_ADDR="10.2.3.4")

    [record] = [r for r in caplog.records if r.getMessage() == "role_denied"]
    assert record.user_id == str(patient.pk)
    assert record.ip == "10.2.3.4"
    assert record.request_id == "req-role-1"
    assert patient.email not in str(record.__dict__)
