"""Provider faults become clear errors and leave nothing half-written."""

from __future__ import annotations

import json

import pytest

from consultations.models import Summary

SEARCH = "/api/v1/ai/search"


def test_it_answers_504_when_the_provider_times_out(openai_stub, settings, clinician, client_for):
    settings.AI_TIMEOUT_SECONDS = 0.3
    openai_stub.delay = 1.0
    response = client_for(clinician).post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert response.status_code == 504
    assert response.json()["code"] == "ai_timeout"


@pytest.mark.parametrize("status", [429, 503])
def test_it_answers_503_with_retry_after_when_the_provider_is_busy(openai_stub, clinician, client_for, status):
    openai_stub.fail_status = status
    openai_stub.retry_after = "17"
    response = client_for(clinician).post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "17"
    assert response.json()["code"] == "ai_unavailable"


def test_it_suggests_a_retry_after_when_the_provider_gave_none(openai_stub, clinician, client_for):
    openai_stub.fail_status = 429
    response = client_for(clinician).post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("status", [500, 400, 401])
def test_it_answers_502_for_other_provider_errors(openai_stub, clinician, client_for, status):
    openai_stub.fail_status = status
    response = client_for(clinician).post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert response.status_code == 502
    assert response.json()["code"] == "ai_error"
    assert "stub failure" not in response.content.decode()  # the provider's words stay in Scribe


def test_it_answers_502_for_unusable_output(openai_stub, clinician, client_for):
    openai_stub.garbage = True
    response = client_for(clinician).post("/api/v1/ai/summary", {"transcript_text": "Cough."}, format="json")
    assert response.status_code == 502
    assert response.json()["code"] == "ai_bad_output"


def test_it_answers_502_for_an_answer_cut_off_at_the_token_limit(openai_stub, clinician, client_for):
    # The text itself looks fine; only finish_reason says the rest is missing.
    openai_stub.finish_reason = "length"
    openai_stub.chat_replies.append("Asthma is a common lung condition.")
    response = client_for(clinician).post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert response.status_code == 502
    assert response.json()["code"] == "ai_bad_output"


def test_it_answers_502_for_json_that_is_not_an_object(openai_stub, clinician, client_for):
    openai_stub.chat_replies.append(json.dumps(["not", "an", "object"]))
    response = client_for(clinician).post("/api/v1/ai/summary", {"transcript_text": "Cough."}, format="json")
    assert response.status_code == 502


@pytest.mark.parametrize(
    "answer",
    [
        {"subjective": 5, "objective": [], "assessment": [], "plan": []},
        {"subjective": [{"text": "Cough.", "evidence": 1}], "objective": [], "assessment": [], "plan": []},
        {"subjective": ["Cough."], "objective": [], "assessment": [], "plan": []},
        {"subjective": [{"text": {"a": 1}, "evidence": [1]}], "objective": [], "assessment": [], "plan": []},
    ],
)
def test_it_answers_502_for_json_not_shaped_as_asked(openai_stub, clinician, client_for, make_transcript, answer):
    # An OpenAI-compatible server may ignore the JSON schema: unusable output, not a 500.
    transcript = make_transcript(clinician, ["Cough."])
    openai_stub.chat_replies.append(json.dumps(answer))
    response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert response.status_code == 502
    assert response.json()["code"] == "ai_bad_output"
    assert not Summary.objects.filter(transcript=transcript).exists()


def test_it_answers_503_when_the_provider_cannot_be_reached(settings, clinician, client_for, db):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{port}/v1"
    settings.AI_MAX_RETRIES = 0
    response = client_for(clinician).post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "ai_unreachable"


@pytest.mark.parametrize("missing", ["OPENAI_API_KEY", "OPENAI_BASE_URL"])
def test_it_answers_503_naming_the_missing_setting(openai_stub, settings, clinician, client_for, missing):
    setattr(settings, missing, "")
    response = client_for(clinician).post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert response.status_code == 503
    assert missing in response.json()["detail"]
    assert openai_stub.requests == []


def test_a_failed_summary_leaves_the_previous_version_current(openai_stub, clinician, client_for, make_transcript):
    transcript = make_transcript(clinician, ["Cough."])
    client = client_for(clinician)
    first = client.post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert first.status_code == 200
    openai_stub.fail_status = 500
    failed = client.post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert failed.status_code == 502
    assert list(Summary.objects.filter(transcript=transcript).values_list("version", flat=True)) == [1]
    detail = client.get(f"/api/v1/transcripts/{transcript.pk}")
    assert detail.status_code == 200
    assert detail.json()["summary"]["subjective"] == "Patient describes the presenting complaint."


def test_a_failed_summary_gives_its_quota_slot_back(openai_stub, settings, clinician, client_for, make_transcript):
    settings.AI_DAILY_QUOTA = 1
    transcript = make_transcript(clinician, ["Cough."])
    client = client_for(clinician)
    openai_stub.garbage = True
    assert client.post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json").status_code == 502
    openai_stub.garbage = False
    assert client.post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json").status_code == 200


def test_a_failed_part_of_a_long_summary_stores_nothing(openai_stub, settings, clinician, client_for, make_transcript):
    settings.AI_MAX_INPUT_TOKENS = 600
    transcript = make_transcript(clinician, [f"Sentence {n} about the problem, at length." * 4 for n in range(40)])
    from scribe.testing.openai_stub import default_soap_reply

    openai_stub.chat_replies += [default_soap_reply, "not json"]
    response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert response.status_code == 502
    assert len(openai_stub.chat_requests()) == 2  # the first part succeeded, the second failed
    assert not Summary.objects.filter(transcript=transcript).exists()
