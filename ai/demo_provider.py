"""The demo AI provider (``AI_PROVIDER=demo``): the OpenAI protocol answered in-process.

For trying Scribe on a laptop with no provider account and no network. It is an
``httpx`` transport (sync and async) given to the real ``openai`` SDK as its
``http_client`` (see ``ai.client``), so every code path of Scribe runs as in
production (SDK, retries, streaming, error mapping, evidence checks); only the
answers are made here, offline and deterministically:

- a SOAP summary (JSON schema requested) is built from the transcript's own
  sentences, each statement citing the ``[n]`` line it was copied from, so its
  evidence points at real segments; merging part summaries keeps their statements
  and evidence;
- a plain answer (search, images) says it is a demo and answers nothing medical;
- a transcription is ``Demo transcription: N.N seconds of audio.`` in five-second
  segments, N being the uploaded audio's length (read from a WAV header, estimated
  from the size at 128 kbit/s for other formats).

``scribe/settings.py`` refuses ``AI_PROVIDER=demo`` with ``DEBUG`` off: a clinic must
never receive a demo note.
"""

from __future__ import annotations

import io
import json
import math
import re
import time
import wave
from collections.abc import AsyncIterator, Iterator
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx

DEMO_BASE_URL = "http://ai-demo.invalid/v1"
DEMO_API_KEY = "demo"
DEMO_CHAT_MODEL = "scribe-demo"
DEMO_TRANSCRIBE_MODEL = "scribe-demo-transcribe"
DEMO_SEARCH_ANSWER = (
    "This is Scribe's demo AI provider (AI_PROVIDER=demo): no language model was asked, "
    "so this answer contains no medical information. Configure OPENAI_API_KEY and "
    "OPENAI_BASE_URL for real answers."
)

_LINE = re.compile(r"^\[(\d+)\]\s?(?:(\w+):\s)?(.*)$")
_SEGMENT_SECONDS = 5.0
# Bytes per second assumed for compressed audio whose length cannot be read (128 kbit/s).
_COMPRESSED_BYTES_PER_SECOND = 16_000

# Words that place a clinician's sentence in a SOAP section (checked in this order). What
# the patient says is history (subjective); the clinician's other lines (greetings,
# questions) are left out.
_SECTION_WORDS = {
    "plan": (
        "prescribe",
        "refer",
        "follow",
        "come back",
        "review",
        "book",
        "start",
        "take ",
        "plan",
        "we will",
        "i will",
        "i'll",
        "we'll",
        "advice",
        "safety",
        "increase",
        "reduce",
        "stop ",
    ),
    "assessment": ("think", "likely", "probably", "diagnos", "sounds like", "impression", "consistent with"),
    "objective": (
        "blood pressure",
        "temperature",
        "pulse",
        "saturation",
        "oxygen",
        "examin",
        "heart rate",
        "chest",
        "clear",
        "looks",
        "listen",
        "bpm",
        "mmhg",
        "°c",
    ),
}
_DIGIT = re.compile(r"\d")
_LABEL = re.compile(r"^(?:patient|clinician|doctor|dr|nurse|gp)\s*:\s*", re.IGNORECASE)


# --- answers ---------------------------------------------------------------------------


