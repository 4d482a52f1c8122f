"""Benchmark: AI waits that never starve the API (issue 10, item 6), per deployment layout.

    .venv/bin/python bench/bench_ai_wait.py [--rounds 3] [--ai 100] [--delay 10] [--layouts split,asgi,...]

Real servers on 127.0.0.1 (ports from BENCH_PORT_BASE, default 18300), production
settings (DEBUG=false), a temporary SQLite database (``BENCH_DATABASE_URL``: an empty
database of yours instead) with one clinician and 30
consultations, Redis DB ``BENCH_REDIS_DB`` (default 3) for the cache, and the OpenAI stub
(``scribe.testing.openai_stub``) answering after ``--delay`` seconds. Per layout, in one
run: ``wrk`` measures ``GET /api/v1/consultations/`` (4 connections) idle, then again
while ``--ai`` concurrent ``POST /api/v1/ai/search`` wait on the provider (measured
only once they have all been sent and before the first provider answer). Then every AI
answer is collected: the status of each and how many were at the provider at once.

Layouts (``--layouts``):

- ``wsgi``: the former deployment, everything on gunicorn gthread (2 workers x 8 threads);
- ``split``: REST on gunicorn gthread, AI on gunicorn with uvicorn workers (2), as the
  proxy routes them (deploy/nginx/scribe.conf): the deployed layout;
- ``asgi``: everything on gunicorn with uvicorn workers (2);
- ``daphne``: everything on one daphne process (daphne has no worker processes).

Rounds are interleaved (layout A, B, C, A, B, C...) because the machine is shared; the
idle p95 is measured before and after the loaded phase and the ratio taken against
their mean. Target (``--target``, default the deployed ``split``): loaded p95 <= 1.5 x
idle p95 in every round, and every AI request answered 200. Exit status 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scribe.testing.openai_stub import OpenAIStub  # noqa: E402
from scribe.testing.processes import PRODUCTION_ENV, child_env  # noqa: E402

LIST_PATH = "/api/v1/consultations/"
AI_PATH = "/api/v1/ai/search"
WRK_SCRIPT = """
wrk.headers["Authorization"] = "Bearer TOKEN"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, '
    .. '"errors": %d, "non_2xx": %d}\\n', summary.requests, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def server_env(workdir: Path, stub: OpenAIStub) -> dict[str, str]:
    return child_env(
        **{**PRODUCTION_ENV, "ALLOWED_HOSTS": "127.0.0.1,localhost"},
        # BENCH_DATABASE_URL: an empty PostgreSQL database of yours instead of SQLite.
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3",
        REDIS_URL=f"redis://127.0.0.1:6379/{os.environ.get('BENCH_REDIS_DB', '3')}",
        OPENAI_API_KEY="bench-key",
        OPENAI_BASE_URL=stub.base_url,
        AI_TIMEOUT_SECONDS="60",
        AI_MAX_RETRIES="0",
        # The quota is per user and day; the benchmark's one user makes hundreds of calls.
        AI_DAILY_QUOTA="0",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )


