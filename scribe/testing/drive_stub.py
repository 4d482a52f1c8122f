"""A small Google Drive v3 server on 127.0.0.1 (HTTPS, a throwaway CA) for tests.

Speaks what ``documents.drive`` uses through the real google-api-python-client:
the OAuth2 token endpoint of a service account (``POST /token``, a JWT-bearer
``assertion`` whose signature is checked against the service account's public
key) and the v3 resumable upload protocol (``POST /upload/drive/v3/files?uploadType=resumable``
with the file's JSON metadata answers ``200`` and a ``Location`` session URL;
``PUT`` of the bytes with ``Content-Range`` answers ``308`` with ``Range`` until
complete, then ``200`` with the file resource), and ``GET /drive/v3/files`` (files.list)
for an appProperties query. Bearer tokens are required.
Faults: ``fail_next`` (statuses answered, one per request, to the next upload
session starts), ``fail_puts`` (the same for the next byte uploads) and ``fail_tokens``. It records requests and keeps the files it made.

The Drive client always talks HTTPS to the media upload URL (it keeps the
discovery document's scheme), hence TLS here.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ai.tests.image_server import _certificates
from scribe.testing.http import StubHandler, serve, stop
from scribe.testing.openai_stub import RecordedRequest


@dataclass
class DriveFile:
    id: str
    metadata: dict[str, Any]
    content: bytes
    content_type: str


@dataclass
class _Session:
    metadata: dict[str, Any]
    content_type: str
    total: int | None
    received: bytearray = field(default_factory=bytearray)


class DriveStub:
    CLIENT_EMAIL = "scribe-uploader@scribe-test.iam.gserviceaccount.com"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._directory = tempfile.TemporaryDirectory(prefix="drive-stub-")
        self.ca_path, cert_path, key_path = _certificates(Path(self._directory.name))
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self.reset()
        self._server = serve(self._handler_class(), tls=context)

    def reset(self) -> None:
        with self._lock:
            self.requests: list[RecordedRequest] = []
            self.files: dict[str, DriveFile] = {}
            self.sessions: dict[str, _Session] = {}
            self.valid_tokens: set[str] = set()
            self.fail_next: list[int] = []
            self.fail_puts: list[int] = []
        self.tokens_issued = 0
        self.fail_tokens = False

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"https://{host}:{port}/"

    def service_account_file(self, directory: Path) -> Path:
        """A service account key file (the format Google issues) whose ``token_uri`` is this stub."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        info = {
            "type": "service_account",
            "project_id": "scribe-test",
            "private_key_id": "stub-key-1",
            "private_key": pem,
            "client_email": self.CLIENT_EMAIL,
            "client_id": "1000000000000000000",
            "auth_uri": f"{self.root}auth",
            "token_uri": f"{self.root}token",
        }
        path = directory / "service-account.json"
        path.write_text(json.dumps(info))
        return path

    def upload_starts(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.startswith("/upload/drive/v3/files")]

    def close(self) -> None:
        stop(self._server)
        self._directory.cleanup()

    def _handler_class(self) -> type[StubHandler]:
        stub = self
        public_key = self._key.public_key()

        class Handler(StubHandler):
            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _record(self, body: Any = None) -> None:
                record = RecordedRequest(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, json=body
                )
                with stub._lock:
                    stub.requests.append(record)

            def _authorised(self) -> bool:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token in stub.valid_tokens:
                    return True
                self._send_json(401, {"error": {"code": 401, "message": "Invalid Credentials"}})
                return False

            def _fault(self, queue: list[int]) -> bool:
                with stub._lock:
                    status = queue.pop(0) if queue else None
                if status is None:
                    return False
                self._send_json(status, {"error": {"code": status, "message": "stub fault"}})
                return True

            def do_POST(self) -> None:
                body = self._body()
                parts = urlsplit(self.path)
                if parts.path == "/token":
                    return self._token(body)
                metadata = json.loads(body or b"{}")
                self._record(metadata)
                if parts.path != "/upload/drive/v3/files":
                    return self._send_json(404, {"error": {"code": 404, "message": "Not Found"}})
                if not self._authorised() or self._fault(stub.fail_next):
                    return None
                query = parse_qs(parts.query)
                if query.get("uploadType") != ["resumable"]:
                    return self._send_json(400, {"error": {"code": 400, "message": "resumable only here"}})
                upload_id = secrets.token_hex(8)
                total = self.headers.get("X-Upload-Content-Length")
                with stub._lock:
                    stub.sessions[upload_id] = _Session(
                        metadata=metadata,
                        content_type=self.headers.get("X-Upload-Content-Type", ""),
                        total=int(total) if total else None,
                    )
                host, port = stub._server.server_address[:2]
                location = f"https://{host}:{port}/upload/drive/v3/files?uploadType=resumable&upload_id={upload_id}"
                return self._send(200, b"", headers={"Location": location})

            def do_GET(self) -> None:
                self._record()
                parts = urlsplit(self.path)
                if parts.path != "/drive/v3/files":
                    return self._send_json(404, {"error": {"code": 404, "message": "Not Found"}})
                if not self._authorised():
                    return None
                # files.list: only the query Scribe sends (an appProperties match) is understood.
                query = parse_qs(parts.query).get("q", [""])[0]
                match = re.search(r"key='([^']*)' and value='([^']*)'", query)
                with stub._lock:
                    found = [
                        {"id": f.id, "webViewLink": f"https://drive.google.com/file/d/{f.id}/view"}
                        for f in stub.files.values()
                        if match and f.metadata.get("appProperties", {}).get(match.group(1)) == match.group(2)
                    ]
                return self._send_json(200, {"kind": "drive#fileList", "files": found})

            def do_PUT(self) -> None:
                body = self._body()
                self._record({"bytes": len(body), "content_range": self.headers.get("Content-Range")})
                if not self._authorised() or self._fault(stub.fail_puts):
                    return None
                upload_id = parse_qs(urlsplit(self.path).query).get("upload_id", [""])[0]
                with stub._lock:
                    session = stub.sessions.get(upload_id)
                    if session is None:
                        return self._send_json(404, {"error": {"code": 404, "message": "No such upload"}})
                    content_range = self.headers.get("Content-Range", "")
                    _unit, _, spec = content_range.partition(" ")
                    span, _, total = spec.partition("/")
                    if span != "*":
                        start = int(span.split("-")[0])
                        if start != len(session.received):
                            return self._send_json(400, {"error": {"code": 400, "message": "bad offset"}})
                        session.received += body
                    if total != "*":
                        session.total = int(total)
                    if session.total is None or len(session.received) < session.total:
                        headers = {"Range": f"bytes=0-{len(session.received) - 1}"} if session.received else {}
                        return self._send(308, b"", headers=headers)
                    file_id = "drive-" + secrets.token_hex(6)
                    stub.files[file_id] = DriveFile(
                        id=file_id,
                        metadata=session.metadata,
                        content=bytes(session.received),
                        content_type=session.content_type,
                    )
                    del stub.sessions[upload_id]
                resource = {
                    "kind": "drive#file",
                    "id": file_id,
                    "name": session.metadata.get("name"),
                    "mimeType": session.content_type,
                    "webViewLink": f"https://drive.google.com/file/d/{file_id}/view",
                }
                return self._send_json(200, resource)

            def _token(self, body: bytes) -> None:
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                self._record({"grant_type": form.get("grant_type")})
                if stub.fail_tokens or form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
                    return self._send_json(400, {"error": "invalid_grant"})
                try:
                    claims = jwt.decode(
                        form.get("assertion", ""),
                        public_key,
                        algorithms=["RS256"],
                        # google-auth names Google's token URL as the audience whatever token_uri says.
                        audience=["https://oauth2.googleapis.com/token", f"{stub.root}token"],
                    )
                except jwt.PyJWTError:
                    return self._send_json(400, {"error": "invalid_grant", "error_description": "bad assertion"})
                if claims.get("iss") != stub.CLIENT_EMAIL:
                    return self._send_json(400, {"error": "invalid_grant"})
                token = "ya29.stub-" + secrets.token_hex(12)
                with stub._lock:
                    stub.valid_tokens.add(token)
                    stub.tokens_issued += 1
                return self._send_json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

        return Handler
