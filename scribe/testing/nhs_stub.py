"""A small NHS terminology server on 127.0.0.1 for tests.

Speaks the two parts of the protocol Scribe uses: the OAuth2 client-credentials
token endpoint (``POST /authorisation/token``, form encoded) and FHIR
``GET /fhir/ValueSet/$expand`` (bearer token required, ``filter`` matched
case-insensitively against the displays of a small concept list). It records
requests and counts issued tokens; faults: ``delay``, ``fail_status``
(+ ``retry_after``), ``garbage`` (a FHIR answer that is no ValueSet),
``garbage_token`` (a token answer that is no JSON object), ``token_expires_in``, ``reject_tokens``
(answer 401 to the FHIR call, as the real server does for an expired token).
"""

from __future__ import annotations

import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scribe.testing.http import StubHandler, serve, stop
from scribe.testing.openai_stub import RecordedRequest

CONCEPTS = [
    ("22298006", "Myocardial infarction"),
    ("38341003", "Hypertensive disorder"),
    ("44054006", "Diabetes mellitus type 2"),
    ("195967001", "Asthma"),
    ("49727002", "Cough"),
    ("386661006", "Fever"),
]


class NHSTerminologyStub:
    CLIENT_ID = "scribe-test-client"
    CLIENT_SECRET = "scribe-test-secret"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections = 0  # open client connections (handler threads at work)
        self._idle = threading.Condition()
        self.reset()
        self._server = serve(self._handler_class())

    def reset(self) -> None:
        with self._lock:
            # A request still in flight from the previous test (a delayed answer its
            # client gave up on) belongs to that generation: it changes nothing now.
            self._generation = getattr(self, "_generation", 0) + 1
            self.requests: list[RecordedRequest] = []
            self.valid_tokens: set[str] = set()
        self.tokens_issued = 0
        self.token_expires_in = 300
        self.concepts = list(CONCEPTS)
        self.delay = 0.0
        self.fail_status: int | None = None
        self.retry_after: str | None = None
        self.garbage = False
        self.garbage_token = False
        self.reject_tokens = False

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def auth_url(self) -> str:
        return f"{self.root}/authorisation/token"

    @property
    def fhir_url(self) -> str:
        return f"{self.root}/fhir"

    def expand_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if "/ValueSet/$expand" in r.path]

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no handler thread is at work (e.g. one still sleeping on ``delay``)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._connections == 0, timeout)

    def close(self) -> None:
        stop(self._server)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(StubHandler):
            def handle(self) -> None:
                with stub._idle:
                    stub._connections += 1
                try:
                    super().handle()
                finally:
                    with stub._idle:
                        stub._connections -= 1
                        stub._idle.notify_all()

            def _record(self, body: Any = None) -> RecordedRequest:
                record = RecordedRequest(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, json=body
                )
                with stub._lock:
                    stub.requests.append(record)
                return record

            def _fault(self) -> bool:
                generation = stub._generation
                if stub.delay:
                    time.sleep(stub.delay)
                if generation != stub._generation:  # reset while this request waited
                    self.close_connection = True
                    return True
                if stub.fail_status:
                    headers = {"Retry-After": stub.retry_after} if stub.retry_after else {}
                    self._send_json(stub.fail_status, {"resourceType": "OperationOutcome"}, headers=headers)
                    return True
                return False

            def do_POST(self) -> None:
                generation = stub._generation
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                self._record(form)
                if self._fault():
                    return None
                if urlsplit(self.path).path != "/authorisation/token":
                    return self._send_json(404, {"error": "not_found"})
                if (
                    form.get("grant_type") != "client_credentials"
                    or form.get("client_id") != stub.CLIENT_ID
                    or form.get("client_secret") != stub.CLIENT_SECRET
                ):
                    return self._send_json(401, {"error": "invalid_client"})
                if stub.garbage_token:
                    return self._send_json(200, ["not", "a", "token"])
                token = secrets.token_hex(16)
                with stub._lock:
                    if generation != stub._generation:
                        self.close_connection = True
                        return None
                    stub.valid_tokens.add(token)
                    stub.tokens_issued += 1
                self._send_json(
                    200, {"access_token": token, "token_type": "Bearer", "expires_in": stub.token_expires_in}
                )
                return None

            def do_GET(self) -> None:
                self._record()
                if self._fault():
                    return None
                parts = urlsplit(self.path)
                if parts.path != "/fhir/ValueSet/$expand":
                    return self._send_json(404, {"resourceType": "OperationOutcome"})
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if stub.reject_tokens or token not in stub.valid_tokens:
                    return self._send_json(401, {"resourceType": "OperationOutcome"})
                if stub.garbage:
                    return self._send_json(200, {"resourceType": "Bundle", "entry": "???"})
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                term = query.get("filter", "").lower()
                count = int(query.get("count", "20"))
                matches = [(code, name) for code, name in stub.concepts if term in name.lower()][:count]
                self._send_json(
                    200,
                    {
                        "resourceType": "ValueSet",
                        "expansion": {
                            "total": len(matches),
                            "contains": [
                                {"system": "http://snomed.info/sct", "code": code, "display": name}
                                for code, name in matches
                            ],
                        },
                    },
                    content_type="application/fhir+json",
                )
                return None

        return Handler