def prepare(env: dict[str, str]) -> str:
    """Migrate, create the clinician and consultations; return an access token."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    code = (
        "from accounts.models import User\n"
        "from accounts.tokens import token_pair_for\n"
        "from consultations.services import consultation_start\n"
        "u = User.objects.create_user(email='bench@example.nhs.uk', password='Bench-pass-123', role='clinician')\n"
        "[consultation_start(clinician=u, patient_data={'name': f'Patient {n}', 'age': 40}) for n in range(30)]\n"
        "print('TOKEN', token_pair_for(u)['access_token'])\n"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("TOKEN "))


def start(kind: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    commands = {
        "gunicorn": [
            sys.executable,
            "-m",
            "gunicorn",
            "scribe.wsgi:application",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
        ],
        "uvicorn": [
            sys.executable,
            "-m",
            "gunicorn",
            "scribe.asgi:application",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "scribe.workers.UvicornWorker",
        ],
        "daphne": [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "scribe.asgi:application"],
    }
    process = subprocess.Popen(
        commands[kind], cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"{kind} did not start on port {port}; see {log}")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wrk(url: str, script: Path, seconds: int) -> dict:
    done = subprocess.run(
        ["wrk", "-t1", "-c4", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {done.stdout}{done.stderr}")
    return json.loads(line[4:])


class AiLoad:
    """``count`` concurrent AI requests on their own event loop thread."""

    def __init__(self, url: str, token: str, count: int) -> None:
        self.statuses: list[int | str] = []
        self.latencies: list[float] = []
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run(url, token, count)), daemon=True)

    async def _one(self, client: httpx.AsyncClient, url: str, token: str, n: int) -> None:
        started = time.perf_counter()
        try:
            response = await client.post(
                url, json={"query": f"What is asthma? ({n})"}, headers={"Authorization": f"Bearer {token}"}
            )
            self.statuses.append(response.status_code)
        except httpx.HTTPError as error:
            self.statuses.append(type(error).__name__)
        self.latencies.append(time.perf_counter() - started)

    async def _run(self, url: str, token: str, count: int) -> None:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        async with httpx.AsyncClient(limits=limits, timeout=180) as client:
            await asyncio.gather(*(self._one(client, url, token, n) for n in range(count)))

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join()


LAYOUTS = {
    # name: (servers to start as (kind, port offset), REST port offset, AI port offset)
    "wsgi": ([("gunicorn", 0)], 0, 0),
    "split": ([("gunicorn", 0), ("uvicorn", 1)], 0, 1),
    "asgi": ([("uvicorn", 1)], 1, 1),
    "daphne": ([("daphne", 2)], 2, 2),
}


def run_layout(name: str, *, base: int, env: dict, token: str, stub: OpenAIStub, script: Path, args, log: Path) -> dict:
    servers, rest, ai = LAYOUTS[name]
    processes = [start(kind, base + offset, env, log) for kind, offset in servers]
    try:
        list_url = f"http://127.0.0.1:{base + rest}{LIST_PATH}"
        ai_url = f"http://127.0.0.1:{base + ai}{AI_PATH}"
        wrk(list_url, script, 3)  # warm-up: every worker imported and connected
        idle = wrk(list_url, script, args.seconds)
        stub.reset()
        stub.delay = args.delay
        load = AiLoad(ai_url, token, args.ai)
        load.start()
        # Measure once every AI request could have reached the provider (or 3 s passed).
        deadline = time.monotonic() + 3
        while len(stub.chat_requests()) < args.ai and time.monotonic() < deadline:
            time.sleep(0.05)
        at_provider = len(stub.chat_requests())
        loaded = wrk(list_url, script, min(args.seconds, max(1, int(args.delay) - 4)))
        at_provider = max(at_provider, len(stub.chat_requests()))
        load.join()
        stub.delay = 0
        idle_after = wrk(list_url, script, args.seconds)
        idle_p95 = (idle["p95_ms"] + idle_after["p95_ms"]) / 2
        statuses: dict[str, int] = {}
        for status in load.statuses:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        return {
            "layout": name,
            "idle": idle,
            "loaded": loaded,
            "idle_after": idle_after,
            # No request answered while loaded (every worker busy): the ratio is infinite.
            "ratio": round(loaded["p95_ms"] / idle_p95, 2) if loaded["requests"] else float("inf"),
            "ai_at_provider_at_once": at_provider,
            "ai_statuses": statuses,
            "ai_slowest_s": round(max(load.latencies), 1),
        }
    finally:
        for process in processes:
            stop(process)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ai", type=int, default=100)
    parser.add_argument("--delay", type=float, default=10.0)
    parser.add_argument("--seconds", type=int, default=6, help="wrk duration of each phase")
    parser.add_argument("--layouts", default="wsgi,split,asgi,daphne")
    parser.add_argument("--target", default="split", help="layouts held to the target")
    args = parser.parse_args()
    layouts = [name for name in args.layouts.split(",") if name]
    base = int(os.environ.get("BENCH_PORT_BASE", "18300"))

    workdir = Path(tempfile.mkdtemp(prefix="scribe-bench-ai-"))
    stub = OpenAIStub()
    # A provider takes a hundred connections at once; the stub's default listen backlog (5)
    # would refuse some of them.
    stub._server.socket.listen(1024)
    env = server_env(workdir, stub)
    token = prepare(env)
    script = workdir / "list.lua"
    script.write_text(WRK_SCRIPT.replace("TOKEN", token))
    log = workdir / "servers.log"

    results: list[dict] = []
    try:
        for round_number in range(1, args.rounds + 1):
            for name in layouts:
                if name == "wsgi" and round_number > 1:
                    continue  # the before-figure: once is enough (its AI answers take minutes)
                result = run_layout(name, base=base, env=env, token=token, stub=stub, script=script, args=args, log=log)
                result["round"] = round_number
                results.append(result)
                print(json.dumps(result), flush=True)
    finally:
        stub.close()

    print()
    print(
        f"{'layout':8} {'round':>5} {'idle p95 before/after':>22} {'loaded p95':>11} {'ratio':>6} "
        f"{'at provider':>12}  AI answers"
    )
    for r in results:
        idle = f"{r['idle']['p95_ms']:.1f}/{r['idle_after']['p95_ms']:.1f} ms"
        loaded = f"{r['loaded']['p95_ms']:.1f} ms" if r["loaded"]["requests"] else "none done"
        print(
            f"{r['layout']:8} {r['round']:>5} {idle:>22} {loaded:>11} {r['ratio']:>6} "
            f"{r['ai_at_provider_at_once']:>12}  {r['ai_statuses']} (slowest {r['ai_slowest_s']} s)"
        )

    figures: dict = {}
    failed = False
    for name in layouts:
        mine = [r for r in results if r["layout"] == name]
        worst = max(r["ratio"] for r in mine)
        all_ok = all(set(r["ai_statuses"]) == {"200"} for r in mine)
        figures[f"{name}_idle_p95_ms"] = max(r["idle"]["p95_ms"] for r in mine)
        figures[f"{name}_loaded_p95_ms"] = max(r["loaded"]["p95_ms"] for r in mine)
        figures[f"{name}_worst_ratio"] = worst if worst != float("inf") else "inf"
        figures[f"{name}_ai_all_200"] = all_ok
        if name in args.target.split(",") and (worst > 1.5 or not all_ok):
            failed = True
    print("BENCH_RESULT " + json.dumps(figures))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
