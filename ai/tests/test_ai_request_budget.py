"""All provider calls of one request share AI_REQUEST_BUDGET_SECONDS.

Without a shared budget a slow provider, retried and called once per part of a
long summary, would outlast the server's own request timeout and the worker
would be killed mid-request; with it the clinician gets Scribe's 504.
"""

from __future__ import annotations

from consultations.models import Summary

SEARCH = "/api/v1/ai/search"


def test_it_gives_a_slow_answer_time_when_the_budget_allows(openai_stub, settings, clinician, client_for):
    settings.AI_TIMEOUT_SECONDS = 5.0
    settings.AI_REQUEST_BUDGET_SECONDS = 150.0
    openai_stub.delay = 0.5
    response = client_for(clinician).post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert response.status_code == 200, response.content


def test_it_cuts_an_attempt_to_the_requests_budget(openai_stub, settings, clinician, client_for):
    # The per-call timeout (5 s) would wait for this answer; the request's budget does not.
    settings.AI_TIMEOUT_SECONDS = 5.0
    settings.AI_REQUEST_BUDGET_SECONDS = 0.25
    openai_stub.delay = 0.5
    response = client_for(clinician).post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert response.status_code == 504
    assert response.json()["code"] == "ai_timeout"


def test_it_shares_the_budget_between_retries(openai_stub, settings, clinician, client_for):
    # Three attempts each get a third of 0.9 s, so none waits out a 0.5 s answer.
    settings.AI_TIMEOUT_SECONDS = 5.0
    settings.AI_MAX_RETRIES = 2
    settings.AI_REQUEST_BUDGET_SECONDS = 0.9
    openai_stub.delay = 0.5
    response = client_for(clinician).post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert response.status_code == 504
    assert len(openai_stub.chat_requests()) == 3


def test_it_stops_a_long_summary_when_the_budget_is_spent_and_stores_nothing(
    openai_stub, settings, clinician, client_for, make_transcript
):
    settings.AI_MAX_INPUT_TOKENS = 1_000  # several parts
    settings.AI_TIMEOUT_SECONDS = 5.0
    # Margins wide enough for a loaded machine: the first part is always sent, the fifth never.
    settings.AI_REQUEST_BUDGET_SECONDS = 1.5
    openai_stub.delay = 0.6
    lines = [f"Line {n}: the patient describes symptom number {n} in some detail." * 3 for n in range(1, 121)]
    transcript = make_transcript(clinician, lines)

    response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")

    assert response.status_code == 504
    assert response.json()["code"] == "ai_timeout"
    # The parts answered within the budget were not enough; later ones were never sent
    # or were cut off, and no summary was stored.
    assert 1 <= len(openai_stub.chat_requests()) < 5
    assert not Summary.objects.filter(transcript=transcript).exists()


def test_it_starts_a_fresh_budget_for_the_next_request(openai_stub, settings, clinician, client_for):
    settings.AI_TIMEOUT_SECONDS = 5.0
    # One answer fits a budget with 1.2 s to spare (a loaded machine); two would not.
    settings.AI_REQUEST_BUDGET_SECONDS = 3.0
    openai_stub.delay = 1.8
    client = client_for(clinician)
    first = client.post(SEARCH, {"query": "What is asthma?"}, format="json")
    second = client.post(SEARCH, {"query": "What is eczema?"}, format="json")
    assert (first.status_code, second.status_code) == (200, 200)


def test_it_starts_a_fresh_budget_when_the_client_reuses_its_request_id(openai_stub, settings, clinician, client_for):
    # X-Request-ID is the client's to choose (a retry may well resend it): it must not tie
    # two requests to one budget.
    settings.AI_TIMEOUT_SECONDS = 5.0
    # One answer fits a budget with 1.2 s to spare (a loaded machine); two would not.
    settings.AI_REQUEST_BUDGET_SECONDS = 3.0
    openai_stub.delay = 1.8
    client = client_for(clinician)
    first = client.post(SEARCH, {"query": "What is asthma?"}, format="json", HTTP_X_REQUEST_ID="retry-1")
    second = client.post(SEARCH, {"query": "What is asthma?"}, format="json", HTTP_X_REQUEST_ID="retry-1")
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(openai_stub.chat_requests()) == 2
