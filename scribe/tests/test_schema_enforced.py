"""The OpenAPI schema says what the server enforces, and the server refuses what the
schema refuses (the findings of a schemathesis run, each pinned here)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    return api_client.get("/openapi.json").json()


def component(schema, name: str) -> dict:
    return schema["components"]["schemas"][name]


@pytest.mark.parametrize(
    "name",
    ["LoginInputRequest", "RefreshInputRequest", "ConsultationStartInputRequest", "SummaryInputRequest",
     "ImagesInputRequest", "PromptInputRequest", "SegmentInputRequest"],
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
    [("/api/v1/notes/?consultation=", "consultation"), ("/api/v1/consultations/?status=", "status"),
     ("/api/v1/consultations/?search=", "search")],
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
    [{}, {"transcript_text": "a", "transcript_id": "1"}, {"transcript_text": "a", "prompt_id": "1", "prompt_text": "p"}],
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
