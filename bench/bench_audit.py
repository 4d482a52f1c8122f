"""Benchmark: the audit trail's overhead on the consultation list and detail, on vs off.

    .venv/bin/python bench/bench_audit.py [--consultations 200] [--rounds 10] [--reads 30]

In-process through Django's test client with a real bearer token, on a temporary SQLite
file (or ``--database-url``, e.g. a PostgreSQL database of your own). Measures
``GET /api/v1/consultations/`` (a page of 20) and ``GET /api/v1/consultations/{id}`` with
``AUDIT_ENABLED`` on and off *side by side in one run*: rounds alternate which mode goes
first, each round times ``--reads`` requests per route and mode, and the figures are
medians over all of them. The ratio on/off is what to read; absolute times move with the
machine's load.

Target (issue 17): with the trail on, each route within 10% of the trail off.
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

OVERHEAD_TARGET = 1.10


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--consultations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="scribe-bench-")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.update({"DEBUG": "true", "ENV_FILE": "", "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"})
    for name in ("REDIS_URL", "MONGODB_URI"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "scribe.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import User
    from accounts.tokens import token_pair_for
    from audit.models import AuditEvent
    from consultations.services import consultation_start, note_create, segment_append

    call_command("migrate", verbosity=0)
    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)

    clinician = User.objects.create_user(
        f"audit-bench-{os.getpid()}@example-clinic.nhs.uk", "bench-password-123", role="clinician"
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_pair_for(clinician)['access_token']}")
    for n in range(args.consultations):
        consultation = consultation_start(clinician=clinician, patient_data={"name": f"Patient {n}", "age": 40})
        for seq, text in enumerate(("Good morning.", "I have had a cough.", "Chest is clear."), 1):
            segment_append(transcript=consultation.transcript, seq=seq, text=text)
        note_create(clinician=clinician, consultation=consultation, body="Review in one week.")
    routes = {"list": "/api/v1/consultations/", "detail": f"/api/v1/consultations/{consultation.pk}"}

    timings: dict[tuple[str, bool], list[float]] = {(r, on): [] for r in routes for on in (True, False)}

    def run(route: str, on: bool) -> None:
        settings.AUDIT_ENABLED = on
        for _ in range(args.reads):
            started = time.perf_counter()
            response = client.get(routes[route])
            timings[(route, on)].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code

    for route in routes:  # warm-up, both modes
        run(route, True)
        run(route, False)
    for key in timings:
        timings[key].clear()
    events_before = AuditEvent.objects.count()
    for n in range(args.rounds):
        for route in routes:
            for on in (True, False) if n % 2 == 0 else (False, True):
                run(route, on)
    recorded = AuditEvent.objects.count() - events_before
    assert recorded == args.rounds * args.reads * len(routes), recorded

    result: dict = {"consultations": args.consultations, "engine": database_url.split(":", 1)[0]}
    print(f"{'route':<34} {'trail on p50':>13} {'trail off p50':>14} {'on/off':>8}")
    ok = True
    for route, path in routes.items():
        on = statistics.median(timings[(route, True)])
        off = statistics.median(timings[(route, False)])
        ratio = on / off
        ok = ok and ratio <= OVERHEAD_TARGET
        print(f"{'GET ' + path.replace(str(consultation.pk), '{id}'):<34} {on:>13.2f} {off:>14.2f} {ratio:>8.3f}")
        result.update({f"{route}_on_p50_ms": round(on, 2), f"{route}_off_p50_ms": round(off, 2)})
        result[f"{route}_ratio"] = round(ratio, 3)
    print(f"{recorded} audit events written while measuring; load average {os.getloadavg()[0]:.2f}")
    print("BENCH_RESULT " + json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
