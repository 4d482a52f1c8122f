"""Questionnaires answered by the clinician within a consultation, through the URL."""

from __future__ import annotations

import pytest

from consultations.tests.factories import consultation_for
from questionnaires.models import QuestionnaireResponse
from scribe.core import crypto

PHQ9_SEVERE_WITH_ITEM9 = [3, 3, 3, 3, 3, 3, 0, 0, 2]


def _post(client, consultation, instrument, answers):
    return client.post(
        f"/api/v1/consultations/{consultation.pk}/questionnaires",
        {"instrument": instrument, "answers": answers},
        format="json",
    )


@pytest.mark.django_db
def test_it_scores_a_clinician_entered_phq9(client_for, clinician):
    consultation = consultation_for(clinician, nhs_number="943 476 5919")

    response = _post(client_for(clinician), consultation, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0])

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["instrument"] == "phq9"
    assert body["answers"] == [1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert body["score"] == 8
    assert body["severity"] == "mild"
    assert body["flags"] == []
    assert body["created_at"]
    # Stored as its keyed fingerprint, never the number (scribe.core.crypto).
    assert QuestionnaireResponse.objects.get(pk=body["id"]).nhs_number == crypto.nhs_fingerprint("9434765919")


@pytest.mark.django_db
def test_it_ignores_a_score_sent_by_the_client(client_for, clinician):
    consultation = consultation_for(clinician)
    response = client_for(clinician).post(
        f"/api/v1/consultations/{consultation.pk}/questionnaires",
        {"instrument": "gad7", "answers": [0] * 7, "score": 21},
        format="json",
    )
    assert response.status_code == 400
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.django_db
def test_it_names_the_bad_item_and_stores_nothing(client_for, clinician):
    consultation = consultation_for(clinician)

    response = _post(client_for(clinician), consultation, "gad7", [0, 1, 2, 5, 0, 0])

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"answers.4", "answers.7"}
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.django_db
def test_item9_flags_the_response_in_the_consultation_and_the_unpaged_review_list(client_for, clinician):
    consultation = consultation_for(clinician)
    client = client_for(clinician)
    for _ in range(3):
        assert _post(client, consultation, "gad7", [0] * 7).status_code == 201
    flagged = _post(client, consultation, "phq9", PHQ9_SEVERE_WITH_ITEM9).json()
    assert flagged["flags"] == ["phq9_item9_self_harm"]
    assert flagged["urgent"] is True
    assert flagged["severity"] == "severe"

    in_consultation = client.get(f"/api/v1/consultations/{consultation.pk}/questionnaires").json()
    assert [r["id"] for r in in_consultation if r["urgent"]] == [flagged["id"]]

    # A page of one would hide it in the list; the review list never pages.
    page = client.get("/api/v1/questionnaires?page_size=1").json()
    assert page["count"] == 4
    awaiting = client.get("/api/v1/questionnaires/awaiting-review").json()
    assert awaiting["count"] == 1
    assert [r["id"] for r in awaiting["results"]] == [flagged["id"]]
    assert [r["id"] for r in client.get("/api/v1/questionnaires?urgent=true").json()["results"]] == [flagged["id"]]

    reviewed = client.post(f"/api/v1/questionnaires/{flagged['id']}/review")
    assert reviewed.status_code == 200
    assert reviewed.json()["reviewed_at"]
    assert client.get("/api/v1/questionnaires/awaiting-review").json()["count"] == 0
    assert client.post(f"/api/v1/questionnaires/{flagged['id']}/review").status_code == 409


@pytest.mark.django_db
def test_history_by_nhs_number_shows_the_trend_within_the_clinicians_records(client_for, clinician, other_clinician):
    client = client_for(clinician)
    for answers in ([3] * 7, [2] * 7, [1] * 7):
        _post(client, consultation_for(clinician, nhs_number="9434765919"), "gad7", answers)
    _post(client, consultation_for(clinician, nhs_number="4010232137"), "gad7", [0] * 7)
    _post(client_for(other_clinician), consultation_for(other_clinician, nhs_number="9434765919"), "gad7", [0] * 7)

    body = client.get("/api/v1/questionnaires/history?nhs_number=943 476 5919").json()

    assert list(body) == ["gad7"]
    assert [r["score"] for r in body["gad7"]["responses"]] == [21, 14, 7]
    trend = body["gad7"]["trend"]
    assert trend["change"] == -14
    assert trend["change_since_previous"] == -7
    assert trend["direction"] == "improving"
    assert trend["latest_severity"] == "mild"
    assert client.get("/api/v1/questionnaires/history?nhs_number=12").status_code == 400


@pytest.mark.django_db
def test_another_clinician_gets_404_and_a_patient_403_on_every_endpoint(
    client_for, clinician, other_clinician, patient
):
    consultation = consultation_for(clinician)
    mine = _post(client_for(clinician), consultation, "gad7", [1] * 7).json()
    other, as_patient = client_for(other_clinician), client_for(patient)
    calls = [
        ("get", f"/api/v1/consultations/{consultation.pk}/questionnaires", None),
        ("post", f"/api/v1/consultations/{consultation.pk}/questionnaires", {"instrument": "gad7", "answers": [0] * 7}),
        ("post", f"/api/v1/consultations/{consultation.pk}/questionnaire-links", {"instrument": "gad7"}),
        ("get", f"/api/v1/questionnaires/{mine['id']}", None),
        ("post", f"/api/v1/questionnaires/{mine['id']}/review", None),
    ]
    for method, url, data in calls:
        assert getattr(other, method)(url, data, format="json").status_code == 404, url
        assert getattr(as_patient, method)(url, data, format="json").status_code == 403, url
    assert other.get("/api/v1/questionnaires").json()["count"] == 0
    assert as_patient.get("/api/v1/questionnaires").status_code == 403
    assert as_patient.get("/api/v1/questionnaires/awaiting-review").status_code == 403
    assert QuestionnaireResponse.objects.count() == 1
