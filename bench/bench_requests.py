"""Benchmark: the platform's own cost per request (middleware, routing, JSON log line).

    .venv/bin/python bench/bench_requests.py [--requests 2000]

In-process through Django's test client (no network, no server), SQLite and the
local-memory cache: GET /health (liveness), GET /health/ready (one database
query + cache round trip), an unknown path (the JSON 404) and POST of a 900 KB
body over the limit (413 before any parsing). Log output is discarded. Reports
median and 95th percentile per request in milliseconds and the peak memory
growth while running. Target: /health p95 under 5 ms on a laptop.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def measure(client, method: str, path: str, count: int, **kwargs) -> dict:
    timings = []
    call = getattr(client, method)
    for _ in range(count):
        started = time.perf_counter()
        response = call(path, **kwargs)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "status": response.status_code,
        "p50_ms": round(statistics.median(timings), 3),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="scribe-bench-")
    os.environ.update(
        {"DEBUG": "true", "ENV_FILE": "", "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3", "LOG_LEVEL": "INFO"}
    )
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("MONGODB_URI", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "scribe.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)

    client = Client()
    for _ in range(50):  # warm up
        client.get("/health")
    tracemalloc.start()
    results = {
        "health": measure(client, "get", "/health", args.requests),
        "ready": measure(client, "get", "/health/ready", args.requests // 4),
        "not_found": measure(client, "get", "/no/such/path", args.requests // 4),
        "too_large": measure(
            client,
            "post",
            "/api/v1/consultations",
            args.requests // 4,
            data=b"x" * 1_200_000,
            content_type="application/json",
        ),
    }
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"{'request':<12}{'status':>8}{'p50 ms':>10}{'p95 ms':>10}")
    for name, figures in results.items():
        print(f"{name:<12}{figures['status']:>8}{figures['p50_ms']:>10}{figures['p95_ms']:>10}")
    print(f"peak traced memory while measuring: {peak / 1_048_576:.1f} MiB")
    flat = {f"{name}_{key}": value for name, figures in results.items() for key, value in figures.items()}
    flat["peak_traced_mib"] = round(peak / 1_048_576, 1)
    print("BENCH_RESULT " + json.dumps(flat))


if __name__ == "__main__":
    main()
