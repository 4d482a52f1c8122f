"""AI_PROVIDER=demo: every AI endpoint answers offline, deterministically, through the real SDK."""

from __future__ import annotations

import io
import wave

import pytest

from ai.demo_provider import DEMO_SEARCH_ANSWER
from consultations.models import Segment
from scribe.testing.processes import manage

LINES = [
    ("patient", "I have had a dry cough for three days."),
    ("patient", "It is worse at night."),
    ("clinician", "Your temperature is 37.2 and your chest is clear."),
    ("clinician", "I think this is most likely a viral infection."),
    ("clinician", "I will not prescribe antibiotics; come back if it lasts beyond three weeks."),
]


@pytest.fixture
def demo(settings):
    settings.AI_PROVIDER = "demo"
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""


def _wav(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def test_it_summarises_from_the_transcripts_own_sentences_with_real_evidence(
    demo, clinician, client_for, make_transcript
):
    transcript = make_transcript(clinician, LINES)
    client = client_for(clinician)

    first = client.post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    again = client.post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")

    assert first.status_code == 200, first.content
    body = first.json()
    sentences = dict(Segment.objects.filter(transcript=transcript).values_list("seq", "text"))
    statements = [
        s for section in ("subjective", "objective", "assessment", "plan") for s in body["statements"][section]
    ]
    assert statements, body
    for statement in statements:
        # Every statement is a sentence of the transcript, citing the segment it came from.
        assert [sentences[seq] for seq in statement["evidence"]] == [statement["text"]]
        assert statement["supported"] is True
    assert body["unsupported_count"] == 0
    assert body["statements"]["subjective"][0]["evidence"] == [1]
    assert body["statements"]["plan"][0]["evidence"] == [5]
    assert body["model"] == "scribe-demo"
    assert again.json()["statements"] == body["statements"]  # deterministic


def test_it_streams_the_same_summary(demo, clinician, asgi_client_for, make_transcript):
    # Through Django's async handler: the stream is an async iterator (the async demo transport).
    transcript = make_transcript(clinician, LINES)
    response = asgi_client_for(clinician).post(
        f"/api/v1/transcripts/{transcript.pk}/summarize?stream=true", {}, format="json"
    )
    assert response.status_code == 200
    events = response.streamed.decode()
    assert "event: summary" in events
    assert "I will not prescribe antibiotics" in events


def test_it_says_a_search_answer_is_a_demo(demo, clinician, client_for):
    response = client_for(clinician).post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["answer"] == DEMO_SEARCH_ANSWER
    assert "demo" in response.json()["answer"]


def test_it_transcribes_the_length_of_the_uploaded_audio(demo, clinician, client_for):
    audio = io.BytesIO(_wav(12.0))
    audio.name = "visit.wav"
    response = client_for(clinician).post("/api/v1/ai/transcribe", {"audio": audio}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"].startswith("Demo transcription: 12.0 seconds of audio.")
    assert [(s["start_ms"], s["end_ms"]) for s in body["segments"]] == [(0, 5000), (5000, 10000), (10000, 12000)]


def test_it_is_refused_with_debug_off():
    from scribe.testing.processes import PRODUCTION_ENV

    done = manage("check", **PRODUCTION_ENV, AI_PROVIDER="demo")
    assert done.returncode == 78
    assert "AI_PROVIDER=demo" in done.stderr


def test_it_starts_with_debug_on():
    done = manage("check", DEBUG="true", AI_PROVIDER="demo")
    assert done.returncode == 0, done.stderr


def test_it_merges_the_parts_of_a_long_transcript_keeping_real_evidence(
    demo, settings, clinician, client_for, make_transcript
):
    settings.AI_MAX_INPUT_TOKENS = 1_000  # several parts, then a merge
    lines = [("patient", f"Symptom number {n} started {n} days ago and troubles me.") for n in range(1, 80)]
    transcript = make_transcript(clinician, lines)
    response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["parts"] > 1
    assert body["unsupported_count"] == 0
    for statement in body["statements"]["subjective"]:
        assert statement["text"] == lines[statement["evidence"][0] - 1][1]


def test_its_async_transport_speaks_the_same_protocol():
    import asyncio

    from ai.demo_provider import demo_async_http_client

    async def ask() -> dict:
        async with demo_async_http_client() as client:
            response = await client.post(
                "/v1/chat/completions",
                json={"model": "any", "messages": [{"role": "user", "content": "What is asthma?"}]},
            )
            return response.json()

    answer = asyncio.run(ask())
    assert answer["choices"][0]["message"]["content"] == DEMO_SEARCH_ANSWER
    assert answer["choices"][0]["finish_reason"] == "stop"
