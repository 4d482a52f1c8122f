"""Benchmark: concurrent live recordings over /transcription-stream.

    .venv/bin/python bench/bench_live.py [--recordings 16 64] [--stub-latency 0.5] [--database-url URL]

Real WebM/Opus (espeak-ng speech encoded by ffmpeg, about 28 s, cut into MediaRecorder
slices of ~0.5 s), sent at real-time pace by N concurrent clients (the ``websockets``
package) to daphne serving ``scribe.asgi`` in a child process, whose AI provider is the
OpenAI stub answering each transcription after ``--stub-latency`` seconds. Each client
is its own clinician recording into its own consultation. Measured per run:

- partial latency: from sending the slice that closes a window to receiving that
  window's ``transcript`` (isPartial), minus the stub's configured latency: Scribe's own
  overhead (queueing for a worker thread, the quota row, the segment writes, the socket),
  plus whatever the loaded machine adds to the stub (the stub and the clients share this
  process). The provider calls' latency as Scribe saw it (its ``ai_call`` log lines) is
  reported beside it, to tell the two apart;
- server RSS: the child's resident memory after a warm-up recording (one short recording
  first: the provider client, worker threads and connections exist) and at its peak while
  the N recordings run (sampled every 0.2 s), and the difference per connection;
- after every client stopped: each consultation holds exactly one segment per window it
  sent, in ``seq`` order, with the stub's text for that window (stored exactly once).

Targets: every window stored exactly once, no error message, p95 overhead under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OVERHEAD_P95_TARGET_MS = 1000.0
SLICE_SECONDS = 0.5
SPEECH = (
    "Good morning doctor. I have had a cough for three days and a mild fever since Sunday. "
    "It is worse at night and I feel tired. I have no chest pain. "
    "I took paracetamol twice a day and it helped a little. My daughter had the same cough last week. "
    "I do not smoke and I have no allergies that I know of. Should I be worried about my breathing?"
)
WORDS = ["cough", "fever", "night", "tired", "chest", "pain", "three", "days", "sunday", "morning"]


def reply(audio: bytes) -> dict:
    digest = hashlib.sha256(audio).digest()
    text = " ".join(WORDS[b % len(WORDS)] for b in digest[:3]).capitalize() + "."
    return {"text": text, "duration": 4.0, "segments": [{"id": 0, "start": 0.2, "end": 1.5, "text": " " + text}]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(round(len(ordered) * q) - 1, 0)]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Server:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-e", "tcp:port=0:interface=127.0.0.1", "scribe.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.port: int | None = None
        self.lines: list[str] = []
        ready = threading.Event()

        def read() -> None:
            for line in self.process.stderr:
                self.lines.append(line)
                found = re.search(r"Listening on TCP address [\d.]+:(\d+)", line)
                if found:
                    self.port = int(found.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(60) or self.port is None:
            self.stop()
            raise SystemExit("daphne did not start:\n" + "".join(self.lines))
        self.peak = self.baseline = rss_kib(self.process.pid)
        self._sampling = True
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while self._sampling and self.process.poll() is None:
            self.peak = max(self.peak, rss_kib(self.process.pid))
            time.sleep(0.2)

    def stop(self) -> None:
        self._sampling = False
        self.process.terminate()
        self.process.wait(15)
        calls = [json.loads(line) for line in self.lines if '"message": "ai_call"' in line]
        self.provider_ms = [call["latency_ms"] for call in calls]
        self.failed_calls = sorted({call.get("outcome") for call in calls} - {"ok"})
        self.lines = [line for line in self.lines if '"level": "ERROR"' in line or "Traceback" in line]


async def record(
    port: int, token: str, consultation_id: str, slices: list[bytes], result: dict, delay: float = 0.0
) -> None:
    from websockets.asyncio.client import connect

    await asyncio.sleep(delay)
    closes: list[float] = []  # when the slice closing each window was sent
    partials: list[float] = []
    errors: list[str] = []
    window = int(os.environ.get("LIVE_WINDOW_SLICES", "8"))
    async with connect(f"ws://127.0.0.1:{port}/transcription-stream?token={token}", max_size=None) as socket:
        assert json.loads(await socket.recv())["type"] == "connection"
        await socket.send(json.dumps({"type": "start_recording", "consultationId": consultation_id}))
        assert json.loads(await socket.recv())["type"] == "recording_started"

        async def listen() -> None:
            async for raw in socket:
                message = json.loads(raw)
                if message["type"] == "transcript" and message.get("isPartial"):
                    partials.append(time.perf_counter())
                elif message["type"] == "error":
                    errors.append(message["message"])
                elif message["type"] == "recording_stopped":
                    return

        listener = asyncio.create_task(listen())
        started = time.perf_counter()
        for index, piece in enumerate(slices):
            # Real-time pace: slice i leaves at i x 0.5 s (the header at once, as MediaRecorder does).
            await asyncio.sleep(max(0.0, started + index * SLICE_SECONDS - time.perf_counter()))
            await socket.send(json.dumps({"type": "audio_chunk", "audioData": base64.b64encode(piece).decode()}))
            if index and index % window == 0:
                closes.append(time.perf_counter())
        await socket.send(json.dumps({"type": "stop_recording"}))
        await asyncio.wait_for(listener, 120)
    full_windows = (len(slices) - 1) // window
    result.update(
        latencies=[p - c for c, p in zip(closes, partials[:full_windows], strict=False)],
        windows=full_windows + (1 if (len(slices) - 1) % window else 0),
        partials=len(partials),
        errors=errors,
    )


def run(n: int, args, env: dict[str, str], slices: list[bytes]) -> dict:
    import django

    django.setup()
    from accounts.tests.factories import UserFactory
    from accounts.tokens import token_pair_for
    from consultations.models import Segment
    from consultations.services import consultation_start

    people = []
    for _ in range(n + 1):
        user = UserFactory(role="clinician")
        consultation = consultation_start(clinician=user, patient_data={"name": "Bench Patient"})
        people.append((token_pair_for(user)["access_token"], consultation))

    server = Server(env)
    try:
        # Warm-up: one short recording (first provider call, worker threads, connections),
        # then the baseline memory the N recordings are compared with.
        (token, consultation), people = people[0], people[1:]
        asyncio.run(record(server.port, token, str(consultation.pk), slices[:10], {}))
        warm_up_calls = 3  # its window, its short last window, its final pass
        server.peak = server.baseline = rss_kib(server.process.pid)
        results = [{} for _ in range(n)]
        spread = int(env["LIVE_WINDOW_SLICES"]) * SLICE_SECONDS if args.stagger else 0.0

        async def everyone() -> None:
            await asyncio.gather(
                *(
                    record(server.port, token, str(c.pk), slices, results[i], spread * i / n)
                    for i, (token, c) in enumerate(people)
                )
            )

        wall = time.perf_counter()
        asyncio.run(everyone())
        wall = time.perf_counter() - wall
    finally:
        server.stop()

    window = int(env["LIVE_WINDOW_SLICES"])
    body = slices[1:]
    expected_texts = [reply(slices[0] + b"".join(body[i : i + window]))["text"] for i in range(0, len(body), window)]
    exact = 0
    for _, consultation in people:
        rows = list(
            Segment.objects.filter(transcript=consultation.transcript).order_by("seq").values_list("seq", "text")
        )
        exact += rows == list(enumerate(expected_texts))
    overheads = [(lat - args.stub_latency) * 1000 for r in results for lat in r["latencies"]]
    provider = server.provider_ms[warm_up_calls:]
    errors = sorted(
        {e for r in results for e in r["errors"]} | {f"provider call outcome {o}" for o in server.failed_calls}
    )
    return {
        "recordings": n,
        "seconds": round(wall, 1),
        "windows_per_recording": len(expected_texts),
        "partials_received": sum(r["partials"] for r in results),
        "overhead_p50_ms": round(statistics.median(overheads), 1),
        "overhead_p95_ms": round(percentile(overheads, 0.95), 1),
        "overhead_max_ms": round(max(overheads), 1),
        "provider_call_p50_ms": round(statistics.median(provider), 1),
        "provider_call_p95_ms": round(percentile(provider, 0.95), 1),
        "rss_baseline_mib": round(server.baseline / 1024, 1),
        "rss_peak_mib": round(server.peak / 1024, 1),
        "rss_per_connection_kib": round((server.peak - server.baseline) / n),
        "recordings_stored_exactly_once": exact,
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recordings", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--stub-latency", type=float, default=0.5)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--worker-threads", type=int, default=32, help="LIVE_WORKER_THREADS of the server")
    parser.add_argument(
        "--stagger",
        action="store_true",
        help="start the recordings spread over one window (default: all at once, the worst case)",
    )
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="scribe-bench-live-")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    from scribe.testing.openai_stub import OpenAIStub
    from scribe.testing.webm import media_recorder_slices, webm_from_speech

    stub = OpenAIStub()
    stub.transcription_reply = reply
    stub.delay = args.stub_latency
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "MONGODB_URI", "DJANGO_"))
    }
    env.update(
        DEBUG="true",
        ENV_FILE="",
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",
        OPENAI_API_KEY="sk-bench",
        OPENAI_BASE_URL=stub.base_url,
        AI_MAX_RETRIES="0",
        AI_DAILY_QUOTA="0",
        LIVE_WINDOW_SLICES="8",
        LIVE_WORKER_THREADS=str(args.worker_threads),
        PYTHONPATH=str(ROOT),
    )
    os.environ.update({k: env[k] for k in ("DEBUG", "ENV_FILE", "DATABASE_URL")}, LOG_LEVEL="WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "scribe.settings"
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)

    slices = media_recorder_slices(webm_from_speech(SPEECH))
    print(
        f"audio: {sum(map(len, slices))} bytes WebM/Opus, header + {len(slices) - 1} slices of ~{SLICE_SECONDS} s;"
        f" stub latency {args.stub_latency} s; database {database_url.split(':')[0]};"
        f" LIVE_WORKER_THREADS {args.worker_threads}; starts {'spread over one window' if args.stagger else 'all at once'}"
    )
    figures, ok = {}, True
    print(
        f"{'N':>4} {'wall s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'call p50':>9} {'call p95':>9}"
        f" {'RSS base':>9} {'RSS peak':>9} {'KiB/conn':>9} {'exact':>7}"
    )
    for n in args.recordings:
        result = run(n, args, env, slices)
        print(
            f"{n:>4} {result['seconds']:>7} {result['overhead_p50_ms']:>8} {result['overhead_p95_ms']:>8}"
            f" {result['overhead_max_ms']:>8} {result['provider_call_p50_ms']:>9} {result['provider_call_p95_ms']:>9}"
            f" {result['rss_baseline_mib']:>8}M {result['rss_peak_mib']:>8}M"
            f" {result['rss_per_connection_kib']:>9} {result['recordings_stored_exactly_once']:>4}/{n}"
            + (f"  errors: {result['errors']}" if result["errors"] else "")
        )
        for key, value in result.items():
            figures[f"n{n}_{key}"] = value
        ok = ok and result["recordings_stored_exactly_once"] == n and not result["errors"]
        ok = ok and result["overhead_p95_ms"] <= OVERHEAD_P95_TARGET_MS
    stub.close()
    print("BENCH_RESULT " + json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
