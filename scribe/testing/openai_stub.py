"""A small OpenAI-compatible HTTP server on 127.0.0.1 for tests.

It speaks enough of the real wire protocol for the official ``openai`` SDK to
run unchanged against it: ``POST /v1/chat/completions`` (plain, JSON-schema
structured output and ``stream: true`` server-sent events) and
``POST /v1/audio/transcriptions`` (multipart, ``verbose_json``).

Every request is recorded (method, path, headers, parsed JSON or multipart
fields) so tests can prove what left Scribe: redacted text, data URLs, the
model asked for. Faults are set per test: ``delay`` (seconds before answering),
``transcription_faults`` (a queue, one entry per audio request: ``None`` answers,
a status code fails, ``"timeout"`` answers only after ``fault_sleep`` seconds,
``"undecodable"`` is the provider's 400 for audio it cannot read),
``fail_status`` (+ ``retry_after``), ``garbage`` (a 200 whose body or content
is not what was asked for), ``finish_reason`` (``"length"``: a cut-off answer).

Answers come from ``chat_replies`` (a queue of content strings or callables
``(request_json) -> str``) when a test scripted them, otherwise from a default
that makes a plausible, schema-valid answer from the request itself.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any

from scribe.testing.http import StubHandler, serve, stop

ChatReply = str | Callable[[dict[str, Any]], str]

_SEQ_LINE = re.compile(r"^\[(\d+)\]", re.MULTILINE)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any = None
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # name -> (filename, type, bytes)


def default_soap_reply(request: dict[str, Any]) -> str:
    """A schema-valid SOAP summary citing the first segment number it was shown."""
    text = "\n".join(str(m.get("content")) for m in request.get("messages", []) if m.get("role") == "user")
    seqs = [int(n) for n in _SEQ_LINE.findall(text)]
    cite = seqs[:1]
    statement = lambda words: [{"text": words, "evidence": cite}]  # noqa: E731
    return json.dumps(
        {
            "subjective": statement("Patient describes the presenting complaint."),
            "objective": statement("Findings as discussed."),
            "assessment": statement("Assessment as discussed."),
            "plan": statement("Plan as discussed."),
        }
    )


# A clinical term the NHS stub confirms (Cough, 49727002) and one whose code it does not
# list for the term (Fever is 386661006 there): one verified, one not.
DEFAULT_HIGHLIGHTS = [("Cough", "49727002"), ("Fever", "12345678")]


def default_highlights_reply(request: dict[str, Any]) -> str:
    """A schema-valid ``clinical_highlights`` answer citing the first segment number shown."""
    text = "\n".join(str(m.get("content")) for m in request.get("messages", []) if m.get("role") == "user")
    cite = [int(n) for n in _SEQ_LINE.findall(text)][:1]
    return json.dumps(
        {"highlights": [{"term": term, "possible_snomed": code, "evidence": cite} for term, code in DEFAULT_HIGHLIGHTS]}
    )


class OpenAIStub:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self.reset()
        self._server = serve(self._handler_class())

    # --- test controls -------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            # A request still in flight from the previous test (a delayed answer its
            # client gave up on) belongs to that generation: it takes no reply now.
            self._generation = getattr(self, "_generation", 0) + 1
            self.requests = []
        self.chat_replies: list[ChatReply] = []
        self.transcription: dict[str, Any] = {
            "text": "Hello doctor. I have had a cough for three days.",
            "language": "english",
            "duration": 4.2,
            "segments": [
                {"id": 0, "start": 0.0, "end": 1.5, "text": " Hello doctor."},
                {"id": 1, "start": 1.5, "end": 4.2, "text": " I have had a cough for three days."},
            ],
        }
        self.delay = 0.0
        self.fail_status: int | None = None
        self.retry_after: str | None = None
        self.garbage = False
        self.stream_chunk_chars = 12
        self.usage = {"prompt_tokens": 120, "completion_tokens": 45, "total_tokens": 165}
        self.finish_reason = "stop"  # "length": the answer was cut off at max_tokens
        # (audio bytes) -> verbose_json payload; None: the fixed ``transcription`` above.
        self.transcription_reply: Callable[[bytes], dict[str, Any]] | None = None
        self.transcription_faults: list[int | str | None] = []
        self.fault_sleep = 3.0

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def transcription_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/audio/transcriptions")]

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def close(self) -> None:
        stop(self._server)

    # --- protocol ---------------------------------------------------------------------

    def _next_chat_content(self, body: dict[str, Any]) -> str:
        if self.chat_replies:
            reply = self.chat_replies.pop(0)
            return reply(body) if callable(reply) else reply
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            if (response_format.get("json_schema") or {}).get("name") == "clinical_highlights":
                return default_highlights_reply(body)
            return default_soap_reply(body)
        return "Stub answer: general medical information only."

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(StubHandler):
            def do_POST(self) -> None:
                generation = stub._generation
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                record = RecordedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()})
                content_type = self.headers.get("Content-Type", "")
                if content_type.startswith("application/json"):
                    record.json = json.loads(raw or b"null")
                elif content_type.startswith("multipart/form-data"):
                    record.fields, record.files = _parse_multipart(content_type, raw)
                with stub._lock:
                    stub.requests.append(record)
                    fault = (
                        stub.transcription_faults.pop(0)
                        if self.path.endswith("/audio/transcriptions") and stub.transcription_faults
                        else None
                    )
                if fault == "timeout":
                    time.sleep(stub.fault_sleep)
                elif fault == "undecodable":
                    error = {
                        "error": {
                            "message": "Audio file could not be decoded or its format is not supported.",
                            "type": "invalid_request_error",
                            "param": None,
                            "code": None,
                        }
                    }
                    return self._send_json(400, error)
                elif isinstance(fault, int):
                    error = {"error": {"message": "stub failure", "type": "server_error", "code": None}}
                    return self._send_json(fault, error)

                if stub.delay:
                    time.sleep(stub.delay)
                if generation != stub._generation:  # reset while this request waited
                    self.close_connection = True
                    return None
                if stub.fail_status:
                    headers = {"retry-after": stub.retry_after} if stub.retry_after else {}
                    error = {"error": {"message": "stub failure", "type": "server_error", "code": None}}
                    return self._send_json(stub.fail_status, error, headers=headers)
                if self.path.endswith("/chat/completions"):
                    return self._chat(record.json or {})
                if self.path.endswith("/audio/transcriptions"):
                    return self._transcription(record.fields, record.files)
                return self._send(404, b'{"error": {"message": "unknown path"}}')

            def _chat(self, body: dict[str, Any]) -> None:
                if stub.garbage and not body.get("stream"):
                    # A 200 whose content is not the JSON that was asked for.
                    content = "Sorry, I cannot produce JSON today {{{"
                else:
                    content = stub._next_chat_content(body)
                model = body.get("model", "stub-model")
                if body.get("stream"):
                    return self._chat_stream(body, model, content)
                answer = {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content, "refusal": None},
                            "finish_reason": stub.finish_reason,
                            "logprobs": None,
                        }
                    ],
                    "usage": stub.usage,
                }
                self._send_json(200, answer)
                return None

            def _chat_stream(self, body: dict[str, Any], model: str, content: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()

                def event(payload: dict[str, Any] | str) -> None:
                    data = payload if isinstance(payload, str) else json.dumps(payload)
                    self.wfile.write(f"data: {data}\n\n".encode())
                    self.wfile.flush()

                def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
                    return {
                        "id": "chatcmpl-stub",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                    }

                if stub.garbage:
                    self.wfile.write(b"data: {not json at all\n\n")
                    self.wfile.flush()
                    self.close_connection = True
                    return
                event(chunk({"role": "assistant", "content": ""}))
                size = max(1, stub.stream_chunk_chars)
                for start in range(0, len(content), size):
                    event(chunk({"content": content[start : start + size]}))
                event(chunk({}, finish=stub.finish_reason))
                if (body.get("stream_options") or {}).get("include_usage"):
                    final = chunk({})
                    final["choices"] = []
                    final["usage"] = stub.usage
                    event(final)
                event("[DONE]")
                self.close_connection = True

            def _transcription(self, fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> None:
                if stub.garbage:
                    return self._send(200, b"<html>not json</html>", content_type="text/html")
                if stub.transcription_reply is not None:
                    payload = stub.transcription_reply(files.get("file", ("", "", b""))[2])
                    if fields.get("response_format") != "verbose_json":
                        payload = {"text": payload["text"]}
                elif fields.get("response_format") == "verbose_json":
                    payload = dict(stub.transcription)
                else:
                    payload = {"text": stub.transcription["text"]}
                self._send_json(200, payload)
                return None

        return Handler


def _parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + raw
    )
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            files[name] = (filename, part.get_content_type(), payload)
        else:
            fields[name] = payload.decode("utf-8", "replace")
    return fields, files
