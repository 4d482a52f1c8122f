"""The Node face's AI views are async (adrf): production routes ``/api/ai/...`` and
``/api/consultation/{id}/end`` to the ASGI process, where a request waiting on the
provider must hold no thread. Through Django's async handler (as under an ASGI server)
they answer Node's shapes, and a request cancelled while it waits on the provider (the
client went away) gives its quota slot back: only an awaited provider call can be
cancelled there."""

from __future__ import annotations

import inspect

import pytest
from adrf.views import APIView as AsyncAPIView
from rest_framework.test import APIClient

from accounts.tokens import token_pair_for
from ai.models import AiUsage
from ai.tests.conftest import AsgiClient, post_and_hang_up
from consultations.models import Consultation, Summary
from consultations.services import consultation_start, segment_append
from legacy_api.views import ai, records

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(clinician):
    consultation = consultation_start(clinician=clinician, patient_data={"name": "Alice Example"})
    for seq, text in enumerate(["I have had a cough for a week.", "Your chest sounds clear."], start=1):
        segment_append(transcript=consultation.transcript, seq=seq, text=text, speaker="patient")
    return consultation


def asgi(user) -> AsgiClient:
    return AsgiClient(token_pair_for(user)["access_token"])


@pytest.mark.parametrize("view", [ai.SearchView, ai.SummariseView, ai.AnalyzeView, records.ConsultationEndView])
def test_the_model_calling_node_views_are_async_adrf_views(view):
    assert issubclass(view, AsyncAPIView)
    assert inspect.iscoroutinefunction(view.post)
    assert view.view_is_async  # Django's handler awaits it: no thread for the wait


def test_clinical_codes_stays_a_sync_view():
    assert not ai.ClinicalCodesView.view_is_async


def test_search_and_analyze_answer_nodes_shapes_through_the_async_handler(clinician, openai_stub):
    client = asgi(clinician)
    search = client.post("/api/ai/search", {"query": "What is asthma?"}, format="json")
    assert search.status_code == 200, search.content
    assert search.json() == {"query": "What is asthma?", "answer": search.json()["answer"]}
    assert search.json()["answer"].startswith("Stub answer")
    missing = client.post("/api/ai/search", {}, format="json")
    assert missing.status_code == 400
    assert missing.json()["msg"] == "Query is required"
    # A body query of the wrong type is refused even beside a query-string one (the fuzzer's find).
    wrong = client.post("/api/ai/search?query=asthma", {"query": ["asthma"]}, format="json")
    assert wrong.status_code == 400, wrong.content
    assert wrong.json()["code"] == "invalid"
    assert "query" in wrong.json()["errors"]
    # A body that is not JSON beside ?query= is ignored, as it always was (a fetch without headers
    # sends text/plain).
    sync = APIClient()
    sync.credentials(HTTP_AUTHORIZATION=f"Bearer {client.token}")
    plain = sync.post("/api/ai/search?query=asthma", "{}", content_type="text/plain")
    assert plain.status_code == 200, plain.content
    assert plain.json()["query"] == "asthma"
    analyze = client.post("/api/ai/analyze", {"prompt": "What is this?"}, format="json")
    assert analyze.status_code == 200, analyze.content
    assert analyze.json()["status"] == "ok"
    assert analyze.json()["response"]
    assert AiUsage.objects.filter(user=clinician).count() == 3  # two answers and an analysis; the 400s claimed nothing


def test_summarise_answers_nodes_shape_through_the_async_handler(clinician, other_clinician, consultation, openai_stub):
    foreign = asgi(other_clinician).post(f"/api/ai/{consultation.pk}/summarise", {}, format="json")
    assert foreign.status_code == 404
    assert foreign.json()["msg"] == "Consultation not found"
    response = asgi(clinician).post(f"/api/ai/{consultation.pk}/summarise", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["msg"] == "SOAP summary generated successfully"
    assert response.json()["consultationId"] == str(consultation.pk)
    assert response.json()["soapSummary"].startswith("Subjective:")
    assert Summary.objects.filter(transcript=consultation.transcript).count() == 1


def test_end_answers_nodes_shape_through_the_async_handler(clinician, consultation, openai_stub, nhs_stub):
    response = asgi(clinician).post(f"/api/consultation/{consultation.pk}/end", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["msg"] == "Consultation ended successfully"
    assert body["summary"].startswith("Subjective:")
    assert body["transcript"]["_id"] == str(consultation.transcript.pk)
    stored = Summary.objects.get(transcript=consultation.transcript)
    assert stored.highlights == body["highlights"]
    assert len(openai_stub.chat_requests()) == 2  # highlights, then the summary
    again = asgi(clinician).post(f"/api/consultation/{consultation.pk}/end", {}, format="json")
    assert again.status_code == 409


def test_end_gives_the_slot_back_when_the_client_goes_away_while_waiting(clinician, consultation, openai_stub):
    openai_stub.delay = 5.0  # the provider is still thinking about the highlights
    token = token_pair_for(clinician)["access_token"]

    post_and_hang_up(openai_stub, f"/api/consultation/{consultation.pk}/end", {}, token)
    assert AiUsage.objects.filter(user=clinician).count() == 0
    assert not Summary.objects.exists()
    assert Consultation.objects.get(pk=consultation.pk).status == "ended"  # the end was decided first
