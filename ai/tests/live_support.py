"""Helpers of the live-transcription tests: a socket client on the ASGI application,
real WebM/Opus slices, and a transcription reply derived from the audio sent."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from channels.testing import WebsocketCommunicator

from scribe.testing.webm import fixture_audio, media_recorder_slices

ORIGIN = (b"origin", b"http://localhost:3000")
SLICES = media_recorder_slices(fixture_audio())  # header + 18 slices of ~0.5 s: 2 windows of 8 + 2
WORDS = ["cough", "fever", "night", "tired", "chest", "pain", "three", "days", "sunday", "morning"]


def heard(audio: bytes) -> dict[str, Any]:
    """The stub's answer for ``audio``: words picked by its hash (so each window says
    something different, and the same window always says the same), one segment."""
    digest = hashlib.sha256(audio).digest()
    text = " ".join(WORDS[b % len(WORDS)] for b in digest[:3]).capitalize() + "."
    return {
        "text": text,
        "language": "english",
        "duration": 4.0,
        "segments": [{"id": 0, "start": 0.25, "end": 1.5, "text": " " + text}],
    }


def ffprobe_start_ms(audio: bytes) -> int:
    """Where ffprobe says a header+slices file starts (ms), the truth the offsets are checked against."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "window.webm"
        path.write_bytes(audio)
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=start_time", "-of", "csv=p=0", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return round(float(out) * 1000)


def chunk(data: bytes) -> dict[str, str]:
    return {"type": "audio_chunk", "audioData": base64.b64encode(data).decode()}


class EventLoop:
    """One event loop in a thread for a test: every socket of the test lives on it, and the
    sync test code waits for each step (the consumer's database work runs in its own threads)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        async def cancel_the_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class Socket:
    """A WebsocketCommunicator on scribe.asgi.application, driven from sync test code."""

    def __init__(
        self, loop: EventLoop, path: str = "/transcription-stream", *, headers: list[tuple[bytes, bytes]] | None = None
    ):
        from scribe.asgi import application

        self.loop = loop
        self.comm = WebsocketCommunicator(application, path, headers=headers if headers is not None else [ORIGIN])
        self.accepted, self.close_code = loop.run(self.comm.connect(timeout=10))

    def send(self, message: dict[str, Any] | str) -> None:
        text = message if isinstance(message, str) else json.dumps(message)
        self.loop.run(self.comm.send_to(text_data=text))

    def send_bytes(self, data: bytes) -> None:
        self.loop.run(self.comm.send_to(bytes_data=data))

    def receive(self, timeout: float = 10) -> dict[str, Any]:
        output = self.loop.run(self.comm.receive_output(timeout))
        if output["type"] == "websocket.close":
            return {"type": "__closed__", "code": output.get("code")}
        assert "text" in output, output
        return json.loads(output["text"])

    def nothing_waiting(self) -> bool:
        return self.loop.run(self.comm.receive_nothing(0.2))

    def close(self) -> None:
        self.loop.run(self.comm.disconnect())

    def record(self, consultation_id: object, slices: list[bytes] = SLICES, **start: Any) -> list[dict[str, Any]]:
        """start_recording, every slice, stop_recording; every message until recording_stopped."""
        self.send({"type": "start_recording", "consultationId": str(consultation_id), **start})
        messages = [self.receive()]
        for piece in slices:
            self.send(chunk(piece))
        self.send({"type": "stop_recording"})
        while messages[-1]["type"] not in ("recording_stopped", "__closed__"):
            messages.append(self.receive())
        return messages


def close_worker_connections() -> None:
    """Close the database connections the consumer's worker threads keep (CONN_MAX_AGE), so
    the test database can be dropped: one task per thread, held together by a barrier."""
    from django.db import connections

    from ai.live import consumer

    executor = consumer._executor
    if executor is None:
        return
    size = executor._max_workers
    barrier = threading.Barrier(size)

    def close() -> None:
        connections.close_all()
        barrier.wait(10)

    for future in [executor.submit(close) for _ in range(size)]:
        future.result(15)
