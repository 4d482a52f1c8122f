"""Benchmark: Scribe's HTTP stack side by side with bare Django (issue 16, item 5).

    .venv/bin/python bench/bench_http.py [--rounds 3] [--seconds 10] [--connections 16] [--quick]

Starts the production servers as deployed (README "Process layout and AI waits"): the REST
process (``gunicorn scribe.wsgi:application`` with ``gunicorn.conf.py``: gthread, 2 x 8)
and the AI process (the same with ``scribe.workers.UvicornWorker``), plus a bare-Django
baseline: the same gunicorn configuration, Scribe's settings and middleware, and plain
function views doing the same query (``bench/http_baseline.py``, ``DJANGO_SETTINGS_MODULE``
only for this server; never in the product's URLs). Production settings, PostgreSQL
(``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/scribe_perfauth_bench``,
dropped and created), Redis DB ``BENCH_REDIS_DB`` (default 2), ports from
``BENCH_PORT_BASE`` (default 18200), the OpenAI stub answering after 200 ms.

The same rows behind every server: one clinician, 30 consultations (the list's page: 20
rows), one transcript of 1,000 segments, one empty transcript per append run. ``wrk``
(``--connections``, default 16) then measures, in interleaved rounds (Scribe, baseline;
baseline, Scribe; ...): the consultation list, a detail, the 1,000-segment transcript, a
segment append (the baseline: a view doing the one insert), ``/health``, and
``POST /api/v1/ai/search`` on the AI process (overhead = p50/p95 minus the 200 ms the
provider takes). Reported per endpoint: requests/s of each server and their ratio, server
CPU per request (user + system time of the server's processes from ``/proc``, over the
run), p50/p95, non-2xx answers; after the run every worker's RSS and how many workers
were restarted (distinct worker pids seen beyond the configured number).

Targets (issue 16): list and detail >= 0.85x the baseline, append >= 0.7x, AI overhead p95
< 20 ms, every worker's RSS < 150 MB, no worker restarts. Exit status 1 on a miss (not in
``--quick``, which only proves the harness: 1 round of 2 s). ``--app-dir`` runs the servers
from another checkout (to measure a commit before a change; copy this file and the
``http_baseline*`` modules there first).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scribe.testing.openai_stub import OpenAIStub  # noqa: E402
from scribe.testing.processes import PRODUCTION_ENV, child_env  # noqa: E402

PROVIDER_MS = 200
TICKS = os.sysconf("SC_CLK_TCK")
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests": %d, "p50_ms": %.2f, "p95_ms": %.2f, '
    .. '"errors": %d, "non_2xx": %d}\\n', summary.requests, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, e.connect + e.read + e.write + e.timeout, e.status))
end
"""
WRK_GET = 'wrk.headers["Authorization"] = "Bearer TOKEN"\n' + WRK_DONE
WRK_APPEND = (
    'wrk.method = "POST"\nwrk.headers["Authorization"] = "Bearer TOKEN"\n'
    'wrk.headers["Content-Type"] = "application/json"\nlocal threads = 0\nlocal seq = -1\n'
    # Each wrk thread its own range of seqs: every append is a new segment.
    "setup = function(thread)\n  thread:set('base', threads * 100000)\n  threads = threads + 1\nend\n"
    "request = function()\n  seq = seq + 1\n"
    '  return wrk.format(nil, nil, nil, string.format(\'{"seq": %d, "text": "Segment %d: the patient '
    'describes the symptoms.", "speaker": "patient"}\', base + seq, seq))\nend\n' + WRK_DONE
)
WRK_AI = (
    'wrk.method = "POST"\nwrk.headers["Authorization"] = "Bearer TOKEN"\n'
    'wrk.headers["Content-Type"] = "application/json"\nwrk.body = \'{"query": "What is asthma?"}\'\n' + WRK_DONE
)


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/scribe_perfauth_bench")


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def server_env(stub: OpenAIStub, app_dir: Path) -> dict[str, str]:
    return child_env(
        **{**PRODUCTION_ENV, "ALLOWED_HOSTS": "127.0.0.1,localhost"},
        DATABASE_URL=database_url(),
        REDIS_URL=f"redis://127.0.0.1:6379/{os.environ.get('BENCH_REDIS_DB', '2')}",
        OPENAI_API_KEY="bench-key",
        OPENAI_BASE_URL=stub.base_url,
        AI_TIMEOUT_SECONDS="60",
        AI_MAX_RETRIES="0",
        AI_DAILY_QUOTA="0",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(app_dir),
    )


