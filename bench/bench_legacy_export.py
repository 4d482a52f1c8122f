"""Benchmark: the rollback export on a real-shaped Scribe database of 20,000 consultations.

    .venv/bin/python bench/bench_legacy_export.py [--consultations 20000] [--database-url URL]

Imports the generated real-shaped dump of ``bench_legacy_sync`` (all three generations) into
a fresh database (SQLite in a temporary directory unless ``--database-url``), then times
``manage.py export_legacy --dump`` as its own process (Django start-up included), as an
operator runs it during a rollback:

1. first export: writes, once, the records the import made up for older generations
   (generation-1 consultations, generation-2 transcripts) in the generation-3 shape;
2. 1% of the consultations changed in Scribe (a note added to each, through the service),
   then an export;
3. an export with nothing changed                      target: under 10 s (the rollback's freeze)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_legacy_sync import ROOT, generate, write

CHANGE = """
import django, sys
django.setup()
from consultations.models import Consultation
from consultations.services import note_create
every = int(sys.argv[1])
for consultation in Consultation.objects.order_by("pk")[::every]:
    note_create(clinician=consultation.clinician, consultation=consultation, body="Reviewed after the switch.")
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--consultations", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scribe-bench-export-") as tmp_name:
        tmp = Path(tmp_name)
        dump = write(tmp / "dump", generate(args.consultations))
        url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
        env = {
            **os.environ,
            "DEBUG": "true",
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "scribe.settings",
        }
        env.pop("MONGODB_URI", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        began = time.perf_counter()
        subprocess.run(
            [*manage, "import_legacy", "--dump", str(dump), "--allow-skips", "--progress", "off"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        print(f"import ({args.consultations} consultations): {time.perf_counter() - began:.1f} s")
        failed = False
        for step, label in enumerate(("first export", "1% changed", "nothing changed")):
            if label == "1% changed":
                subprocess.run([sys.executable, "-c", CHANGE, "100"], env=env, cwd=ROOT, check=True)
            report = tmp / f"report-{step}.json"
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.perf_counter()
            done = subprocess.run(
                [
                    *manage,
                    "export_legacy",
                    "--dump",
                    str(tmp / f"out-{step}"),
                    "--allow-skips",
                    "--report",
                    str(report),
                ],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            elapsed = time.perf_counter() - began
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
            if done.returncode != 0:
                sys.exit(f"{label} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
            written = json.loads(report.read_text())["documents_written"]
            print(f"export, {label}: {elapsed:.1f} s (CPU {cpu:.1f} s), {written} documents written")
            if label == "nothing changed":
                failed = written != 0 or elapsed > 10
        sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
