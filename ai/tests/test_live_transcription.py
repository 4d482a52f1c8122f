"""Live transcription over /transcription-stream: the Node.js protocol, authenticated,
every recognised window stored, bounded. Real WebM/Opus slices (the committed fixture,
cut as MediaRecorder cuts it) through Scribe's ASGI application to the OpenAI stub."""

from __future__ import annotations

import pytest

from accounts.tokens import token_pair_for
from ai.live import consumer as live
from ai.models import AiUsage
from ai.tests.live_support import (
    SLICES,
    EventLoop,
    Socket,
    chunk,
    close_worker_connections,
    ffprobe_start_ms,
    heard,
)
from consultations.models import Segment
from consultations.services import consultation_end, consultation_start
from scribe.testing.logcapture import capture_log

pytestmark = pytest.mark.django_db(transaction=True)

HEADER, BODY = SLICES[0], SLICES[1:]
WINDOWS = [BODY[0:8], BODY[8:16], BODY[16:]]  # two full windows, then the short one flushed at stop


@pytest.fixture
def loop():
    running = EventLoop()
    yield running
    running.stop()
    close_worker_connections()


@pytest.fixture
def stub(openai_stub, settings):
    openai_stub.transcription_reply = heard
    settings.LIVE_IDLE_SECONDS = 60.0
    return openai_stub


@pytest.fixture
def consultation(clinician):
    return consultation_start(clinician=clinician, patient_data={"name": "Alice Example"})


def token(user) -> str:
    return token_pair_for(user)["access_token"]


def window_text(window: list[bytes]) -> str:
    return heard(HEADER + b"".join(window))["text"]


def stored(consultation) -> list[tuple]:
    return list(
        Segment.objects.filter(transcript=consultation.transcript)
        .order_by("seq")
        .values_list("seq", "text", "speaker", "start_ms", "end_ms")
    )


def test_it_streams_a_recording_message_for_message_and_stores_every_window(loop, stub, clinician, consultation):
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    assert socket.accepted
    hello = socket.receive()
    assert hello["type"] == "connection"
    assert hello["connectionId"].startswith("conn-")
    assert hello["message"] == "Connected to transcription stream"

    messages = socket.record(consultation.pk)

    texts = [window_text(w) for w in WINDOWS]
    assert [m["type"] for m in messages] == [
        "recording_started",
        "transcript",
        "transcript",
        "transcript",
        "transcript",
        "recording_stopped",
    ]
    assert messages[0] == {
        "type": "recording_started",
        "consultationId": str(consultation.pk),
        "message": "Recording started - Speak now!",
    }
    partials = messages[1:4]
    # The text so far, growing window by window.
    assert [p["text"] for p in partials] == [texts[0], f"{texts[0]} {texts[1]}", " ".join(texts)]
    assert all(p["isPartial"] is True and p["timestamp"].endswith("Z") for p in partials)
    final = messages[4]
    assert final["isPartial"] is False
    assert final["isFinal"] is True
    # The final pass over the whole recording is what the final message shows.
    assert final["text"] == heard(b"".join(SLICES))["text"]
    assert messages[5] == {"type": "recording_stopped", "message": "Recording stopped"}

    # Every window went to the provider as header + its slices, then the whole recording once.
    sent = [r.files["file"][2] for r in stub.transcription_requests()]
    assert sent == [HEADER + b"".join(w) for w in WINDOWS] + [b"".join(SLICES)]
    assert {r.fields["response_format"] for r in stub.transcription_requests()} == {"verbose_json"}
    assert AiUsage.objects.filter(user=clinician).count() == 4  # one quota slot per provider call

    # One segment per window, in order, timed from the window's start in the recording.
    rows = stored(consultation)
    assert [(seq, text, speaker) for seq, text, speaker, _, _ in rows] == [
        (0, texts[0], "unknown"),
        (1, texts[1], "unknown"),
        (2, texts[2], "unknown"),
    ]
    for (_, _, _, start_ms, end_ms), window in zip(rows, WINDOWS, strict=True):
        window_start = ffprobe_start_ms(HEADER + b"".join(window))
        assert abs(start_ms - (window_start + 250)) <= 30
        assert end_ms - start_ms == 1250
    assert rows[1][3] > rows[0][3] + 3000  # the second window starts about 4 s in
    socket.close()


