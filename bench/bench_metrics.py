"""Benchmark: the cost of the Prometheus metrics middleware on the consultation list.

    .venv/bin/python bench/bench_metrics.py [--rounds 8] [--requests 150]

In-process through Django's test client (no server, no network), SQLite and the local
memory cache: one clinician with 40 consultations, `GET /api/v1/consultations` (a page of
20) with `scribe.core.metrics.MetricsMiddleware` in MIDDLEWARE and without it, in
alternating rounds (so a load change on a shared machine hits both alike). Run twice: with
the values in the process (runserver, tests) and in prometheus-client's multi-process mode
(`PROMETHEUS_MULTIPROC_DIR`, as under gunicorn: every update is a write to a memory-mapped
file). Reports the median of the rounds' medians per setting and the ratio with/without.
Target: the middleware adds under 5% to the list's median.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_RATIO = 1.05


def _round(client, count: int, token: str) -> float:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get("/api/v1/consultations", HTTP_AUTHORIZATION=f"Bearer {token}")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings)


def _middleware_alone_us(calls: int = 20_000) -> float:
    """The middleware's own work per request (counting, timing, the route label), around
    a view that returns at once: microseconds per call, minus the bare call."""
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from scribe.core.metrics import MetricsMiddleware

    request = RequestFactory().get("/api/v1/consultations")
    request.resolver_match = resolve("/api/v1/consultations")
    response = HttpResponse(b"[]", content_type="application/json")

    def view(_request):
        return response

    wrapped = MetricsMiddleware(view)
    best = []
    for func in (wrapped, view):
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(calls):
                func(request)
            runs.append((time.perf_counter() - started) / calls * 1e6)
        best.append(min(runs))
    return best[0] - best[1]


def measure(rounds: int, count: int) -> dict:
    workdir = tempfile.mkdtemp(prefix="scribe-bench-metrics-")
    os.environ.update(
        {"DEBUG": "true", "ENV_FILE": "", "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3", "LOG_LEVEL": "INFO"}
    )
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("MONGODB_URI", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "scribe.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client, override_settings

    from accounts.models import User
    from accounts.tokens import token_pair_for
    from consultations.services import consultation_start

    call_command("migrate", verbosity=0)
    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)
    clinician = User.objects.create_user(email="bench@example.org", password="x" * 12, role="clinician")
    for n in range(40):
        consultation_start(clinician=clinician, patient_data={"name": f"Patient {n}", "age": 40})
    token = token_pair_for(clinician)["access_token"]
    without = [m for m in settings.MIDDLEWARE if m != "scribe.core.metrics.MetricsMiddleware"]
    assert len(without) == len(settings.MIDDLEWARE) - 1

    client = Client()
    _round(client, 30, token)  # warm up both
    with override_settings(MIDDLEWARE=without):
        _round(Client(), 30, token)
    on, off = [], []
    for n in range(rounds):
        # ABBA: neither setting always runs first in a round.
        for setting in ("on", "off") if n % 2 == 0 else ("off", "on"):
            if setting == "on":
                on.append(_round(client, count, token))
            else:
                with override_settings(MIDDLEWARE=without):
                    off.append(_round(Client(), count, token))
    with_ms, without_ms = statistics.median(on), statistics.median(off)
    return {
        "with_ms": round(with_ms, 3),
        "without_ms": round(without_ms, 3),
        "ratio": round(with_ms / without_ms, 3),
        "middleware_us": round(_middleware_alone_us(), 1),
        "multiprocess": bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR")),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.rounds, args.requests)))
        return

    results = {}
    for mode in ("in_process", "multiprocess"):
        env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        if mode == "multiprocess":
            env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="scribe-bench-prom-")
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--rounds", str(args.rounds), "--requests", str(args.requests)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])

    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'mode':<14}{'with ms':>10}{'without ms':>12}{'ratio':>8}{'middleware us':>15}")
    for mode, figures in results.items():
        print(
            f"{mode:<14}{figures['with_ms']:>10}{figures['without_ms']:>12}{figures['ratio']:>8}"
            f"{figures['middleware_us']:>15}"
        )
    flat = {
        f"{mode}_{key}": value
        for mode, figures in results.items()
        for key, value in figures.items()
        if key != "multiprocess"
    }
    print("BENCH_RESULT " + json.dumps(flat))
    if max(figures["ratio"] for figures in results.values()) > TARGET_RATIO:
        sys.exit(1)


if __name__ == "__main__":
    main()
