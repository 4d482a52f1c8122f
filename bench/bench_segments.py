"""Benchmark: appending transcript segments and reading the assembled transcript.

    .venv/bin/python bench/bench_segments.py [--segments 1000] [--threads 8] [--postgres URL]

In-process through Django's test client with a real bearer token (the whole
stack: middleware, JWT authentication, permissions, service), on a temporary
SQLite file (WAL, BEGIN IMMEDIATE, busy timeout: the production settings), or
with ``--postgres postgres://postgres@127.0.0.1:5432/scribe_<you>_bench`` on a
PostgreSQL database of that name, dropped and created afresh.

- ``append``: one writer posts ``--segments`` segments in shuffled order;
  median/p95 per request.
- ``retry``: the same segments again (idempotent 200s).
- ``concurrent``: ``--threads`` writers, each with its own client and
  connection, post a fresh transcript's segments, every one twice (a retry
  racing the original); segments stored per second, and a check that exactly
  ``--segments`` are stored in order.
- ``read``: GET of the transcript with all its segments (assembled by seq in one query).
- ``queries``: the database statements of one append (201) and one retry (200),
  authentication's included.

Targets (a laptop; this measures, the tests prove correctness): append p95
under 25 ms, read p95 under 50 ms for 1,000 segments, no error status.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

APPEND_P95_TARGET_MS = 25.0
READ_P95_TARGET_MS = 50.0


def percentiles(timings: list[float]) -> dict:
    timings = sorted(timings)
    return {
        "p50_ms": round(statistics.median(timings), 3),
        "p95_ms": round(timings[max(int(len(timings) * 0.95) - 1, 0)], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--segments", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL whose database is dropped and re-created")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="scribe-bench-")
    database_url = f"sqlite:///{workdir}/bench.sqlite3"
    if args.postgres:
        _fresh_postgres(args.postgres)
        database_url = args.postgres
    os.environ.update({"DEBUG": "true", "ENV_FILE": "", "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"})
    for name in ("REDIS_URL", "MONGODB_URI"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "scribe.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from accounts.tokens import token_pair_for
    from consultations.models import Segment
    from consultations.services import consultation_start

    call_command("migrate", verbosity=0)
    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)

    clinician = User.objects.create_user(
        "bench@example-clinic.nhs.uk", "bench-password-123", username="bench", role="clinician"
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_pair_for(clinician)['access_token']}"}
    client = Client(**auth)
    statuses: dict[int, int] = {}
    statuses_lock = threading.Lock()

    def post(c: Client, transcript_pk: int, seq: int) -> float:
        started = time.perf_counter()
        response = c.post(
            f"/api/v1/transcripts/{transcript_pk}/segments",
            {
                "seq": seq,
                "text": f"Segment {seq}: the patient describes the symptoms in some detail.",
                "speaker": "patient",
            },
            content_type="application/json",
        )
        elapsed = (time.perf_counter() - started) * 1000
        with statuses_lock:
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        return elapsed

    # Sequential appends and idempotent retries.
    transcript = consultation_start(clinician=clinician, patient_data={"name": "Bench Patient"}).transcript
    order = list(range(args.segments))
    random.Random(1).shuffle(order)
    for seq in range(5):  # warm up on another transcript
        post(client, consultation_start(clinician=clinician, patient_data={"name": "w"}).transcript.pk, seq)
    append = percentiles([post(client, transcript.pk, seq) for seq in order])
    retry = percentiles([post(client, transcript.pk, seq) for seq in order])
    append_queries, retry_queries = [], []
    # An execute wrapper sees every statement, across the reconnect each request makes.
    with connection.execute_wrapper(lambda execute, sql, *rest: append_queries.append(sql) or execute(sql, *rest)):
        post(client, transcript.pk, args.segments)
    with connection.execute_wrapper(lambda execute, sql, *rest: retry_queries.append(sql) or execute(sql, *rest)):
        post(client, transcript.pk, args.segments)
    Segment.objects.filter(transcript=transcript, seq=args.segments).delete()

    reads = []
    for _ in range(50):
        started = time.perf_counter()
        response = client.get(f"/api/v1/transcripts/{transcript.pk}")
        reads.append((time.perf_counter() - started) * 1000)
    read = percentiles(reads)
    assert response.json()["segments_count"] == args.segments

    # Concurrent writers, each segment posted twice by different writers.
    target = consultation_start(clinician=clinician, patient_data={"name": "Bench Concurrent"}).transcript
    connection.close()
    shares = [order[i :: args.threads] for i in range(args.threads)]
    plans = [shares[i] + shares[(i + 1) % args.threads] for i in range(args.threads)]
    for i, plan in enumerate(plans):
        random.Random(i).shuffle(plan)
    barrier = threading.Barrier(args.threads + 1)

    def writer(plan: list[int]) -> None:
        own = Client(**auth)
        barrier.wait()
        for seq in plan:
            post(own, target.pk, seq)
        connection.close()

    threads = [threading.Thread(target=writer, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    concurrent_seconds = time.perf_counter() - started
    stored = list(Segment.objects.filter(transcript=target).order_by("seq").values_list("seq", flat=True))
    concurrent_ok = stored == list(range(args.segments))

    results = {
        "append_p50_ms": append["p50_ms"],
        "append_p95_ms": append["p95_ms"],
        "retry_p50_ms": retry["p50_ms"],
        "retry_p95_ms": retry["p95_ms"],
        "read_p50_ms": read["p50_ms"],
        "read_p95_ms": read["p95_ms"],
        "concurrent_segments_per_s": round(args.segments / concurrent_seconds, 1),
        "concurrent_requests_per_s": round(2 * args.segments / concurrent_seconds, 1),
        "concurrent_all_stored_in_order": concurrent_ok,
        "append_queries": len(append_queries),
        "retry_queries": len(retry_queries),
        "engine": connection.vendor,
        "error_statuses": {str(k): v for k, v in statuses.items() if k >= 400},
    }
    print(f"{connection.vendor}: segments: {args.segments}, concurrent writers: {args.threads}")
    print(f"statements per append: {len(append_queries)}, per retry: {len(retry_queries)}")
    print(f"{'measure':<14}{'p50 ms':>10}{'p95 ms':>10}")
    for name, figures in (("append", append), ("retry (200)", retry), ("read", read)):
        print(f"{name:<14}{figures['p50_ms']:>10}{figures['p95_ms']:>10}")
    print(
        f"concurrent: {results['concurrent_segments_per_s']} segments/s "
        f"({results['concurrent_requests_per_s']} requests/s), all stored in order: {concurrent_ok}"
    )
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print("BENCH_RESULT " + json.dumps(results))

    missed = []
    if append["p95_ms"] > APPEND_P95_TARGET_MS:
        missed.append(f"append p95 {append['p95_ms']} ms > {APPEND_P95_TARGET_MS}")
    if read["p95_ms"] > READ_P95_TARGET_MS:
        missed.append(f"read p95 {read['p95_ms']} ms > {READ_P95_TARGET_MS}")
    if results["error_statuses"] or not concurrent_ok:
        missed.append("errors or lost/doubled segments")
    for line in missed:
        print(f"MISSED: {line}")
    return 1 if missed else 0


def _fresh_postgres(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    sys.exit(main())
