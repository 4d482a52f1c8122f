"""Benchmark: back up and restore a clinic of 20,000 consultations.

    .venv/bin/python bench/bench_backup.py [--consultations 20000] [--restore-url postgres://.../scribe_h17_bench]

Generates, with bulk inserts into a fresh SQLite database in a temporary directory,
20,000 consultations, each with its transcript, 4 segments, a summary and a note
(plus 40 users and 80 prompts: about 140,000 rows), then times ``manage.py backup``
and ``manage.py restore`` as an operator runs them (separate processes, Django
start-up included). The restore goes into a freshly migrated SQLite database, or the
(empty, migrated here) database named by ``--restore-url``. Target: each under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0

GENERATE = r"""
import os, sys, django
os.environ["DJANGO_SETTINGS_MODULE"] = "scribe.settings"
django.setup()
from datetime import datetime, timedelta, UTC
from accounts.models import User
from consultations.models import Consultation, Transcript, Segment, Summary, Note, Prompt
n = int(sys.argv[1])
start = datetime(2025, 1, 1, tzinfo=UTC)
users = User.objects.bulk_create(
    User(email=f"dr{i}@example-clinic.nhs.uk", username=f"dr{i}", role="clinician", password="!unusable")
    for i in range(40))
prompts = Prompt.objects.bulk_create(
    Prompt(owner=users[i % 40], name=f"template {i}", text="Summarise as SOAP.") for i in range(80))
B = 2000
for lo in range(0, n, B):
    ids = range(lo, min(n, lo + B))
    cs = Consultation.objects.bulk_create(
        Consultation(clinician=users[i % 40], patient_data={"name": f"Patient {i}", "dob": "1970-01-01"},
                     patient_name=f"patient {i}", status="ended", started_at=start + timedelta(minutes=i),
                     ended_at=start + timedelta(minutes=i, seconds=600), summary="Reviewed.") for i in ids)
    ts = Transcript.objects.bulk_create(
        Transcript(consultation=c, clinician_id=c.clinician_id, prompt_used=prompts[k % 80], summary_version=1)
        for k, c in enumerate(cs))
    Segment.objects.bulk_create(
        Segment(transcript=t, seq=s, text=f"{'Clinician' if s % 2 == 0 else 'Patient'}: line {s} of the visit",
                speaker="clinician" if s % 2 == 0 else "patient", start_ms=s * 4000, end_ms=s * 4000 + 3500)
        for t in ts for s in range(4))
    Summary.objects.bulk_create(
        Summary(transcript=t, version=1, content={"subjective": "cough", "objective": "clear chest",
                "assessment": "viral URTI", "plan": "fluids"}, text="S: cough", model="gpt-4o") for t in ts)
    Note.objects.bulk_create(
        Note(consultation_id=t.consultation_id, transcript=t, clinician_id=t.clinician_id, body="Follow up in 2 weeks.")
        for t in ts)
print(Consultation.objects.count())
"""


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DEBUG": "true", "ENV_FILE": "", "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}


def _run(args: list[str], url: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=_env(url), capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[:2])} failed:\n{done.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consultations", type=int, default=20_000)
    parser.add_argument(
        "--restore-url", default="", help="An empty database to restore into (default: a new SQLite file)."
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scribe-bench-backup-") as tmp:
        source = f"sqlite:///{tmp}/source.sqlite3"
        target = options.restore_url or f"sqlite:///{tmp}/target.sqlite3"
        _run(["manage.py", "migrate", "--noinput", "-v0"], source)
        generate = _run(["-c", GENERATE, str(options.consultations)], source)
        archive = Path(tmp) / "clinic.tar"
        backup = _run(["manage.py", "backup", "--output", str(archive)], source)
        _run(["manage.py", "migrate", "--noinput", "-v0"], target)
        restore = _run(["manage.py", "restore", str(archive)], target)
        size_mb = archive.stat().st_size / 1e6
    engine = target.split(":", 1)[0]
    print(f"{'step':<28}{'seconds':>10}")
    print(f"{'generate (bulk insert)':<28}{generate:>10.1f}")
    print(f"{'manage.py backup':<28}{backup:>10.1f}")
    print(f"{'manage.py restore (' + engine + ')':<28}{restore:>10.1f}")
    print(f"archive: {size_mb:.1f} MB for {options.consultations} consultations")
    figures = {
        "consultations": options.consultations,
        "backup_s": round(backup, 2),
        "restore_s": round(restore, 2),
        "archive_mb": round(size_mb, 1),
        "restore_engine": engine,
    }
    print("BENCH_RESULT " + json.dumps(figures))
    missed = backup > TARGET_SECONDS or restore > TARGET_SECONDS
    if missed:
        print(f"Target missed: each must be under {TARGET_SECONDS:.0f} s.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
