"""The audit trail in the admin: read-only, for staff granted audit.view_auditevent only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from consultations.tests.factories import consultation_for

pytestmark = pytest.mark.django_db

LIST = "/admin/audit/auditevent/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def view_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="audit", codename="view_auditevent")


def test_it_refuses_staff_and_superusers_without_the_permission():
    for user in (UserFactory(is_staff=True), UserFactory(is_staff=True, is_superuser=True)):
        assert logged_in(user).get(LIST).status_code == 403


def test_it_shows_the_trail_read_only_to_staff_granted_the_permission(clinician):
    consultation = consultation_for(clinician)
    staff = UserFactory(is_staff=True, is_superuser=True)
    group = Group.objects.create(name="auditors")
    group.permissions.add(view_permission())
    staff.groups.add(group)
    client = logged_in(staff)
    client.get(f"/admin/consultations/consultation/{consultation.pk}/change/")  # recorded
    event = AuditEvent.objects.get()
    assert (event.model, event.action, event.object_id, event.user_id) == (
        "consultation",
        "read",
        str(consultation.pk),
        str(staff.pk),
    )

    assert client.get(LIST).status_code == 200
    assert client.get(f"{LIST}{event.pk}/change/").status_code == 200
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{event.pk}/change/", {"role": "x"}).status_code == 403
    assert client.post(f"{LIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).role == event.role


def test_the_model_offers_no_add_change_or_delete_permission():
    assert set(Permission.objects.filter(content_type__app_label="audit").values_list("codename", flat=True)) == {
        "view_auditevent"
    }


def test_it_records_the_admins_list_of_a_patient_data_model():
    staff = UserFactory(is_staff=True, is_superuser=True)
    logged_in(staff).get("/admin/consultations/note/")
    assert list(AuditEvent.objects.values_list("model", "action")) == [("note", "list")]
