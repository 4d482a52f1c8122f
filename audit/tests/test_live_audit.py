"""Live transcription: every window (and the final pass) sent to the AI leaves an audit event."""

from __future__ import annotations

import pytest

from accounts.tokens import token_pair_for
from ai.tests.live_support import EventLoop, Socket, close_worker_connections, heard
from audit.models import AuditEvent
from consultations.services import consultation_start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def loop():
    running = EventLoop()
    yield running
    running.stop()
    close_worker_connections()


def test_it_records_each_window_sent_to_the_ai_without_its_text(loop, openai_stub, settings, clinician):
    openai_stub.transcription_reply = heard
    settings.LIVE_IDLE_SECONDS = 60.0
    consultation = consultation_start(clinician=clinician, patient_data={"name": "Alice Example"})
    socket = Socket(loop, f"/transcription-stream?token={token_pair_for(clinician)['access_token']}")
    socket.receive()
    socket.record(consultation.pk)
    socket.close()

    calls = len(openai_stub.transcription_requests())
    events = list(
        AuditEvent.objects.values_list("user_id", "role", "model", "action", "object_id", "consultation_id", "source")
    )
    assert calls >= 2
    assert (
        events
        == [
            (
                str(clinician.pk),
                "clinician",
                "transcript",
                "ai",
                str(consultation.transcript.pk),
                str(consultation.pk),
                "live-window",
            )
        ]
        * calls
    )
    assert not any("Alice" in str(v) for row in AuditEvent.objects.values() for v in row.values())
