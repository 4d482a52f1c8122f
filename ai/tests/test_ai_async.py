"""The AI views are async: through Django's async handler (as under an ASGI server) the
budget, the error mapping and the quota behave as on the sync path, and a request
cancelled while it waits on the provider (the client went away) gives its slot back."""

from __future__ import annotations

import pytest

from accounts.tokens import token_pair_for
from ai.models import AiUsage
from ai.tests.conftest import post_and_hang_up

SEARCH = "/api/v1/ai/search"


def test_it_answers_504_when_the_budget_is_spent_and_gives_the_slot_back(
    openai_stub, settings, clinician, asgi_client_for
):
    settings.AI_TIMEOUT_SECONDS = 5.0
    settings.AI_REQUEST_BUDGET_SECONDS = 0.25
    openai_stub.delay = 0.5
    response = asgi_client_for(clinician).post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert response.status_code == 504
    assert response.json()["code"] == "ai_timeout"
    assert AiUsage.objects.filter(user=clinician).count() == 0


@pytest.mark.parametrize(("fail_status", "status", "code"), [(500, 502, "ai_error"), (429, 503, "ai_unavailable")])
def test_it_maps_provider_failures_and_gives_the_slot_back(
    openai_stub, clinician, asgi_client_for, fail_status, status, code
):
    openai_stub.fail_status = fail_status
    client = asgi_client_for(clinician)
    failed = client.post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert failed.status_code == status
    assert failed.json()["code"] == code
    assert AiUsage.objects.filter(user=clinician).count() == 0
    openai_stub.fail_status = None
    answered = client.post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert answered.status_code == 200
    assert answered.json()["answer"].startswith("Stub answer")
    assert AiUsage.objects.filter(user=clinician).count() == 1


def test_it_answers_a_summary_of_a_stored_transcript_and_keeps_it(
    openai_stub, clinician, asgi_client_for, make_transcript
):
    transcript = make_transcript(clinician, ["Cough for three days.", "Chest is clear."])
    response = asgi_client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1
    assert transcript.summaries.count() == 1
    assert AiUsage.objects.filter(user=clinician, operation="summary").count() == 1


def test_it_gives_the_slot_back_when_the_client_goes_away_while_waiting(openai_stub, clinician):
    openai_stub.delay = 5.0  # the provider is still thinking when the client hangs up
    token = token_pair_for(clinician)["access_token"]

    post_and_hang_up(openai_stub, SEARCH, {"query": "What is asthma?"}, token)
    assert AiUsage.objects.filter(user=clinician).count() == 0
