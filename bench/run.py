"""Run every ``bench/bench_*.py`` and keep what they print.

    .venv/bin/python -m bench.run                 # all of them (make bench)
    .venv/bin/python -m bench.run requests        # only names containing "requests"

Each benchmark runs as its own process (its own Django start-up and settings),
so one cannot warm up or poison another. Its output goes to
``bench/results/<name>.txt``; ``bench/results/summary.json`` records, per
benchmark, the exit status, wall time, and any figures it printed as
``BENCH_RESULT {"figure": value, ...}`` lines, with the commit and machine.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"
MARKER = "BENCH_RESULT "


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def figures_from(output: str) -> dict:
    figures: dict = {}
    for line in output.splitlines():
        if line.startswith(MARKER):
            figures.update(json.loads(line[len(MARKER) :]))
    return figures


def run_one(script: Path, timeout: float) -> dict:
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run(
            [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        status, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        status, output = "timeout", f"{exc.stdout or ''}{exc.stderr or ''}"
    elapsed = round(time.perf_counter() - started, 2)
    (RESULTS / f"{script.stem}.txt").write_text(output)
    return {"status": status, "seconds": elapsed, "figures": figures_from(output)}


def main(argv: list[str]) -> int:
    patterns = [a for a in argv if not a.startswith("-")]
    timeout = float(os.environ.get("BENCH_TIMEOUT_SECONDS", "900"))
    scripts = sorted(p for p in BENCH_DIR.glob("bench_*.py") if not patterns or any(s in p.stem for s in patterns))
    RESULTS.mkdir(exist_ok=True)
    summary = {
        "commit": _commit(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "benchmarks": {},
    }
    failed = False
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        result = run_one(script, timeout)
        summary["benchmarks"][script.stem] = result
        print((RESULTS / f"{script.stem}.txt").read_text().rstrip())
        print(f"-- {script.stem}: exit {result['status']}, {result['seconds']} s", flush=True)
        failed = failed or result["status"] != 0
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
