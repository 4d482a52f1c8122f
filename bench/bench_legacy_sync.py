"""Benchmark: the cutover's imports on a real-shaped Node.js dump of 20,000 consultations.

    .venv/bin/python bench/bench_legacy_sync.py [--consultations 20000] [--engines sqlite,postgres]

Generates a mongodump directory shaped like ../shared/legacy/node-dump (all three schema
generations: 10% generation-1 standalone transcripts with embedded notes and ``soapSummary``,
10% generation-2 consultations with ``notesIds``, 80% generation-3 consultations with their
transcripts, markdown summaries in the six styles GPT-4o wrote, notes, prompts, users with
``createdAt``, ``blacktokens`` with ``blackToken``), then a copy with 1% of the documents
changed the ways Node.js changes them (texts saved, consultations ended and summarised,
notes edited and deleted, prompts soft-deleted, new consultations, logouts).

On each engine, from a freshly migrated database, each step timed as its own process
(``manage.py import_legacy``, Django start-up included), as an operator runs it:

1. bulk import of the dump                   target: under 60 s
2. ``--sync`` against the 1%-changed copy     (no target: runs while Node.js still serves)
3. ``--sync`` again, nothing changed          target: under 10 s (the cutover's write freeze)

PostgreSQL: ``BENCH_POSTGRES_URL`` (default postgres://postgres@127.0.0.1:5432/scribe_h11s);
the database is dropped and created again. Exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import bcrypt
import bson
from bson import ObjectId

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BULK_TARGET = 60.0
NOTHING_CHANGED_TARGET = 10.0
COMPLAINTS = ["a cough", "lower back pain", "headaches", "fatigue", "a rash", "burning on urination", "wheeze at night"]
START = dt.datetime(2025, 9, 24, tzinfo=dt.UTC)
LATER = dt.datetime(2025, 10, 26, 9, 0, tzinfo=dt.UTC)


def _summary(rng: random.Random, complaint: str) -> str:
    s, o, a, p = (
        f"Reports {complaint}, worse at night. No fever.",
        "On examination: observations normal.",
        "Likely self-limiting.",
        "Safety-net advice, review in 2 weeks.",
    )
    style = rng.randrange(6)
    if style == 0:
        return f"S: {s}\nO: {o}\nA: {a}\nP: {p}"
    if style == 1:
        return f"**Subjective:** {s}\n\n**Objective:** {o}\n\n**Assessment:** {a}\n\n**Plan:** {p}"
    if style == 2:
        return (
            f"### SOAP Note\n\n**Subjective:**\n- {s}\n\n**Objective:**\n- {o}\n\n**Assessment:**\n- {a}\n\n"
            f"**Plan:**\n- {p}\n\n*This summary is AI-generated and should be reviewed by the clinician.*"
        )
    if style == 3:
        return f"## Subjective\n{s}\n\n## Objective\n{o}\n\n## Assessment\n{a}\n\n## Plan\n{p}"
    if style == 4:
        return (
            f"Here is the SOAP summary of the consultation:\n\n**S (Subjective):** {s}\n\n**O (Objective):** {o}\n\n"
            f"**A (Assessment):** {a}\n\n**P (Plan):** {p}"
        )
    return f"Subjective\n- {s}\n\nObjective\n- {o}\n\nAssessment\n- {a}\n\nPlan\n- {p}"


def _text(rng: random.Random, complaint: str) -> str:
    return "\n".join(
        [
            "Clinician: Good morning, what brings you in today?",
            f"Patient: I've had {complaint}.",
            "Clinician: How long has this been going on?",
            f"Patient: About {rng.randint(2, 40)} days now, a bit worse at night.",
            "Clinician: Any fever, weight change or other symptoms?",
            "Patient: No fever. I'm taking paracetamol 1g four times a day.",
            f"Clinician: Blood pressure today is {rng.randint(105, 150)}/{rng.randint(65, 95)}.",
            "Clinician: I'd like to arrange some tests and review you in two weeks.",
        ]
    )


def _token(rng: random.Random, user: ObjectId, username: str) -> str:
    import jwt

    iat = int(START.timestamp()) + rng.randint(0, 2_000_000)
    return jwt.encode(
        {"userID": str(user), "author": username, "iat": iat, "exp": iat + 3600},
        "bench-node-secret-0123456789abcdef",
        algorithm="HS256",
    )


def generate(consultations: int, seed: int = 11) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    docs: dict[str, list[dict]] = {
        n: [] for n in ("users", "prompts", "consultations", "transcripts", "notes", "blacktokens")
    }
    cheap = bcrypt.gensalt(rounds=4)
    clinicians = []
    for index in range(max(consultations // 100, 2)):
        uid, name = ObjectId(), f"dr_{index}"
        clinicians.append((uid, name))
        docs["users"].append(
            {
                "_id": uid,
                "username": name,
                "email": f"{name}@example-clinic.nhs.uk",
                "password": bcrypt.hashpw(f"{name}-pass-123".encode(), cheap).decode(),
                "role": "clinician",
                "createdAt": START,
                "__v": 0,
                **({"prompts": [], "notes": [], "transcripts": []} if index % 2 else {}),
            }
        )
        for n in range(2):
            docs["prompts"].append(
                {
                    "_id": ObjectId(),
                    "prompt_name": f"template {n}",
                    "prompt_text": "Summarise as SOAP. UK spelling.",
                    "is_shareable": n == 0,
                    "is_deleted": False,
                    "clinician": uid,
                    "transcript_ids": [],
                    "created_at": START,
                    "__v": 0,
                }
            )
    for index in range(consultations):
        clinician, _ = clinicians[index % len(clinicians)]
        began = START + dt.timedelta(minutes=2 * index)
        complaint = rng.choice(COMPLAINTS)
        patient = {
            "name": f"Patient {index}",
            "age": rng.randint(1, 95),
            "nhs_number": str(rng.randint(10**9, 10**10 - 1)),
        }
        generation = 1 if index % 10 == 0 else 2 if index % 10 == 1 else 3
        if generation == 1:
            doc = {
                "_id": ObjectId(),
                "clinicianId": str(clinician),
                "transcript": _text(rng, complaint),
                "createdAt": began,
                "patientObject": {"patient_id": f"uuid-{index}", "data": {"patient_data": patient}},
                "__v": 0,
            }
            if index % 3 == 0:
                doc["soapSummary"] = _summary(rng, complaint)
            if index % 4 == 0:
                doc["notes"] = f"Follow up {complaint} in 2 weeks."
            docs["transcripts"].append(doc)
            continue
        cid = ObjectId()
        note_ids = [ObjectId() for _ in range(index % 2 + 1)]
        if generation == 2:
            docs["consultations"].append(
                {
                    "_id": cid,
                    "consultation_id": str(ObjectId()),
                    "clinician": clinician,
                    "notesIds": note_ids,
                    "prompts_used": [],
                    "started_at": began,
                    "status": "active",
                    "__v": len(note_ids),
                }
            )
            transcript = None
        else:
            transcript = ObjectId()
            ended = index % 7 != 0
            docs["consultations"].append(
                {
                    "_id": cid,
                    "clinician": clinician,
                    "patient": patient,
                    "transcript": transcript,
                    "notes": note_ids,
                    "started_at": began,
                    **({"ended_at": began + dt.timedelta(minutes=12)} if ended else {}),
                    "status": "ended" if ended else "active",
                    "__v": len(note_ids),
                }
            )
            docs["transcripts"].append(
                {
                    "_id": transcript,
                    "clinician": clinician,
                    "consultation": cid,
                    "transcript_text": _text(rng, complaint),
                    **({"summary": _summary(rng, complaint)} if ended else {}),
                    "created_at": began,
                    "updated_at": began + dt.timedelta(minutes=12),
                    "__v": 0,
                }
            )
        for n, nid in enumerate(note_ids):
            docs["notes"].append(
                {
                    "_id": nid,
                    "clinician": clinician,
                    "transcript": transcript or ObjectId(),
                    "consultation": cid,
                    "body": f"Note {n}: follow up on {complaint}.",
                    "created_at": began,
                    "updated_at": began,
                }
            )
    for _ in range(max(consultations // 40, 1)):
        uid, name = rng.choice(clinicians)
        docs["blacktokens"].append({"_id": ObjectId(), "blackToken": _token(rng, uid, name)})
    return docs


def change_one_percent(docs: dict[str, list[dict]], seed: int = 12) -> dict[str, int]:
    """Change about 1% of all documents the ways Node.js changes them; returns what was changed."""
    rng = random.Random(seed)
    total = sum(len(items) for items in docs.values())
    budget = max(total // 100, 6)
    per = budget // 6
    g3_transcripts = [t for t in docs["transcripts"] if "consultation" in t]
    active = [c for c in docs["consultations"] if c.get("status") == "active" and c.get("transcript")]
    by_id = {t["_id"]: t for t in g3_transcripts}
    for transcript in rng.sample(g3_transcripts, per):
        transcript.update(transcript_text=transcript["transcript_text"] + "\nClinician: Saved again.", updated_at=LATER)
    for consultation in rng.sample(active, min(per, len(active))):
        consultation.update(status="ended", ended_at=LATER)
        by_id[consultation["transcript"]].update(summary=_summary(rng, "a cough"), updated_at=LATER)
    notes = rng.sample(docs["notes"], 2 * per)
    for note in notes[:per]:
        note.update(body=note["body"] + " Edited.", updated_at=LATER)
    deleted = {note["_id"] for note in notes[per:]}
    docs["notes"] = [note for note in docs["notes"] if note["_id"] not in deleted]
    for prompt in rng.sample(docs["prompts"], min(per, len(docs["prompts"]))):
        prompt.update(is_deleted=True, updated_at=LATER)
    clinician = docs["users"][0]
    for index in range(per):
        cid, tid = ObjectId(), ObjectId()
        docs["consultations"].append(
            {
                "_id": cid,
                "clinician": clinician["_id"],
                "patient": {"name": f"New {index}"},
                "transcript": tid,
                "notes": [],
                "started_at": LATER,
                "status": "active",
                "__v": 0,
            }
        )
        docs["transcripts"].append(
            {
                "_id": tid,
                "clinician": clinician["_id"],
                "consultation": cid,
                "transcript_text": "",
                "created_at": LATER,
                "updated_at": LATER,
                "__v": 0,
            }
        )
        docs["blacktokens"].append(
            {"_id": ObjectId(), "blackToken": _token(rng, clinician["_id"], clinician["username"])}
        )
    return {"documents": total, "changed_or_new": 7 * per}


def write(directory: Path, docs: dict[str, list[dict]]) -> Path:
    target = directory / "scribe"
    target.mkdir(parents=True, exist_ok=True)
    for name, items in docs.items():
        with (target / f"{name}.bson").open("wb") as handle:
            for doc in items:
                handle.write(bson.encode(doc))
    return directory


def _fresh_postgres(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def run_engine(engine: str, database_url: str, dump: Path, changed: Path, tmp: Path) -> dict[str, float]:
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": database_url, "REDIS_URL": "", "PYTHONPATH": str(ROOT)}
    env.pop("MONGODB_URI", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    steps = [
        ("bulk import", ["--dump", str(dump)]),
        ("sync, 1% changed", ["--sync", "--dump", str(changed)]),
        ("sync, nothing changed", ["--sync", "--dump", str(changed)]),
    ]
    timings: dict[str, float] = {}
    for label, args in steps:
        report = tmp / f"{engine}-{len(timings)}.json"
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        result = subprocess.run(
            [*manage, "import_legacy", *args, "--allow-skips", "--progress", "off", "--report", str(report)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - began
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        if result.returncode != 0:
            sys.exit(
                f"{engine} {label} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        timings[label] = round(elapsed, 2)
        timings[f"{label} cpu"] = round(cpu, 2)
        summary = json.loads(report.read_text())
        written = summary["collections"]
        rows = sum(c["created"] + c["updated"] + c["deleted"] + sum(c["extra_rows"].values()) for c in written.values())
        print(
            f"\n{engine}: {label}: {elapsed:.1f} s (whole process; CPU {cpu:.1f} s), {rows} rows written, "
            f"{summary['fingerprinted']} ledger rows, {summary['conflicts']} conflicts"
        )
        print(result.stdout.split("Source:", 1)[-1].split("\n\n")[0])
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consultations", type=int, default=20_000)
    parser.add_argument("--engines", default="sqlite,postgres")
    args = parser.parse_args()

    results: dict[str, float] = {}
    missed = []
    with tempfile.TemporaryDirectory(prefix="scribe-bench-sync-") as tmp:
        tmp_path = Path(tmp)
        began = time.perf_counter()
        docs = generate(args.consultations)
        write(tmp_path / "dump", docs)
        counts = {name: len(items) for name, items in docs.items()}
        changed = change_one_percent(docs)
        write(tmp_path / "changed", docs)
        print(f"generated in {time.perf_counter() - began:.1f} s:", ", ".join(f"{n} {k}" for k, n in counts.items()))
        print(f"changed copy: {changed['changed_or_new']} of {changed['documents']} documents changed or new")
        for engine in args.engines.split(","):
            if engine == "sqlite":
                url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
            else:
                url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/scribe_h11s")
                _fresh_postgres(url)
            timings = run_engine(engine, url, tmp_path / "dump", tmp_path / "changed", tmp_path)
            for label, seconds in timings.items():
                results[f"{engine}_{label.replace(',', '').replace('%', 'pct').replace(' ', '_')}_s"] = seconds
            # Wall time is what the targets are about; CPU time shows how much of it was the
            # command and how much a shared machine's other load.
            if timings["bulk import"] >= BULK_TARGET:
                missed.append(f"{engine} bulk import {timings['bulk import']} s >= {BULK_TARGET} s")
            if timings["sync, nothing changed"] >= NOTHING_CHANGED_TARGET:
                missed.append(
                    f"{engine} nothing-changed sync {timings['sync, nothing changed']} s >= {NOTHING_CHANGED_TARGET} s"
                )
    print("\nBENCH_RESULT " + json.dumps({"consultations": args.consultations, **results}))
    if missed:
        sys.exit("missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
