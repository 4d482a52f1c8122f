"""analyze (text, image forms, size, http:// refused), checkEmail (rate limited), the
prompt link and the email check on /api/v1 too, and CORS for the Node.js routes."""

from __future__ import annotations

import base64
import json

import pytest
from rest_framework.test import APIClient

from consultations.tests.factories import consultation_for, prompt_for

pytestmark = pytest.mark.django_db

PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
B64 = base64.b64encode(PNG_1X1).decode()


def sent_images(openai_stub) -> list[str]:
    content = openai_stub.chat_requests()[-1].json["messages"][-1]["content"]
    return [part["image_url"]["url"] for part in content if part["type"] == "image_url"]


def test_it_analyses_text_alone_with_nodes_default_prompt(client_for, clinician, openai_stub):
    response = client_for(clinician).post("/api/ai/analyze", {}, format="json")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "response": "Stub answer: general medical information only."}
    content = openai_stub.chat_requests()[-1].json["messages"][-1]["content"]
    assert content == [{"type": "text", "text": "Explain this image !"}]


@pytest.mark.parametrize(
    "reference", [B64, f"base64:image/png:{B64}", f"data:image/png;base64,{B64}"], ids=["bare", "tagged", "data-url"]
)
def test_it_takes_every_node_image_form(reference, client_for, clinician, openai_stub):
    response = client_for(clinician).post(
        "/api/ai/analyze", {"prompt": "What is it?", "images": [reference]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"
    assert sent_images(openai_stub) == [f"data:image/png;base64,{B64}"]


def test_it_refuses_an_http_image_url_before_asking_anyone(client_for, clinician, openai_stub):
    response = client_for(clinician).post(
        "/api/ai/analyze", {"images": ["http://example.org/x-ray.png"]}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert body["error"]["type"] == "image_refused"
    assert "https" in body["error"]["message"]
    assert set(body["error"]) == {"name", "type", "message"}
    assert {"detail", "code", "request_id", "msg"} <= set(body)
    assert openai_stub.chat_requests() == []


def test_it_refuses_base64_that_is_no_image(client_for, clinician, openai_stub):
    response = client_for(clinician).post(
        "/api/ai/analyze", {"images": [f"base64:image/png:{base64.b64encode(b'hello').decode()}"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["status"] == "error"


def test_it_takes_json_bodies_up_to_10_mb_on_analyze_only(client_for, clinician):
    client = client_for(clinician)
    two_mb = json.dumps({"images": ["A" * 2_000_000]})
    analyse = client.post("/api/ai/analyze", two_mb, content_type="application/json")
    assert analyse.status_code == 400  # read and refused as no image, not a 413
    assert analyse.json()["status"] == "error"
    prompts = client.post("/api/prompts", two_mb, content_type="application/json")
    assert prompts.status_code == 413
    too_big = client.post(
        "/api/ai/analyze", json.dumps({"images": ["A" * 10_100_000]}), content_type="application/json"
    )
    assert too_big.status_code == 413


def test_it_rate_limits_the_email_check_per_ip(settings):
    settings.RATELIMIT_CHECK_EMAIL_IP = "3/m"
    client = APIClient()
    answers = [client.get("/users/checkEmail", {"email": f"n{i}@example.org"}).status_code for i in range(3)]
    assert answers == [200, 200, 200]
    limited = client.get("/users/users/checkEmail", {"email": "n4@example.org"})
    assert limited.status_code == 429
    assert "Retry-After" in limited
    assert "msg" in limited.json()
    # The /api/v1 twin counts in the same window: one service, one limit.
    assert client.get("/api/v1/users/check-email", {"email": "n5@example.org"}).status_code == 429


def test_it_checks_emails_on_api_v1_too(clinician):
    client = APIClient()
    assert client.get("/api/v1/users/check-email", {"email": clinician.email.upper()}).json() == {"available": False}
    assert client.get("/api/v1/users/check-email", {"email": "free@example.org"}).json() == {"available": True}
    assert client.get("/api/v1/users/check-email", {"email": "not-an-email"}).status_code == 400


def test_it_links_a_prompt_on_api_v1(client_for, clinician, other_clinician):
    transcript = consultation_for(clinician).transcript
    mine, private = prompt_for(clinician), prompt_for(other_clinician)
    client = client_for(clinician)
    linked = client.put(f"/api/v1/transcripts/{transcript.pk}/prompt", {"prompt_id": str(mine.pk)}, format="json")
    assert linked.status_code == 200
    assert linked.json()["prompt_used"] == str(mine.pk)
    refused = client.put(f"/api/v1/transcripts/{transcript.pk}/prompt", {"prompt_id": str(private.pk)}, format="json")
    assert refused.status_code == 404
    theirs = client_for(other_clinician).put(
        f"/api/v1/transcripts/{transcript.pk}/prompt", {"prompt_id": str(private.pk)}, format="json"
    )
    assert theirs.status_code == 404
    transcript.refresh_from_db()
    assert transcript.prompt_used_id == mine.pk


@pytest.mark.parametrize(
    "path", ["/users/login", "/api/consultation", "/api/prompts/1/add-prompt/2", "/api/ai/analyze"]
)
def test_it_answers_cors_preflights_as_node_did(path):
    response = APIClient().options(
        path,
        HTTP_ORIGIN="https://scribe-project-nextjs.vercel.app",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, authorization",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://scribe-project-nextjs.vercel.app"
    assert response["Access-Control-Allow-Credentials"] == "true"
    methods = {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}
    headers = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "authorization"} <= headers


def test_it_takes_a_trailing_slash_as_express_did_without_redirecting(client_for, clinician):
    client = client_for(clinician)
    assert client.get("/api/consultation/").json() == {"consultations": []}
    created = client.post("/api/prompts/", {"prompt_name": "n", "prompt_text": "t"}, format="json")
    assert created.status_code == 201  # a POST keeps its body: no redirect
