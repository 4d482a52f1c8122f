from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from consultations.models import Prompt
from consultations.tests.factories import prompt_for

pytestmark = pytest.mark.django_db


def test_it_creates_a_prompt_owned_by_the_caller(client_for, clinician):
    response = client_for(clinician).post(
        "/api/v1/prompts/", {"prompt_name": "Cardiology", "prompt_text": "SOAP please", "is_shareable": True}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["prompt_name"] == "Cardiology"
    assert body["prompt_text"] == "SOAP please"
    assert body["is_shareable"] is True
    assert body["owner"] == {"id": str(clinician.pk), "username": clinician.username}
    assert {"created_at", "updated_at"} <= set(body)


def test_it_lists_own_and_others_shareable_prompts_with_their_owner(client_for, clinician, other_clinician):
    mine_private = prompt_for(clinician, "mine private")
    theirs_shared = prompt_for(other_clinician, "theirs shared", is_shareable=True)
    prompt_for(other_clinician, "theirs private")
    deleted = prompt_for(clinician, "mine deleted")
    Prompt.objects.filter(pk=deleted.pk).update(is_deleted=True)

    results = client_for(clinician).get("/api/v1/prompts/").json()["results"]
    assert {p["id"] for p in results} == {str(mine_private.pk), str(theirs_shared.pk)}
    shared = next(p for p in results if p["id"] == str(theirs_shared.pk))
    assert shared["owner"] == {"id": str(other_clinician.pk), "username": other_clinician.username}
    assert shared["is_owner"] is False


def test_it_shows_others_shareable_prompt_but_only_the_owner_changes_it(client_for, clinician, other_clinician):
    theirs = prompt_for(other_clinician, "shared", is_shareable=True)
    client = client_for(clinician)
    assert client.get(f"/api/v1/prompts/{theirs.pk}").status_code == 200
    for method, body in [
        ("put", {"prompt_name": "x", "prompt_text": "y"}),
        ("patch", {"prompt_text": "y"}),
        ("delete", None),
    ]:
        response = getattr(client, method)(f"/api/v1/prompts/{theirs.pk}", body, format="json")
        assert response.status_code == 403, method
        assert response.json()["code"] == "permission_denied"
    theirs.refresh_from_db()
    assert (theirs.name, theirs.text, theirs.is_deleted) == ("shared", "Summarise as SOAP.", False)


def test_it_updates_a_prompt_partially_without_resetting_sharing(client_for, clinician):
    prompt = prompt_for(clinician, is_shareable=True)
    response = client_for(clinician).patch(f"/api/v1/prompts/{prompt.pk}", {"prompt_text": "New text"})
    assert response.status_code == 200
    prompt.refresh_from_db()
    assert (prompt.text, prompt.is_shareable) == ("New text", True)


def test_it_soft_deletes_a_prompt(client_for, clinician, other_clinician):
    prompt = prompt_for(clinician, is_shareable=True)
    client = client_for(clinician)
    assert client.delete(f"/api/v1/prompts/{prompt.pk}").status_code == 204
    assert Prompt.objects.get(pk=prompt.pk).is_deleted is True
    assert client.get(f"/api/v1/prompts/{prompt.pk}").status_code == 404
    assert client.get("/api/v1/prompts/").json()["count"] == 0
    assert client_for(other_clinician).get("/api/v1/prompts/").json()["count"] == 0
    assert client.delete(f"/api/v1/prompts/{prompt.pk}").status_code == 404
    assert client.patch(f"/api/v1/prompts/{prompt.pk}", {"prompt_text": "x"}).status_code == 404


def test_it_lists_a_page_of_50_prompts_in_a_fixed_number_of_queries(
    client_for, clinician, django_assert_max_num_queries
):
    owners = [UserFactory(role="clinician") for _ in range(25)]
    for owner in owners:
        prompt_for(owner, is_shareable=True)
        prompt_for(clinician)
    client = client_for(clinician)
    # Authentication + count + page (owners joined).
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/prompts/?page_size=50")
    rows = response.json()["results"]
    assert len(rows) == 50
    assert {row["owner"]["username"] for row in rows} == {o.username for o in owners} | {clinician.username}