def _transcript_lines(messages: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    """``(seq, speaker, sentence)`` of the ``[n] speaker: text`` lines the user message holds."""
    lines = []
    for message in messages:
        if message.get("role") != "user" or not isinstance(message.get("content"), str):
            continue
        for raw in message["content"].splitlines():
            match = _LINE.match(raw.strip())
            if match and match.group(3).strip():
                lines.append((int(match.group(1)), (match.group(2) or "").lower(), match.group(3).strip()))
    return lines


def _section_of(speaker: str, sentence: str) -> str | None:
    if speaker == "patient" or sentence.lower().startswith("patient:"):
        return "subjective"
    lower = sentence.lower()
    for section, words in _SECTION_WORDS.items():
        if any(word in lower for word in words):
            return section
    if _DIGIT.search(sentence):
        return "objective"
    return "subjective" if speaker in ("", "unknown") and not sentence.rstrip().endswith("?") else None


def demo_summary(messages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A SOAP summary whose every statement is a transcript sentence citing its own line."""
    merged = _merge_parts(messages)
    if merged is not None:
        return merged
    sections: dict[str, list[dict[str, Any]]] = {"subjective": [], "objective": [], "assessment": [], "plan": []}
    for seq, speaker, sentence in _transcript_lines(messages):
        section = _section_of(speaker, sentence)
        if section is not None and len(sections[section]) < 6:  # a note, not the whole transcript again
            # The sentence as said, without a "Patient:" label written into the text itself.
            sections[section].append({"text": _LABEL.sub("", sentence), "evidence": [seq]})
    return sections


def _merge_parts(messages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]] | None:
    for message in messages:
        if message.get("role") != "user" or not isinstance(message.get("content"), str):
            continue
        try:
            payload = json.loads(message["content"])
        except ValueError:
            continue
        if isinstance(payload, dict) and isinstance(payload.get("parts"), list):
            sections: dict[str, list[dict[str, Any]]] = {
                "subjective": [],
                "objective": [],
                "assessment": [],
                "plan": [],
            }
            for part in payload["parts"]:
                for name, statements in sections.items():
                    statements.extend((part or {}).get(name) or [])
            return {name: statements[:8] for name, statements in sections.items()}
    return None


def audio_seconds(audio: bytes) -> float:
    """The length of a recording: exact for WAV, estimated from the size otherwise."""
    try:
        with wave.open(io.BytesIO(audio)) as recording:
            return recording.getnframes() / float(recording.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError):
        return len(audio) / _COMPRESSED_BYTES_PER_SECOND


def demo_transcription(audio: bytes) -> dict[str, Any]:
    seconds = round(audio_seconds(audio), 1)
    text = f"Demo transcription: {seconds:.1f} seconds of audio."
    pieces = max(1, math.ceil(seconds / _SEGMENT_SECONDS))
    segments = []
    for index in range(pieces):
        start = index * _SEGMENT_SECONDS
        end = min(seconds, start + _SEGMENT_SECONDS)
        words = text if index == 0 else f"Demo transcription continues ({start:.0f} to {end:.0f} s)."
        segments.append({"id": index, "start": start, "end": end, "text": f" {words}"})
    return {
        "text": " ".join(s["text"].strip() for s in segments),
        "language": "english",
        "duration": seconds,
        "segments": segments,
    }


# --- the OpenAI protocol -----------------------------------------------------------------


def _usage(body: dict[str, Any], content: str) -> dict[str, int]:
    prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
    completion = len(content) // 4
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _chat_content(body: dict[str, Any]) -> str:
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return json.dumps(demo_summary(body.get("messages", [])), ensure_ascii=False)
    return DEMO_SEARCH_ANSWER


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-demo",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": DEMO_CHAT_MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


def _events(body: dict[str, Any], content: str) -> Iterator[bytes]:
    def event(payload: dict[str, Any] | str) -> bytes:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        return f"data: {data}\n\n".encode()

    yield event(_chunk({"role": "assistant", "content": ""}))
    for start in range(0, len(content), 24):
        yield event(_chunk({"content": content[start : start + 24]}))
    yield event(_chunk({}, finish="stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        final = _chunk({})
        final["choices"] = []
        final["usage"] = _usage(body, content)
        yield event(final)
    yield event("[DONE]")


def _multipart_file(request: httpx.Request, body: bytes) -> bytes:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {request.headers.get('content-type', '')}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    )
    for part in message.iter_parts():
        if part.get_filename() is not None:
            return part.get_payload(decode=True) or b""
    return b""


def _error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message, "type": "invalid_request_error", "code": None}})


def demo_response(request: httpx.Request, body: bytes) -> tuple[httpx.Response, Iterator[bytes] | None]:
    """The answer to one OpenAI API request: ``(response, stream chunks or None)``."""
    path = request.url.path
    if request.method != "POST":
        return _error(405, "The demo provider answers POST only."), None
    if path.endswith("/chat/completions"):
        payload = json.loads(body or b"{}")
        content = _chat_content(payload)
        if payload.get("stream"):
            return httpx.Response(200, headers={"content-type": "text/event-stream"}), _events(payload, content)
        return (
            httpx.Response(
                200,
                json={
                    "id": "chatcmpl-demo",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": DEMO_CHAT_MODEL,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content, "refusal": None},
                            "finish_reason": "stop",
                            "logprobs": None,
                        }
                    ],
                    "usage": _usage(payload, content),
                },
            ),
            None,
        )
    if path.endswith("/audio/transcriptions"):
        return httpx.Response(200, json=demo_transcription(_multipart_file(request, body))), None
    return _error(404, f"The demo provider does not answer {path}."), None


class DemoTransport(httpx.BaseTransport):
    """The demo provider for ``openai.OpenAI(http_client=httpx.Client(transport=...))``."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response, chunks = demo_response(request, request.read())
        if chunks is None:
            return response
        return httpx.Response(response.status_code, headers=response.headers, stream=_SyncChunks(chunks))


class AsyncDemoTransport(httpx.AsyncBaseTransport):
    """The demo provider for ``openai.AsyncOpenAI(http_client=httpx.AsyncClient(transport=...))``."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response, chunks = demo_response(request, await request.aread())
        if chunks is None:
            return response
        return httpx.Response(response.status_code, headers=response.headers, stream=_AsyncChunks(chunks))


class _SyncChunks(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


class _AsyncChunks(httpx.AsyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def demo_http_client() -> httpx.Client:
    return httpx.Client(transport=DemoTransport(), base_url=DEMO_BASE_URL)


def demo_async_http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=AsyncDemoTransport(), base_url=DEMO_BASE_URL)
