"""Live windows await the provider on the event loop (``client.atranscribe``): no worker
thread waits on it, so concurrent recordings do not queue for ``LIVE_WORKER_THREADS``;
the database steps (quota included) still run in the live pool, never on the loop."""

from __future__ import annotations

import logging
import threading

import pytest

from accounts.tokens import token_pair_for
from ai.models import AiUsage
from ai.tests.live_support import EventLoop, Socket, close_worker_connections, heard
from consultations.models import Segment
from consultations.services import consultation_start

pytestmark = pytest.mark.django_db(transaction=True)


class Calls(logging.Handler):
    """The ``ai_call`` records of the block, with the thread each was logged from."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[tuple[str, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "ai_call":
            self.threads.append((getattr(record, "task", ""), record.thread))


@pytest.fixture
def loop():
    running = EventLoop()
    yield running
    running.stop()
    close_worker_connections()


def test_windows_wait_on_the_provider_in_the_event_loop_not_in_a_worker_thread(loop, openai_stub, settings, clinician):
    openai_stub.transcription_reply = heard
    settings.LIVE_IDLE_SECONDS = 60.0
    consultation = consultation_start(clinician=clinician, patient_data={"name": "Alice Example"})
    calls = Calls()
    logger = logging.getLogger("scribe.ai")
    logger.addHandler(calls)

    try:
        socket = Socket(loop, f"/transcription-stream?token={token_pair_for(clinician)['access_token']}")
        socket.receive()
        messages = socket.record(consultation.pk)
        socket.close()
    finally:
        logger.removeHandler(calls)
    assert messages[-1]["type"] == "recording_stopped"
    assert [m["isPartial"] for m in messages if m["type"] == "transcript"] == [True, True, True, False]
    # Three windows and the final pass: each provider call was awaited on the loop's thread.
    assert [task for task, _ in calls.threads] == ["transcribe"] * 4
    assert {thread for _, thread in calls.threads} == {loop.thread.ident}
    assert Segment.objects.filter(transcript=consultation.transcript).count() == 3
    assert AiUsage.objects.filter(user=clinician).count() == 4


def test_the_database_steps_of_the_awaited_services_run_in_the_live_pool(loop, openai_stub, settings, clinician):
    """The quota claim of a window runs in a ``live`` worker (bounded connections), not on the
    event loop and not in asgiref's single shared thread."""
    openai_stub.transcription_reply = heard
    settings.LIVE_IDLE_SECONDS = 60.0
    consultation = consultation_start(clinician=clinician, patient_data={"name": "Alice Example"})
    seen: list[str] = []

    from django.db.models.signals import post_save

    def record_thread(sender, instance, created, **kwargs):
        seen.append(threading.current_thread().name)

    post_save.connect(record_thread, sender=AiUsage, weak=False)
    try:
        socket = Socket(loop, f"/transcription-stream?token={token_pair_for(clinician)['access_token']}")
        socket.receive()
        socket.record(consultation.pk)
        socket.close()
    finally:
        post_save.disconnect(record_thread, sender=AiUsage)
    assert len(seen) == 4
    assert all(name.startswith("live") for name in seen), seen
