"""The schema and the server agree on the endpoints added after the strict checks
(questionnaires, documents, summary signing, the small /api/v1 routes, the Node.js face):
the findings of the schemathesis run after the merge, each pinned here."""

from __future__ import annotations

import pytest

from consultations.tests.factories import consultation_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    return api_client.get("/openapi.json").json()


def component(schema, name: str) -> dict:
    return schema["components"]["schemas"][name]


def test_it_declares_questionnaire_answers_as_an_array_of_scores(schema):
    answers = component(schema, "LinkAnswerInputRequest")["properties"]["answers"]
    assert answers["type"] == "array"
    assert answers["items"] == {"type": "integer", "minimum": 0, "maximum": 3}
    assert not answers.get("nullable")
    variants = component(schema, "AnswerInputRequest")["allOf"][0]["oneOf"]
    counts = {v["properties"]["instrument"]["pattern"]: v["properties"]["answers"]["maxItems"] for v in variants}
    assert counts == {"^phq9$": 9, "^gad7$": 7}


@pytest.mark.parametrize("answers", [None, {"1": 0}, "0000000"], ids=["null", "object", "text"])
def test_it_refuses_questionnaire_answers_that_are_not_an_array(client_for, clinician, api_client, answers):
    consultation = consultation_for(clinician)
    link = client_for(clinician).post(
        f"/api/v1/consultations/{consultation.pk}/questionnaire-links", {"instrument": "gad7"}, format="json"
    ).json()
    url = f"/api/v1/questionnaire-links/{link['token']}"
    response = api_client.post(url, {"answers": answers}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"answers"}
    assert api_client.post(url, {"answers": [1] * 7}, format="json").status_code == 201


def test_it_declares_sign_edits_as_the_soap_sections(schema):
    edits = component(schema, "SummarySignInputRequest")["properties"]["edits"]
    assert edits["type"] == "object"
    assert set(edits["properties"]) == {"subjective", "objective", "assessment", "plan"}
    assert edits["additionalProperties"] is False
    assert edits["nullable"] is True


def test_it_declares_a_letters_text_as_non_blank_text(schema):
    text = component(schema, "LetterSaveInputRequest")["properties"]["text"]
    assert text["type"] == "string"
    assert text["pattern"] == r"\S"


def test_it_refuses_an_empty_email_to_check(api_client):
    response = api_client.get("/api/v1/users/check-email", {"email": ""})
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_the_node_face_declares_and_ignores_unknown_fields(schema, client_for, clinician):
    # The /api/v1 body refuses a field it does not know; the Node.js face ignores it, as
    # Express did, and its own schema component leaves other properties open.
    assert component(schema, "ConsultationStartInputRequest")["additionalProperties"] is False
    assert "additionalProperties" not in component(schema, "NodeConsultationStartInputRequest")
    body = {"patient_data": {"name": "A", "nhs_number": "9434765919"}, "frontend_extra": 1}
    client = client_for(clinician)
    assert client.post("/api/v1/consultations/start", body, format="json").status_code == 400
    assert client.post("/api/consultation/start", body, format="json").status_code in (200, 201)


def test_the_node_face_refuses_images_that_are_neither_a_reference_nor_a_list(client_for, clinician, openai_stub):
    response = client_for(clinician).post("/api/ai/analyze", {"prompt": "x", "images": {}}, format="json")
    assert response.status_code == 400
    assert "images" in response.json()["errors"]
    assert openai_stub.chat_requests() == []
