"""Medical search: concise general information with the contract's shape."""

from __future__ import annotations


def test_it_answers_a_medical_question(openai_stub, clinician, client_for):
    openai_stub.chat_replies.append("Asthma is a common lung condition.")
    response = client_for(clinician).post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"answer": "Asthma is a common lung condition.", "model": "gpt-4o"}
    sent = openai_stub.chat_requests()[-1].json
    assert sent["messages"][0]["role"] == "system"
    assert "Do not diagnose" in sent["messages"][0]["content"]
    assert sent["messages"][1] == {"role": "user", "content": "What is asthma?"}
    assert "response_format" not in sent


def test_it_uses_the_configured_chat_model(openai_stub, settings, patient, client_for):
    settings.AI_CHAT_MODEL = "my-hosted-model"
    response = client_for(patient).post("/api/v1/ai/search", {"query": "What is a statin?"}, format="json")
    assert response.json()["model"] == "my-hosted-model"
    assert openai_stub.chat_requests()[-1].json["model"] == "my-hosted-model"
    assert openai_stub.chat_requests()[-1].headers["authorization"] == "Bearer sk-scribe-test"


def test_it_rejects_bad_search_input(openai_stub, clinician, client_for):
    client = client_for(clinician)
    for body in ({}, {"query": ""}, {"query": "x" * 2001}, {"query": "ok", "extra": 1}, ["query"]):
        response = client.post("/api/v1/ai/search", body, format="json")
        assert response.status_code == 400, body
        assert response.json()["code"] == "invalid"
    assert openai_stub.requests == []


def test_it_answers_502_for_an_empty_answer(openai_stub, clinician, client_for):
    openai_stub.chat_replies.append("   ")
    response = client_for(clinician).post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json")
    assert response.status_code == 502