def test_it_continues_after_the_last_stored_seq_when_a_recording_restarts(
    loop, stub, clinician, consultation, client_for
):
    client_for(clinician).post(
        f"/api/v1/transcripts/{consultation.transcript.pk}/segments",
        {"seq": 7, "text": "Typed before recording.", "speaker": "clinician"},
    )
    first = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    first.receive()
    first.send({"type": "start_recording", "consultationId": str(consultation.pk)})
    assert first.receive()["type"] == "recording_started"
    for piece in SLICES[:12]:  # one full window, then the tab closes mid-window
        first.send(chunk(piece))
    assert first.receive()["isPartial"] is True
    first.close()
    # The slices after the last window were stored on disconnect: nothing lost.
    assert [row[0] for row in stored(consultation)] == [7, 8, 9]

    second = Socket(loop, "/transcription-stream")
    second.receive()
    messages = second.record(consultation.pk, token=token(clinician))
    assert messages[-1]["type"] == "recording_stopped"
    assert [row[0] for row in stored(consultation)] == [7, 8, 9, 10, 11, 12]
    second.close()


def test_it_takes_the_token_in_start_recording(loop, stub, clinician, consultation):
    socket = Socket(loop)
    assert socket.receive()["type"] == "connection"
    messages = socket.record(consultation.pk, token=token(clinician))
    assert messages[0]["type"] == "recording_started"
    assert len(stored(consultation)) == 3
    socket.close()


def test_it_accepts_a_node_js_token(loop, stub, settings, consultation, clinician):
    import time

    import jwt

    clinician.legacy_id = "65a1b2c3d4e5f60718293a4b"
    clinician.save(update_fields=["legacy_id"])
    now = int(time.time())
    raw = jwt.encode(
        {"userID": clinician.legacy_id, "author": "x", "iat": now, "exp": now + 600},
        settings.LEGACY_JWT_SECRET_KEY,
        algorithm="HS256",
    )
    socket = Socket(loop, f"/transcription-stream?token={raw}")
    assert socket.receive()["type"] == "connection"
    assert socket.record(consultation.pk)[0]["type"] == "recording_started"
    socket.close()


def _refused_then_silent(socket, expected_message, close_code, stub) -> None:
    answer = socket.receive()
    assert answer["type"] == "error"
    assert answer["message"] == expected_message
    if close_code is not None:
        assert socket.receive() == {"type": "__closed__", "code": close_code}
    else:
        for piece in SLICES:  # a refused recording takes no audio
            socket.send(chunk(piece))
        socket.send({"type": "stop_recording"})
        assert socket.receive() == {"type": "recording_stopped", "message": "Recording stopped"}
        socket.close()
    assert stub.transcription_requests() == []


def test_it_refuses_a_socket_without_a_token(loop, stub, consultation):
    socket = Socket(loop)
    socket.receive()
    socket.send({"type": "start_recording", "consultationId": str(consultation.pk)})
    _refused_then_silent(socket, "Authentication required", 4401, stub)


@pytest.mark.parametrize("raw", ["not-a-jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"])
def test_it_refuses_an_invalid_token(loop, stub, raw):
    socket = Socket(loop, f"/transcription-stream?token={raw}")
    _refused_then_silent(socket, "Invalid authentication credentials", 4401, stub)


def test_it_refuses_a_revoked_token(loop, stub, clinician, consultation, api_client):
    pair = token_pair_for(clinician)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    assert api_client.post("/api/v1/users/logout", {"refresh_token": pair["refresh_token"]}).status_code in (200, 204)
    socket = Socket(loop)
    socket.receive()
    socket.send({"type": "start_recording", "consultationId": str(consultation.pk), "token": pair["access_token"]})
    _refused_then_silent(socket, "Session logged out. Please log in again.", 4401, stub)


def test_it_refuses_a_deactivated_clinician(loop, stub, clinician, consultation):
    raw = token(clinician)
    clinician.is_active = False
    clinician.save(update_fields=["is_active"])
    socket = Socket(loop, f"/transcription-stream?token={raw}")
    _refused_then_silent(socket, "Invalid authentication credentials", 4401, stub)


def test_it_refuses_a_patient(loop, stub, patient):
    socket = Socket(loop, f"/transcription-stream?token={token(patient)}")
    _refused_then_silent(socket, "Only clinicians can record a consultation", 4403, stub)


def test_it_refuses_another_clinicians_consultation(loop, stub, other_clinician, consultation):
    socket = Socket(loop, f"/transcription-stream?token={token(other_clinician)}")
    socket.receive()
    socket.send({"type": "start_recording", "consultationId": str(consultation.pk)})
    _refused_then_silent(socket, "Consultation not found", None, stub)


def test_it_refuses_an_ended_consultation(loop, stub, clinician, consultation):
    consultation_end(consultation=consultation)
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    socket.receive()
    socket.send({"type": "start_recording", "consultationId": str(consultation.pk)})
    _refused_then_silent(socket, "This consultation has ended", None, stub)