FILL = """
from django.core.cache import cache
from accounts.models import User
from accounts.tokens import token_pair_for
from consultations.models import Segment
from consultations.services import consultation_start
cache.clear()
u = User.objects.create_user(email='bench@example.nhs.uk', password='Bench-pass-123', role='clinician')
appends = [consultation_start(clinician=u, patient_data={{'name': f'Append {{n}}', 'age': 40}}).transcript.pk
           for n in range({appends})]
big = consultation_start(clinician=u, patient_data={{'name': 'Long visit', 'age': 50}}).transcript
Segment.objects.bulk_create([Segment(transcript=big, seq=n, text=f'Segment {{n}}: the patient describes the '
                             'symptoms in some detail.', speaker='patient') for n in range(1000)])
rows = [consultation_start(clinician=u, patient_data={{'name': f'Patient {{n}}', 'age': 40}}) for n in range(30)]
import json
print('FILL ' + json.dumps({{'token': token_pair_for(u)['access_token'], 'clinician': str(u.pk),
      'detail': str(rows[-1].pk), 'transcript': str(big.pk), 'appends': [str(a) for a in appends]}}))
"""


def fill(env: dict[str, str], app_dir: Path, appends: int) -> dict:
    run = {"cwd": app_dir, "env": env, "capture_output": True, "text": True, "check": True}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], **run)
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", FILL.format(appends=appends)], **run)
    return json.loads(next(ln[5:] for ln in done.stdout.splitlines() if ln.startswith("FILL ")))


