"""One-time questionnaire links: no account, expiring, usable once, rate limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from consultations.tests.factories import consultation_for
from questionnaires.models import QuestionnaireLink, QuestionnaireResponse
from questionnaires.services import token_hash


def _create_link(client, consultation, instrument="phq9"):
    response = client.post(
        f"/api/v1/consultations/{consultation.pk}/questionnaire-links", {"instrument": instrument}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.django_db
def test_the_patient_answers_once_without_an_account(client_for, clinician, api_client):
    consultation = consultation_for(clinician)
    link = _create_link(client_for(clinician), consultation)
    assert link["url"].endswith(f"/api/v1/questionnaire-links/{link['token']}")
    assert link["expires_at"]
    # Only the hash is stored.
    assert not QuestionnaireLink.objects.filter(token_hash=link["token"]).exists()
    assert QuestionnaireLink.objects.filter(token_hash=token_hash(link["token"])).exists()

    form = api_client.get(f"/api/v1/questionnaire-links/{link['token']}")
    assert form.status_code == 200
    assert form.json()["instrument"] == "phq9"
    assert len(form.json()["items"]) == 9
    assert form.json()["options"][3] == {"value": 3, "label": "Nearly every day"}
    assert "Leo Jones" not in form.content.decode()

    answered = api_client.post(
        f"/api/v1/questionnaire-links/{link['token']}", {"answers": [0, 0, 0, 0, 0, 0, 0, 0, 1]}, format="json"
    )
    assert answered.status_code == 201
    assert "score" not in answered.json()

    stored = client_for(clinician).get(f"/api/v1/consultations/{consultation.pk}/questionnaires").json()
    assert len(stored) == 1
    assert stored[0]["answered_by"] == "patient_link"
    assert stored[0]["flags"] == ["phq9_item9_self_harm"]

    reused = api_client.post(f"/api/v1/questionnaire-links/{link['token']}", {"answers": [0] * 9}, format="json")
    assert reused.status_code == 410
    assert reused.json()["code"] == "link_gone"
    assert api_client.get(f"/api/v1/questionnaire-links/{link['token']}").status_code == 410
    assert QuestionnaireResponse.objects.count() == 1


@pytest.mark.django_db
def test_bad_answers_are_a_400_and_do_not_use_the_link(client_for, clinician, api_client):
    link = _create_link(client_for(clinician), consultation_for(clinician), "gad7")
    url = f"/api/v1/questionnaire-links/{link['token']}"

    bad = api_client.post(url, {"answers": [0, 0, 9]}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"answers.3", "answers.4", "answers.5", "answers.6", "answers.7"}

    assert api_client.post(url, {"answers": [1] * 7}, format="json").status_code == 201


@pytest.mark.django_db
def test_an_expired_link_is_gone(client_for, clinician, api_client, monkeypatch, settings):
    settings.QUESTIONNAIRE_LINK_TTL_SECONDS = 3600
    link = _create_link(client_for(clinician), consultation_for(clinician), "gad7")
    url = f"/api/v1/questionnaire-links/{link['token']}"
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(seconds=3599))
    assert api_client.get(url).status_code == 200

    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(seconds=3601))

    assert api_client.get(url).status_code == 410
    assert api_client.post(url, {"answers": [0] * 7}, format="json").status_code == 410
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.django_db
def test_a_wrong_token_is_not_found(client_for, clinician, api_client):
    link = _create_link(client_for(clinician), consultation_for(clinician))
    wrong = link["token"][:-1] + ("A" if link["token"][-1] != "A" else "B")
    assert api_client.get(f"/api/v1/questionnaire-links/{wrong}").status_code == 404
    assert (
        api_client.post(f"/api/v1/questionnaire-links/{wrong}", {"answers": [0] * 9}, format="json").status_code == 404
    )
    assert api_client.get("/api/v1/questionnaire-links/%20").status_code == 404


@pytest.mark.django_db
def test_no_link_for_another_clinicians_consultation(client_for, clinician, other_clinician):
    consultation = consultation_for(clinician)
    response = client_for(other_clinician).post(
        f"/api/v1/consultations/{consultation.pk}/questionnaire-links", {"instrument": "phq9"}, format="json"
    )
    assert response.status_code == 404
    assert not QuestionnaireLink.objects.exists()


@pytest.mark.django_db
@override_settings(RATELIMIT_QUESTIONNAIRE_LINK_IP="3/m")
def test_the_public_link_is_rate_limited_per_ip(api_client):
    codes = [api_client.get("/api/v1/questionnaire-links/nosuchtoken").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    other_ip = api_client.get("/api/v1/questionnaire-links/nosuchtoken", REMOTE_ADDR="192.0.2.7")
    assert other_ip.status_code == 404


@pytest.mark.django_db
def test_the_link_url_uses_the_patient_facing_base_when_set(client_for, clinician, settings):
    settings.QUESTIONNAIRE_LINK_BASE_URL = "https://app.example.nhs.uk/q/"
    link = _create_link(client_for(clinician), consultation_for(clinician))
    assert link["url"] == f"https://app.example.nhs.uk/q/{link['token']}"