def test_it_refuses_a_page_from_another_origin(loop, stub, clinician):
    socket = Socket(
        loop, f"/transcription-stream?token={token(clinician)}", headers=[(b"origin", b"https://evil.example")]
    )
    assert socket.accepted is False
    allowed = Socket(
        loop,
        f"/transcription-stream?token={token(clinician)}",
        headers=[(b"origin", b"https://scribe.example.nhs.uk"), (b"host", b"scribe.example.nhs.uk")],
    )
    assert allowed.accepted is True
    allowed.close()


def test_it_answers_garbage_with_an_error_and_keeps_the_socket(loop, stub, clinician, consultation):
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    socket.receive()
    socket.send({"type": "start_recording", "consultationId": str(consultation.pk)})
    socket.receive()
    for garbage in [
        "not json",
        "[1, 2]",
        '{"type": "dance"}',
        '{"no": "type"}',
        '{"type": 5}',
        '{"type": "audio_chunk", "audioData": "%%% not base64"}',
        '{"type": "audio_chunk"}',
    ]:
        socket.send(garbage)
        assert socket.receive() == {
            "type": "error",
            "message": "Invalid message format",
            "timestamp": socket_ts(socket),
        }
    socket.send_bytes(b"\x00\x01binary")
    assert socket.receive()["message"] == "Invalid message format"
    # Still recording: the real audio goes through.
    for piece in SLICES:
        socket.send(chunk(piece))
    socket.send({"type": "stop_recording"})
    types = []
    while not types or types[-1] != "recording_stopped":
        types.append(socket.receive()["type"])
    assert types.count("transcript") == 4
    assert len(stored(consultation)) == 3
    socket.close()


def socket_ts(socket) -> object:
    class AnyTimestamp:
        def __eq__(self, other):
            return isinstance(other, str) and other.endswith("Z")

    return AnyTimestamp()


@pytest.mark.parametrize("fault", [429, 500, "timeout"])
def test_it_keeps_recording_through_provider_failures(loop, stub, settings, clinician, consultation, fault):
    settings.AI_TIMEOUT_SECONDS = 0.5
    stub.fault_sleep = 1.5
    stub.transcription_faults = [None, fault, fault]  # windows 2 and 3 fail, the final pass works
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    socket.receive()
    messages = socket.record(consultation.pk)
    errors = [m for m in messages if m["type"] == "error"]
    assert [e["message"] for e in errors] == ["Transcription temporarily unavailable"]  # once
    assert [m["type"] for m in messages if m["type"] != "error"] == [
        "recording_started",
        "transcript",
        "transcript",
        "recording_stopped",
    ]
    assert [(row[0], row[1]) for row in stored(consultation)] == [(0, window_text(WINDOWS[0]))]
    assert messages[-2]["isFinal"] is True
    assert AiUsage.objects.filter(user=clinician).count() == 2  # failed calls give their slot back
    socket.close()


def test_it_skips_a_window_the_provider_cannot_decode(loop, stub, clinician, consultation):
    stub.transcription_faults = ["undecodable"]
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    socket.receive()
    with capture_log() as log:
        messages = socket.record(consultation.pk)
    assert [m["type"] for m in messages] == [
        "recording_started",
        "transcript",
        "transcript",
        "transcript",
        "recording_stopped",
    ]
    assert [row[1] for row in stored(consultation)] == [window_text(WINDOWS[1]), window_text(WINDOWS[2])]
    skipped = [r for r in log.by_logger("scribe.ai.live") if r["message"] == "live_window_skipped"]
    assert [(r["window"], r["consultation_id"]) for r in skipped] == [(0, str(consultation.pk))]
    assert "cough" not in log.text.lower()
    assert token(clinician)[:20] not in log.text
    socket.close()


def test_it_stops_a_recording_at_the_byte_limit_and_keeps_what_it_recognised(
    loop, stub, settings, clinician, consultation
):
    settings.LIVE_MAX_RECORDING_BYTES = len(HEADER) + sum(len(p) for p in BODY[:10])
    settings.LIVE_MEMORY_BUFFER_BYTES = 2048  # spills to a temporary file after a few slices
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    socket.receive()
    with capture_log() as log:
        messages = socket.record(consultation.pk)
    assert [m.get("message") for m in messages if m["type"] == "error"] == ["Recording limit reached"]
    assert messages[-1]["type"] == "recording_stopped"
    # The first window and the two slices after it were stored; the rest was refused.
    assert [row[1] for row in stored(consultation)] == [window_text(WINDOWS[0]), window_text([BODY[8], BODY[9]])]
    done = [r for r in log.by_logger("scribe.ai.live") if r["message"] == "live_recording_stopped"]
    assert done[0]["spilled_to_disk"] is True
    socket.close()


