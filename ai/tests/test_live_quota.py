"""Live transcription has a daily budget of its own (AI_LIVE_DAILY_QUOTA): each window and
the final pass take one slot of it (the quota still counts every provider call), it refuses
with the quota's message as Node's ``error`` once used up, and it neither eats nor is
eaten by AI_DAILY_QUOTA (summaries, search, images)."""

from __future__ import annotations

import pytest

from accounts.tokens import token_pair_for
from ai.models import AiUsage
from ai.tests.live_support import EventLoop, Socket, close_worker_connections, heard
from consultations.models import Segment
from consultations.services import consultation_start

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH = "/api/v1/ai/search"
LIVE_USED_UP = "You have used today's 2 live transcription windows. The limit resets at midnight."


@pytest.fixture
def loop():
    running = EventLoop()
    yield running
    running.stop()
    close_worker_connections()


@pytest.fixture
def consultation(clinician, openai_stub, settings):
    openai_stub.transcription_reply = heard
    settings.LIVE_IDLE_SECONDS = 60.0
    return consultation_start(clinician=clinician, patient_data={"name": "Alice Example"})


def record(loop, user, consultation) -> list[dict]:
    socket = Socket(loop, f"/transcription-stream?token={token_pair_for(user)['access_token']}")
    socket.receive()
    messages = socket.record(consultation.pk)
    socket.close()
    return messages


def test_the_live_budget_refuses_with_nodes_error_once_used_up_and_leaves_the_rest_quota(
    loop, clinician, consultation, openai_stub, settings, client_for
):
    settings.AI_LIVE_DAILY_QUOTA = 2
    settings.AI_DAILY_QUOTA = 1
    messages = record(loop, clinician, consultation)  # three windows, then the final pass

    errors = [m["message"] for m in messages if m["type"] == "error"]
    # The third window is refused with the quota's sentence (once); the final pass then fails too.
    assert errors == [LIVE_USED_UP, "Final transcription failed"]
    assert messages[-1] == {"type": "recording_stopped", "message": "Recording stopped"}
    assert Segment.objects.filter(transcript=consultation.transcript).count() == 2
    assert len(openai_stub.transcription_requests()) == 2  # refused before the provider
    assert list(AiUsage.objects.filter(user=clinician).values_list("quota", flat=True)) == ["live", "live"]

    # The REST quota is untouched: its one slot is still there, then it refuses on its own.
    client = client_for(clinician)
    assert client.post(SEARCH, {"query": "What is asthma?"}, format="json").status_code == 200
    refused = client.post(SEARCH, {"query": "What is asthma?"}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "ai_quota_exceeded"
    assert AiUsage.objects.filter(user=clinician, quota="ai").count() == 1


def test_a_used_up_rest_quota_does_not_stop_live_recording(
    loop, clinician, consultation, openai_stub, settings, client_for
):
    settings.AI_DAILY_QUOTA = 1
    client = client_for(clinician)
    assert client.post(SEARCH, {"query": "What is asthma?"}, format="json").status_code == 200
    assert client.post(SEARCH, {"query": "What is asthma?"}, format="json").status_code == 429

    messages = record(loop, clinician, consultation)

    assert not [m for m in messages if m["type"] == "error"]
    assert [m["isPartial"] for m in messages if m["type"] == "transcript"] == [True, True, True, False]
    # Every provider call still counts: three windows and the final pass, in the live budget.
    assert AiUsage.objects.filter(user=clinician, quota="live").count() == 4
    assert AiUsage.objects.filter(user=clinician, quota="ai").count() == 1


def test_the_live_budget_is_per_user(loop, clinician, other_clinician, openai_stub, settings):
    settings.AI_LIVE_DAILY_QUOTA = 4
    openai_stub.transcription_reply = heard
    settings.LIVE_IDLE_SECONDS = 60.0
    mine = consultation_start(clinician=clinician, patient_data={"name": "Alice Example"})
    theirs = consultation_start(clinician=other_clinician, patient_data={"name": "Bob Example"})
    assert not [m for m in record(loop, clinician, mine) if m["type"] == "error"]
    assert not [m for m in record(loop, other_clinician, theirs) if m["type"] == "error"]
    again = record(loop, clinician, mine)
    assert [m["message"] for m in again if m["type"] == "error"] == [
        "You have used today's 4 live transcription windows. The limit resets at midnight.",
        "Final transcription failed",
    ]
    assert AiUsage.objects.filter(user=other_clinician, quota="live").count() == 4
