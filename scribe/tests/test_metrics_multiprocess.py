"""Metrics under gunicorn's workers (prometheus-client's multi-process mode): a real
gunicorn with two worker processes, as the container runs it (gunicorn.conf.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scribe.testing.processes import BASE_DIR, child_env


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[int, Path]]:
    folder = tmp_path_factory.mktemp("gunicorn-metrics")
    metrics_dir = folder / "prometheus"
    metrics_dir.mkdir()
    # A previous run's file: start-up must empty the folder, not add its values.
    (metrics_dir / "counter_1.db").write_bytes(b"left over from a previous run")
    log = folder / "gunicorn.log"
    env = child_env(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        LOG_LEVEL="info",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
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
        deadline = time.monotonic() + 60
        port = None
        while time.monotonic() < deadline and port is None:
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text())
            if found:
                port = int(found.group(1))
            else:
                assert process.poll() is None, log.read_text()
                time.sleep(0.1)  # waiting for start-up, not racing anything
        assert port is not None, log.read_text()
        yield port, metrics_dir
    finally:
        process.terminate()
        process.wait(timeout=30)


def _get(port: int, path: str) -> tuple[int, bytes]:
    # A new connection per request, so gunicorn's workers share them out.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return response.status, response.read()


def _health_count(body: bytes) -> float:
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "scribe_http_requests_total" and sample.labels == {
                "route": "health",
                "method": "GET",
                "status": "200",
            }:
                return sample.value
    return 0.0


def test_every_scrape_adds_up_every_workers_requests(server):
    port, metrics_dir = server
    assert not (metrics_dir / "counter_1.db").exists()
    for _ in range(12):
        assert _get(port, "/health")[0] == 200

    # Whichever worker answers the scrape, it reports all twelve.
    counts = {_health_count(_get(port, "/metrics")[1]) for _ in range(6)}

    assert counts == {12.0}
    assert list(metrics_dir.glob("counter_*.db"))