def test_it_refuses_a_slice_over_the_size_limit(loop, stub, settings, clinician, consultation):
    settings.LIVE_MAX_CHUNK_BYTES = 600
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    socket.receive()
    socket.send({"type": "start_recording", "consultationId": str(consultation.pk)})
    socket.receive()
    socket.send(chunk(b"\x00" * 601))
    assert socket.receive()["message"] == "Audio chunk too large"
    socket.send(chunk(HEADER))  # 453 bytes: accepted
    assert socket.nothing_waiting()
    socket.close()


def test_it_limits_open_sockets_per_user(loop, stub, settings, clinician):
    settings.LIVE_MAX_SOCKETS_PER_USER = 1
    first = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    assert first.receive()["type"] == "connection"
    second = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    assert second.receive()["message"] == "Too many live transcription connections"
    assert second.receive() == {"type": "__closed__", "code": 4429}
    first.close()
    third = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    assert third.receive()["type"] == "connection"
    third.close()


def test_it_serves_the_socket_with_the_cache_down(loop, stub, settings, clinician, consultation):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    assert socket.receive()["type"] == "connection"
    assert socket.record(consultation.pk)[-1]["type"] == "recording_stopped"
    assert len(stored(consultation)) == 3
    socket.close()


def test_it_closes_an_idle_socket_after_storing_its_recording(loop, stub, settings, clinician, consultation):
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    socket.receive()
    socket.send({"type": "start_recording", "consultationId": str(consultation.pk)})
    socket.receive()
    for piece in SLICES[:4]:
        socket.send(chunk(piece))
    settings.LIVE_IDLE_SECONDS = 0.2  # read by the watchdog's next round
    live_messages = []
    while not live_messages or live_messages[-1]["type"] != "__closed__":
        live_messages.append(socket.receive())
    assert live_messages[-1]["code"] == live.CLOSE_IDLE
    assert [m.get("message") for m in live_messages if m["type"] == "error"] == ["Connection closed after inactivity"]
    assert len(stored(consultation)) == 1


def test_it_can_skip_the_final_pass(loop, stub, settings, clinician, consultation):
    settings.LIVE_FINAL_PASS = False
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    socket.receive()
    messages = socket.record(consultation.pk)
    assert messages[-2]["isFinal"] is True
    assert messages[-2]["text"] == " ".join(window_text(w) for w in WINDOWS)
    assert len(stub.transcription_requests()) == 3
    socket.close()


def test_it_stores_the_final_pass_when_no_window_was_recognised(loop, stub, clinician, consultation):
    stub.transcription_faults = ["undecodable", "undecodable", "undecodable"]
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    socket.receive()
    messages = socket.record(consultation.pk)
    whole = heard(b"".join(SLICES))["text"]
    assert messages[-2]["text"] == whole
    assert [(row[0], row[1], row[3]) for row in stored(consultation)] == [(0, whole, 250)]
    socket.close()


def test_it_refuses_a_second_start_while_recording(loop, stub, clinician, other_clinician, consultation):
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    socket.receive()
    socket.send({"type": "start_recording", "consultationId": str(consultation.pk)})
    assert socket.receive()["type"] == "recording_started"
    # Another clinician's token in a second start changes nothing: not who pays, not where it goes.
    socket.send({"type": "start_recording", "consultationId": str(consultation.pk), "token": token(other_clinician)})
    assert socket.receive()["message"] == "A recording is already in progress"
    for piece in SLICES:
        socket.send(chunk(piece))
    socket.send({"type": "stop_recording"})
    types = []
    while not types or types[-1] != "recording_stopped":
        types.append(socket.receive()["type"])
    assert len(stored(consultation)) == 3
    assert AiUsage.objects.filter(user=other_clinician).count() == 0
    assert AiUsage.objects.filter(user=clinician).count() == 4
    socket.close()


def test_it_stops_recording_when_the_consultation_ends_meanwhile(loop, stub, clinician, consultation, client_for):
    socket = Socket(loop, f"/transcription-stream?token={token(clinician)}")
    socket.receive()
    socket.send({"type": "start_recording", "consultationId": str(consultation.pk)})
    socket.receive()
    for piece in SLICES[:9]:
        socket.send(chunk(piece))
    assert socket.receive()["isPartial"] is True
    consultation_end(consultation=consultation)  # e.g. ended from another tab
    for piece in SLICES[9:17]:
        socket.send(chunk(piece))
    assert socket.receive()["message"] == "This consultation has ended"
    assert socket.receive() == {"type": "recording_stopped", "message": "Recording stopped"}
    socket.send(chunk(SLICES[17]))  # ignored: no recording any more
    socket.send({"type": "stop_recording"})
    assert socket.receive() == {"type": "recording_stopped", "message": "Recording stopped"}
    assert [row[0] for row in stored(consultation)] == [0]
    socket.close()
