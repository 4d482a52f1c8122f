"""What the production server (gunicorn with gunicorn.conf.py) does with requests Django never
sees: over-long URLs and headers, request-smuggling shapes, and a client dripping its body.

A real gunicorn in a child process on a free port, spoken to over raw sockets. Every
refusal is the contract's JSON error, and a smuggled request is never answered.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scribe.testing.processes import BASE_DIR, child_env

pytestmark = pytest.mark.slow

SMUGGLED = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("gunicorn")
    log = folder / "gunicorn.log"
    env = child_env(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        LOG_LEVEL="info",  # gunicorn says where it listens at INFO
    )
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "--bind",
                "127.0.0.1:0",
                "scribe.wsgi:application",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        yield _wait_for_port(process, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for_port(process: subprocess.Popen, log: Path) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text())
        if found:
            return int(found.group(1))
        assert process.poll() is None, log.read_text()
        time.sleep(0.1)  # waiting for start-up, not racing anything
    raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")


def exchange(port: int, raw: bytes, *, close_write: bool = True) -> bytes:
    """Send ``raw``, then read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(raw)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def responses(raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Every HTTP response in ``raw`` (status, headers, body by Content-Length)."""
    found = []
    while raw.startswith(b"HTTP/1."):
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", len(rest)))
        found.append((int(lines[0].split()[1]), headers, rest[:length]))
        raw = rest[length:]
    return found


def assert_json_error(response: tuple[int, dict[str, str], bytes], status: int, code: str) -> None:
    got_status, headers, body = response
    assert got_status == status
    assert headers["content-type"] == "application/json"
    payload = json.loads(body)
    assert payload["code"] == code
    assert payload["detail"]
    assert payload["request_id"] == headers["x-request-id"]


def request(head: str, body: bytes = b"") -> bytes:
    return head.replace("\n", "\r\n").encode("latin-1") + b"\r\n" + body


def test_it_answers_a_normal_request(server):
    [(status, _, body)] = responses(exchange(server, request("GET /health HTTP/1.1\nHost: localhost\n")))
    assert status == 200
    assert json.loads(body) == {"status": "healthy"}


def test_it_answers_a_too_long_url_with_json_414(server):
    raw = exchange(server, request(f"GET /health?q={'a' * 9000} HTTP/1.1\nHost: localhost\n"))
    [response] = responses(raw)
    assert_json_error(response, 414, "uri_too_long")


def test_it_answers_a_60_kb_header_with_json_431(server):
    raw = exchange(server, request(f"GET /health HTTP/1.1\nHost: localhost\nX-Big: {'a' * 60_000}\n"))
    [response] = responses(raw)
    assert_json_error(response, 431, "request_header_fields_too_large")


def test_it_answers_too_many_headers_with_json_431(server):
    headers = "".join(f"X-H{n}: v\n" for n in range(150))
    [response] = responses(exchange(server, request(f"GET /health HTTP/1.1\nHost: localhost\n{headers}")))
    assert_json_error(response, 431, "request_header_fields_too_large")


def test_it_refuses_transfer_encoding_with_content_length_and_answers_no_smuggled_request(server):
    body = b"0\r\n\r\n" + SMUGGLED
    raw = exchange(
        server,
        request(
            "POST /api/v1/users/login HTTP/1.1\nHost: localhost\nContent-Type: application/json\n"
            f"Content-Length: {len(body)}\nTransfer-Encoding: chunked\n",
            body,
        ),
    )
    [response] = responses(raw)  # one answer: the smuggled GET was never read as a request
    assert_json_error(response, 400, "bad_request")


def test_it_refuses_a_duplicate_content_length_and_answers_no_smuggled_request(server):
    raw = exchange(
        server,
        request(
            "POST /api/v1/users/login HTTP/1.1\nHost: localhost\nContent-Type: application/json\n"
            f"Content-Length: 2\nContent-Length: {2 + len(SMUGGLED)}\n",
            b"{}" + SMUGGLED,
        ),
    )
    [response] = responses(raw)
    assert_json_error(response, 400, "bad_request")


def test_it_refuses_an_obfuscated_transfer_encoding(server):
    body = b"0\r\n\r\n" + SMUGGLED
    raw = exchange(
        server,
        request(
            "POST /api/v1/users/login HTTP/1.1\nHost: localhost\nContent-Type: application/json\n"
            f"Content-Length: {len(body)}\nTransfer-Encoding : chunked\n",
            body,
        ),
    )
    [response] = responses(raw)
    assert_json_error(response, 400, "bad_request")


def test_it_serves_others_while_a_client_drips_its_body_and_refuses_the_cut_body(server):
    with socket.create_connection(("127.0.0.1", server), timeout=30) as slow:
        slow.sendall(
            request(
                "POST /api/v1/users/login HTTP/1.1\nHost: localhost\nContent-Type: application/json\n"
                "Content-Length: 100\n",
                b'{"email": ',
            )
        )
        # The dripping client holds one of the worker's two threads; the other still serves.
        [(status, _, _)] = responses(exchange(server, request("GET /health HTTP/1.1\nHost: localhost\n")))
        assert status == 200
        # The client gives up mid-body: the short body is refused as invalid JSON, not used.
        slow.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := slow.recv(65536):
            chunks.append(chunk)
    [response] = responses(b"".join(chunks))
    assert_json_error(response, 400, "invalid")
