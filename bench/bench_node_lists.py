"""Benchmark: the Node.js face's whole lists (no paging) with everything populated.

    .venv/bin/python bench/bench_node_lists.py [--consultations 1000] [--reads 10]

In-process through Django's test client with a real bearer token, on a temporary SQLite
file. One clinician with ``--consultations`` consultations, each with a transcript of
3 segments, 2 notes, a summary version with highlights, and its own prompt linked as
``prompt_used``. Measures ``GET /api/consultation`` (every consultation populated:
clinician, transcript text, summary, highlights, prompt, notes with their clinician)
and ``GET /api/prompts`` (with ``transcript_ids``): the number of SQL queries per
request (must not grow with the list) and the median/p95 time.

Targets (a laptop; this measures, tests prove correctness): the query count is the same
for 10 and for ``--consultations`` consultations; the 1,000-consultation list under 3 s p95.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LIST_P95_TARGET_MS = 3000.0


def percentiles(timings: list[float]) -> dict:
    timings = sorted(timings)
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(int(len(timings) * 0.95) - 1, 0)], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--consultations", type=int, default=1000)
    parser.add_argument("--reads", type=int, default=10)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="scribe-bench-")
    os.environ.update(
        {"DEBUG": "true", "ENV_FILE": "", "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3", "LOG_LEVEL": "WARNING"}
    )
    for name in ("REDIS_URL", "MONGODB_URI"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "scribe.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from accounts.tokens import token_pair_for
    from consultations.services import (
        consultation_start,
        note_create,
        prompt_create,
        segment_append,
        transcript_prompt_link,
        transcript_summary_add,
    )

    call_command("migrate", verbosity=0)
    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)

    clinician = User.objects.create_user(
        "bench@example-clinic.nhs.uk", "bench-password-123", username="bench", role="clinician"
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_pair_for(clinician)['access_token']}")
    highlights = [
        {"term": "Cough", "possible_snomed": "49727002", "display": "Cough", "verified": True, "evidence": [1]},
        {"term": "Fever", "possible_snomed": "386661006", "display": "Fever", "verified": True, "evidence": [2]},
    ]

    def populate(start: int, count: int) -> None:
        for n in range(start, start + count):
            consultation = consultation_start(clinician=clinician, patient_data={"name": f"Patient {n}", "age": 40})
            transcript = consultation.transcript
            for seq, text in enumerate(("Good morning.", "I have had a cough and a fever.", "Chest is clear."), 1):
                segment_append(transcript=transcript, seq=seq, text=text)
            note_create(clinician=clinician, consultation=consultation, body="Safety-netting advice given.")
            note_create(clinician=clinician, consultation=consultation, body="Review in one week.")
            prompt = prompt_create(owner=clinician, name=f"Prompt {n}", text="Write a SOAP note.")
            transcript_prompt_link(transcript=transcript, prompt=prompt)
            transcript_summary_add(
                transcript=transcript,
                content={"subjective": "Cough.", "objective": "", "assessment": "", "plan": ""},
                text="Subjective:\n- Cough.",
                model="bench",
                prompt=prompt,
                highlights=highlights,
            )

    def measure(path: str) -> tuple[int, dict, int]:
        # The log is a bounded deque (9,000 entries) that populating filled: empty it first.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, response.status_code
        timings = []
        for _ in range(args.reads):
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        return len(captured), percentiles(timings), len(response.content)

    populate(0, 10)
    small_queries, small_timing, _ = measure("/api/consultation")
    started = time.perf_counter()
    populate(10, args.consultations - 10)
    populate_s = time.perf_counter() - started
    list_queries, list_timing, list_bytes = measure("/api/consultation")
    prompt_queries, prompt_timing, _ = measure("/api/prompts")
    body = json.loads(client.get("/api/consultation").content)
    assert len(body["consultations"]) == args.consultations
    assert body["consultations"][0]["patient"]["name"] == f"Patient {args.consultations - 1}"

    print(f"{'request':<40} {'queries':>8} {'p50 ms':>10} {'p95 ms':>10}")
    print(
        f"{'GET /api/consultation (10)':<40} {small_queries:>8} {small_timing['p50_ms']:>10} {small_timing['p95_ms']:>10}"
    )
    print(
        f"{f'GET /api/consultation ({args.consultations})':<40} {list_queries:>8} "
        f"{list_timing['p50_ms']:>10} {list_timing['p95_ms']:>10}"
    )
    print(
        f"{f'GET /api/prompts ({args.consultations})':<40} {prompt_queries:>8} "
        f"{prompt_timing['p50_ms']:>10} {prompt_timing['p95_ms']:>10}"
    )
    print(f"list body: {list_bytes / 1e6:.1f} MB; populating took {populate_s:.1f} s")
    result = {
        "consultations": args.consultations,
        "list_queries_10": small_queries,
        "list_queries": list_queries,
        "list_p50_ms": list_timing["p50_ms"],
        "list_p95_ms": list_timing["p95_ms"],
        "prompts_queries": prompt_queries,
        "prompts_p95_ms": prompt_timing["p95_ms"],
        "list_bytes": list_bytes,
    }
    print("BENCH_RESULT " + json.dumps(result))
    ok = small_queries == list_queries and list_timing["p95_ms"] <= LIST_P95_TARGET_MS
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
