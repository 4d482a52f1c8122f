"""`make run` really serves: in a copy of the project, on a free port, /health answers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from scribe.testing.processes import BASE_DIR, child_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make"),
    pytest.mark.skipif(not (BASE_DIR / ".venv" / "bin" / "python").exists(), reason="needs the project's .venv"),
]

SKIP = shutil.ignore_patterns(".venv", ".git", ".env", "staticfiles", "db.sqlite3*", "__pycache__", "*.pyc", "bench")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, json.loads(response.read())


def test_it_migrates_and_serves_with_make_run(tmp_path: Path):
    project = tmp_path / "scribe"
    shutil.copytree(BASE_DIR, project, ignore=SKIP)
    (project / ".venv").symlink_to(BASE_DIR / ".venv")  # the installed .venv; `make run` must not reinstall
    port = free_port()
    server = subprocess.Popen(
        ["make", "run", f"PORT={port}", "-o", ".venv/.installed-runtime"],
        cwd=project,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: make, runserver and the reloader
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, body = get_json(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "make run did not serve within 120 s"
                time.sleep(0.3)
        assert (status, body) == (200, {"status": "healthy"})
        # No provider configured: the demo provider answers, and the search says so.
        assert _demo_search(port).startswith("This is Scribe's demo AI provider")
        # The same command serves the live-transcription WebSocket (daphne's runserver).
        from websockets.sync.client import connect

        with connect(f"ws://127.0.0.1:{port}/transcription-stream", open_timeout=10) as socket:
            assert json.loads(socket.recv(10))["type"] == "connection"
        status, body = get_json(f"http://127.0.0.1:{port}/health/ready")
        assert (status, body["status"]) == (200, "ready")
        assert (project / "db.sqlite3").exists()  # migrated into the project's SQLite file
        # It wrote a development .env, so plain manage.py commands work in the checkout too.
        assert (project / ".env").read_text().splitlines()[-1] == "DEBUG=true"
        check = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=project,
            env=child_env(ENV_FILE=str(project / ".env")),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 0, check.stderr
        # The image's HEALTHCHECK command against a live server, then against nothing.
        healthy = subprocess.run(
            [sys.executable, "-m", "scribe.healthcheck"], cwd=BASE_DIR, env=child_env(PORT=str(port)), timeout=30
        )
        assert healthy.returncode == 0
        down = subprocess.run(
            [sys.executable, "-m", "scribe.healthcheck"],
            cwd=BASE_DIR,
            env=child_env(PORT=str(free_port())),
            capture_output=True,
            timeout=30,
        )
        assert down.returncode == 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    output = server.stdout.read().decode()
    assert "AI: demo provider (AI_PROVIDER=demo" in output
    assert f"Serving on http://127.0.0.1:{port}/" in output


def _demo_search(port: int) -> str:
    def post(path: str, body: dict, token: str | None = None) -> dict:
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    account = {"username": "newcomer", "email": "newcomer@example.org", "password": "Quiet-Harbour-42"}
    post("/api/v1/users/register", {**account, "role": "clinician"})
    token = post("/api/v1/users/login", {"email": account["email"], "password": account["password"]})["access_token"]
    return post("/api/v1/ai/search", {"query": "What is asthma?"}, token)["answer"]
