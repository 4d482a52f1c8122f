"""Once over a real socket: daphne serving scribe.asgi in a child process on a free port,
the `websockets` client recording real WebM/Opus slices into a consultation."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from websockets.sync.client import connect

from accounts.tokens import token_pair_for
from ai.tests.live_support import SLICES, chunk, heard
from consultations.models import Segment
from consultations.services import consultation_start
from scribe.testing.processes import BASE_DIR, child_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    pytest.skip("the child server shares the test database on SQL engines only")


class Server:
    """daphne on 127.0.0.1, port 0: the port is read from its 'Listening on' log line."""

    def __init__(self, **env: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-e", "tcp:port=0:interface=127.0.0.1", "scribe.asgi:application"],
            cwd=BASE_DIR,
            env=child_env(**env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.port: int | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(60) or self.port is None:
            self.stop()
            raise AssertionError("daphne did not start:\n" + "\n".join(self.lines))

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)
            found = re.search(r"Listening on TCP address [\d.]+:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                self._ready.set()
        self._ready.set()

    def stop(self) -> str:
        self.process.terminate()
        self.process.wait(10)
        return "".join(self.lines)


def test_it_records_over_a_real_socket_and_never_logs_the_token(openai_stub, clinician):
    openai_stub.transcription_reply = heard
    consultation = consultation_start(clinician=clinician, patient_data={"name": "Alice Example"})
    access = token_pair_for(clinician)["access_token"]
    server = Server(
        DEBUG="true",
        DATABASE_URL=database_url(),
        OPENAI_API_KEY="sk-scribe-test",
        OPENAI_BASE_URL=openai_stub.base_url,
        AI_MAX_RETRIES="0",
        JWT_SECRET_KEY=settings.JWT_SECRET_KEY,
    )
    try:
        url = f"ws://127.0.0.1:{server.port}/transcription-stream?token={access}"
        with connect(url, origin="http://localhost:3000", open_timeout=10) as socket:
            assert json.loads(socket.recv(10))["type"] == "connection"
            socket.send(json.dumps({"type": "start_recording", "consultationId": str(consultation.pk)}))
            messages = [json.loads(socket.recv(10))]
            for piece in SLICES:
                socket.send(json.dumps(chunk(piece)))
                time.sleep(0.01)  # a little like MediaRecorder's pace; order is what is checked
            socket.send(json.dumps({"type": "stop_recording"}))
            while messages[-1]["type"] != "recording_stopped":
                messages.append(json.loads(socket.recv(20)))
        assert [m["type"] for m in messages] == [
            "recording_started",
            "transcript",
            "transcript",
            "transcript",
            "transcript",
            "recording_stopped",
        ]
        assert messages[-2]["isFinal"] is True
        assert Segment.objects.filter(transcript=consultation.transcript).count() == 3
        # A page from another site is refused at the handshake.
        with pytest.raises(Exception, match="403"):
            connect(url, origin="https://evil.example", open_timeout=10)
    finally:
        log = server.stop()
    assert "live_recording_stopped" in log
    assert access not in log
    assert access.split(".")[2] not in log