class Server:
    def __init__(self, name: str, app: str, worker: str, port: int, env: dict, app_dir: Path, log: Path) -> None:
        self.name, self.port = name, port
        command = [sys.executable, "-m", "gunicorn", app, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
        command += ["--worker-class", worker]
        self.process = subprocess.Popen(
            command, cwd=app_dir, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
        )
        self.workers_seen: set[int] = set()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError(f"{name} did not start on port {port}; see {log}")
        self.expected_workers = len(self.workers())

    def workers(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                        found.append(int(entry.name))
        self.workers_seen.update(found)
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its live workers, plus that of workers that
        have exited (the master's cutime/cstime), so a restart loses nothing."""
        total = 0.0
        for pid in [self.process.pid, *self.workers()]:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
                if pid == self.process.pid:
                    total += (int(fields[13]) + int(fields[14])) / TICKS  # reaped children
        return total

    def memory_mb(self, field: str = "Rss:") -> list[float]:
        """Each worker's RSS (``Rss:``) or proportional share (``Pss:``: pages shared with
        the master after the fork counted once between them), from smaps_rollup."""
        sizes = []
        for pid in self.workers():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith(field):
                        sizes.append(round(int(line.split()[1]) / 1024, 1))
        return sizes

    def restarts(self) -> int:
        self.workers()
        return len(self.workers_seen) - self.expected_workers

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def wrk(server: Server, path: str, script: Path, *, seconds: int, connections: int) -> dict:
    before = server.cpu_seconds()
    done = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"http://127.0.0.1:{server.port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 300,  # wrk waits for requests in flight; on a saturated machine that takes a while
    )
    cpu = server.cpu_seconds() - before
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {done.stdout}{done.stderr}")
    result = json.loads(line[4:])
    result["rps"] = round(result["requests"] / seconds, 1)
    result["cpu_ms"] = round(1000 * cpu / max(result["requests"], 1), 2)
    return result


def warm_up(rest: Server, bare: Server, ai: Server, endpoints: dict, token: str, transcript: str) -> None:
    """A few requests to every endpoint before measuring (imports, connections, caches),
    each answer checked, so a broken endpoint fails here rather than as a fast error rate."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=60, headers=headers) as client:
        for kind, scribe_path, bare_path in endpoints.values():
            if kind != "get":
                continue
            for server, path in ((rest, scribe_path), (bare, bare_path)):
                for _ in range(3):
                    response = client.get(f"http://127.0.0.1:{server.port}{path}")
                    if response.status_code != 200:
                        raise RuntimeError(f"{server.name} {path}: {response.status_code} {response.text[:200]}")
        for _ in range(3):
            response = client.post(f"http://127.0.0.1:{ai.port}/api/v1/ai/search", json={"query": "What is asthma?"})
            if response.status_code != 200:
                raise RuntimeError(f"ai search: {response.status_code} {response.text[:200]}")


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split(" ")[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s: proves the harness, no targets")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="run the servers from this checkout")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 1, 2
    app_dir = args.app_dir.resolve()
    base = int(os.environ.get("BENCH_PORT_BASE", "18200"))
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    log = workdir / "servers.log"

    stub = OpenAIStub()
    stub.delay = PROVIDER_MS / 1000
    # wrk hangs up on requests still waiting when a run ends: not worth a traceback each.
    stub._server.handle_error = lambda request, address: None
    env = server_env(stub, app_dir)
    recreate_database(database_url())
    data = fill(env, app_dir, appends=2 * args.rounds)
    token = data["token"]
    scripts = {}
    for name, text in (("get", WRK_GET), ("append", WRK_APPEND), ("ai", WRK_AI)):
        scripts[name] = workdir / f"{name}.lua"
        scripts[name].write_text(text.replace("TOKEN", token))
    clinician = data["clinician"]
    endpoints = {
        "list": ("get", "/api/v1/consultations/", f"/api/v1/consultations/?clinician={clinician}"),
        "detail": (
            "get",
            f"/api/v1/consultations/{data['detail']}",
            f"/api/v1/consultations/{data['detail']}?clinician={clinician}",
        ),
        "transcript_1000": (
            "get",
            f"/api/v1/transcripts/{data['transcript']}",
            f"/api/v1/transcripts/{data['transcript']}",
        ),
        "append": ("append", None, None),
        "health": ("get", "/health", "/health"),
    }

    rest = Server("scribe", "scribe.wsgi:application", "gthread", base, env, app_dir, log)
    ai = Server("scribe-ai", "scribe.asgi:application", "scribe.workers.UvicornWorker", base + 1, env, app_dir, log)
    bare = Server(
        "baseline",
        "scribe.wsgi:application",
        "gthread",
        base + 2,
        {**env, "DJANGO_SETTINGS_MODULE": "bench.http_baseline"},
        app_dir,
        log,
    )
    warm_up(rest, bare, ai, endpoints, token, data["appends"][-1])
    results: dict[str, dict[str, list[dict]]] = {name: {"scribe": [], "baseline": []} for name in endpoints}
    results["ai_search"] = {"scribe": []}
    loads = [load_average()]
    started = time.monotonic()
    appends = iter(data["appends"])
    try:
        for round_no in range(args.rounds):
            order = [("scribe", rest), ("baseline", bare)]
            if round_no % 2:
                order.reverse()
            for name, (kind, scribe_path, bare_path) in endpoints.items():
                for who, server in order:
                    path = scribe_path if who == "scribe" else bare_path
                    if kind == "append":
                        path = f"/api/v1/transcripts/{next(appends)}/segments"
                    result = wrk(server, path, scripts[kind], seconds=args.seconds, connections=args.connections)
                    results[name][who].append(result)
            results["ai_search"]["scribe"].append(
                wrk(ai, "/api/v1/ai/search", scripts["ai"], seconds=args.seconds, connections=args.connections)
            )
            loads.append(load_average())
        rss = {s.name: s.memory_mb() for s in (rest, ai, bare)}
        pss = {s.name: s.memory_mb("Pss:") for s in (rest, ai, bare)}
        restarts = {s.name: s.restarts() for s in (rest, ai, bare)}
    finally:
        for server in (rest, ai, bare):
            server.stop()
        stub.close()

    print(
        f"bench_http: {args.rounds} round(s) x {args.seconds} s per measurement, wrk {args.connections} connections, "
        f"{round(time.monotonic() - started)} s of load, load average {' -> '.join(loads)} "
        f"({os.cpu_count()} CPUs, shared)"
    )
    print(
        "| endpoint | Scribe req/s | bare req/s | ratio (per round) | CPU ms/req Scribe / bare | Scribe p50 / p95 ms | non-2xx |"
    )
    print("|---|---|---|---|---|---|---|")
    figures: dict[str, float] = {}
    misses = []

    def med(runs: list[dict], key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 1)

    for name in endpoints:
        ours, theirs = results[name]["scribe"], results[name]["baseline"]
        ratios = [round(o["rps"] / t["rps"], 2) if t["rps"] else 0.0 for o, t in zip(ours, theirs, strict=True)]
        ratio = round(statistics.median(ratios), 2)
        cpu_ours, cpu_theirs = med(ours, "cpu_ms"), med(theirs, "cpu_ms")
        bad = sum(r["non_2xx"] + r["errors"] for r in ours + theirs)
        print(
            f"| {name} | {med(ours, 'rps')} | {med(theirs, 'rps')} | {ratio} ({', '.join(map(str, ratios))}) "
            f"| {cpu_ours} / {cpu_theirs} | {med(ours, 'p50_ms')} / {med(ours, 'p95_ms')} | {bad} |"
        )
        figures[f"{name}_ratio"] = ratio
        figures[f"{name}_cpu_ms"] = cpu_ours
        figures[f"{name}_baseline_cpu_ms"] = cpu_theirs
        target = {"list": 0.85, "detail": 0.85, "append": 0.7}.get(name)
        if target and ratio < target:
            misses.append(f"{name} ratio {ratio} < {target}")
        if bad:
            misses.append(f"{name}: {bad} non-2xx/errors")
    ai_runs = results["ai_search"]["scribe"]
    p50 = round(med(ai_runs, "p50_ms") - PROVIDER_MS, 1)
    p95 = round(med(ai_runs, "p95_ms") - PROVIDER_MS, 1)
    ai_bad = sum(r["non_2xx"] + r["errors"] for r in ai_runs)
    print(
        f"ai_search: {med(ai_runs, 'rps')} req/s, overhead above the provider's "
        f"{PROVIDER_MS} ms: p50 {p50} ms, p95 {p95} ms, cpu {med(ai_runs, 'cpu_ms')} ms/req, "
        f"{ai_bad} non-2xx/errors"
    )
    print(f"worker RSS after the run (MB): {rss}; PSS: {pss}; worker restarts: {restarts}")
    figures.update(
        ai_overhead_p50_ms=p50,
        ai_overhead_p95_ms=p95,
        ai_cpu_ms=med(ai_runs, "cpu_ms"),
        max_worker_rss_mb=max(max(v, default=0) for v in rss.values()),
        worker_restarts=sum(restarts.values()),
    )
    if p95 >= 20:
        misses.append(f"AI overhead p95 {p95} ms >= 20")
    if ai_bad:
        misses.append(f"ai_search: {ai_bad} non-2xx/errors")
    if figures["max_worker_rss_mb"] >= 150:
        misses.append(f"worker RSS {figures['max_worker_rss_mb']} MB >= 150")
    if figures["worker_restarts"]:
        misses.append(f"{figures['worker_restarts']} worker restarts")
    print("BENCH_RESULT " + json.dumps(figures))
    if misses:
        print("missed: " + "; ".join(misses))
    return 1 if misses and not args.quick else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
