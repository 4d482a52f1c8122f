"""Benchmark: import a generated Node.js dump (2,000 consultations, 50 users) into SQLite.

    .venv/bin/python bench/bench_import_legacy.py [--consultations 2000] [--users 50] [--keep DIR]

Writes a mongodump-shaped directory with ``bson.encode`` (users' bcrypt hashes use
cost 4 so generating is quick; the importer never hashes anything), migrates a
fresh SQLite database in a temporary directory, and times ``manage.py import_legacy``
as an operator runs it (a separate process, Django start-up included), then times
a second run (which must write nothing). Target: under 30 s for the first run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bcrypt
import bson
from bson import ObjectId

ROOT = Path(__file__).resolve().parents[1]
COMPLAINTS = ["a cough", "lower back pain", "headaches", "fatigue", "a rash", "burning on urination", "dizziness"]


def generate_dump(directory: Path, *, consultations: int, users: int, seed: int = 6) -> dict[str, int]:
    """Write ``directory/scribe/<collection>.bson``; returns the document counts."""
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    clinicians = max(users - users // 5, 1)
    docs: dict[str, list[dict]] = {
        name: [] for name in ("users", "prompts", "consultations", "transcripts", "notes", "blacktokens")
    }
    cheap = bcrypt.gensalt(rounds=4)
    user_ids = []
    for index in range(users):
        uid = ObjectId()
        user_ids.append(uid)
        role = "clinician" if index < clinicians else "patient"
        name = f"{'dr' if role == 'clinician' else 'patient'}_{index}"
        docs["users"].append(
            {
                "_id": uid,
                "username": name,
                "email": f"{name}@example-clinic.nhs.uk",
                "password": bcrypt.hashpw(f"{name}-pass-123".encode(), cheap).decode(),
                "role": role,
                "prompts": [],
                "notes": [],
                "transcripts": [],
                "created_at": start,
                "__v": 0,
            }
        )
    prompt_ids = []
    for uid in user_ids[:clinicians]:
        for n in range(2):
            pid = ObjectId()
            prompt_ids.append(pid)
            docs["prompts"].append(
                {
                    "_id": pid,
                    "prompt_name": f"template {n}",
                    "prompt_text": "Summarise as SOAP. UK spelling.",
                    "is_shareable": n == 0,
                    "is_deleted": False,
                    "clinician": uid,
                    "transcript_ids": [],
                    "created_at": start,
                    "updated_at": None,
                }
            )
    prompt_docs = {p["_id"]: p for p in docs["prompts"]}
    for index in range(consultations):
        clinician = user_ids[index % clinicians]
        cid, tid = ObjectId(), ObjectId()
        began = start + dt.timedelta(minutes=37 * index)
        complaint = rng.choice(COMPLAINTS)
        lines = [
            "Clinician: Good morning, what brings you in today?",
            f"Patient: I've had {complaint}.",
            "Clinician: How long has this been going on, and is it getting better or worse?",
            f"Patient: About {rng.randint(2, 40)} days now, a bit worse at night.",
            "Clinician: Any fever, weight change or other symptoms?",
            "Patient: No fever. I'm taking paracetamol 1g four times a day.",
            f"Clinician: Blood pressure today is {rng.randint(105, 150)}/{rng.randint(65, 95)}.",
            "Clinician: I'd like to arrange some tests and review you in two weeks.",
        ]
        prompt = rng.choice(prompt_ids) if index % 3 == 0 else None
        if prompt is not None:
            prompt_docs[prompt]["transcript_ids"].append(tid)
        notes = [ObjectId() for _ in range(index % 2 + 1)]
        docs["consultations"].append(
            {
                "_id": cid,
                "clinician": clinician,
                "patient": {
                    "name": f"Patient {index}",
                    "age": rng.randint(1, 95),
                    "nhs_number": f"{rng.randint(10**9, 10**10 - 1)}",
                },
                "transcript": tid,
                "notes": notes,
                "started_at": began,
                "ended_at": began + dt.timedelta(minutes=12),
                "status": "ended",
                "__v": 0,
            }
        )
        docs["transcripts"].append(
            {
                "_id": tid,
                "clinician": clinician,
                "consultation": cid,
                "transcript_text": "\n".join(lines),
                "summary": {
                    "subjective": f"Presents with {complaint}.",
                    "objective": "Observations recorded.",
                    "assessment": "Likely benign.",
                    "plan": "Review in 2 weeks.",
                }
                if index % 2 == 0
                else None,
                "prompt_used": prompt,
                "created_at": began,
                "updated_at": began + dt.timedelta(minutes=12),
            }
        )
        for n, nid in enumerate(notes):
            docs["notes"].append(
                {
                    "_id": nid,
                    "clinician": clinician,
                    "transcript": tid,
                    "consultation": cid,
                    "body": f"Note {n}: follow up on {complaint}.",
                    "created_at": began,
                    "updated_at": began,
                }
            )
    for n in range(20):
        docs["blacktokens"].append(
            {"_id": ObjectId(), "token": f"eyJhbGciOiJIUzI1NiJ9.eyJuIjo{n}fQ.revoked-{n}", "__v": 0}
        )
    target = directory / "scribe"
    target.mkdir(parents=True, exist_ok=True)
    for name, items in docs.items():
        with (target / f"{name}.bson").open("wb") as handle:
            for doc in items:
                handle.write(bson.encode(doc))
    return {name: len(items) for name, items in docs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consultations", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="write the dump here and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="scribe-bench-") as tmp:
        tmp_path = Path(tmp)
        dump = args.keep or tmp_path / "dump"
        counts = generate_dump(dump, consultations=args.consultations, users=args.users)
        print("generated:", ", ".join(f"{n} {name}" for name, n in counts.items()))

        env = {
            **os.environ,
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
            "REDIS_URL": "",
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        for label in ("first run", "second run"):
            began = time.perf_counter()
            result = subprocess.run(
                [
                    *manage,
                    "import_legacy",
                    "--dump",
                    str(dump),
                    "--progress",
                    "off",
                    "--report",
                    str(tmp_path / "r.json"),
                ],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            elapsed = time.perf_counter() - began
            if result.returncode != 0:
                sys.exit(f"import_legacy failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
            table = result.stdout.split("Source:", 1)[-1]
            print(f"\n{label}: {elapsed:.1f} s (SQLite, whole process){table}")


if __name__ == "__main__":
    main()
