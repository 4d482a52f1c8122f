"""The OpenAPI schema says what the server enforces, and the server refuses what the
schema refuses (the findings of a schemathesis run, each pinned here)."""

from __future__ import annotations

import pytest

from consultations.tests.factories import consultation_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    return api_client.get("/openapi.json").json()


def component(schema, name: str) -> dict:
    return schema["components"]["schemas"][name]


@pytest.mark.parametrize(
    "name",
    [
        "LoginInputRequest",
        "RefreshInputRequest",
        "ConsultationStartInputRequest",
        "SummaryInputRequest",
        "ImagesInputRequest",
        "PromptInputRequest",
        "SegmentInputRequest",
    ],
)
def test_it_declares_that_strict_bodies_take_no_other_fields(schema, name):
    assert component(schema, name)["additionalProperties"] is False


def test_it_declares_the_summarys_one_of_and_exclusive_prompt_fields(schema):
    summary = component(schema, "SummaryInputRequest")
    assert summary["oneOf"] == [{"required": ["transcript_text"]}, {"required": ["transcript_id"]}]
    assert {"not": {"required": ["prompt_id", "prompt_text"]}} in summary["allOf"]
    assert schema["paths"]["/api/v1/ai/summary/"]["post"]["requestBody"]["required"] is True


def test_it_declares_the_image_url_pattern(schema):
    items = component(schema, "ImagesInputRequest")["properties"]["images"]["items"]
    assert items["pattern"] == "^(https://|data:)"


def test_it_declares_enums(schema):
    speaker = component(schema, "SegmentInputRequest")["properties"]["speaker"]
    ref = speaker["allOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert component(schema, ref)["enum"] == ["clinician", "patient", "unknown"]


def test_it_declares_page_size_as_a_positive_integer(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/notes/"]["get"]["parameters"]}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1}


@pytest.mark.parametrize("query", ["page_size=false", "page_size=null", "page_size=0", "page_size=-3", "page_size="])
def test_it_refuses_a_page_size_that_is_not_a_positive_integer(clinician, client_for, query):
    response = client_for(clinician).get(f"/api/v1/notes/?{query}")
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]


def test_it_still_caps_a_large_page_size(clinician, client_for):
    assert client_for(clinician).get("/api/v1/notes/?page_size=1000").status_code == 200


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/notes/?consultation=", "consultation"),
        ("/api/v1/consultations/?status=", "status"),
        ("/api/v1/consultations/?search=", "search"),
    ],
)
def test_it_refuses_an_empty_filter_instead_of_ignoring_it(clinician, client_for, url, field):
    response = client_for(clinician).get(url)
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/ai/summary", {"transcript_text": "Patient: cough.", "prompt_text": 0}, "prompt_text"),
        ("/api/v1/ai/search", {"query": 0}, "query"),
        ("/api/v1/users/logout", {"refresh_token": 12}, "refresh_token"),
        ("/api/v1/prompts/", {"prompt_name": "n", "prompt_text": "t", "is_shareable": "true"}, "is_shareable"),
    ],
)
def test_it_refuses_a_value_of_the_wrong_json_type(clinician, client_for, openai_stub, url, body, field):
    response = client_for(clinician).post(url, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert openai_stub.requests == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"transcript_text": "a", "transcript_id": "1"},
        {"transcript_text": "a", "prompt_id": "1", "prompt_text": "p"},
    ],
)
def test_it_refuses_a_summary_body_outside_its_one_of(clinician, client_for, openai_stub, body):
    response = client_for(clinician).post("/api/v1/ai/summary", body, format="json")
    assert response.status_code == 400
    assert openai_stub.requests == []


def test_it_refuses_a_non_https_image_url_by_the_schemas_pattern(clinician, client_for, openai_stub):
    response = client_for(clinician).post(
        "/api/v1/ai/images", {"prompt": "Look.", "images": ["http://example.com/x.png"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"images.0": ["Must be an https URL or a data: URL."]}


# --- Endpoints added after the strict checks (questionnaires, documents, summary signing,
# the small /api/v1 routes, the Node.js face): the findings of the run after the merge.


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
    link = (
        client_for(clinician)
        .post(f"/api/v1/consultations/{consultation.pk}/questionnaire-links", {"instrument": "gad7"}, format="json")
        .json()
    )
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
