"""Helpers for the legacy-import tests: the sample dump, modified copies of it, a
canonical (primary-key free) picture of the database, and Node.js-style tokens."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import bson
import jwt
from django.conf import settings

from accounts.models import RevokedToken, User
from consultations.legacy.readers import COLLECTIONS, write_dump
from consultations.models import Consultation, LegacyDocument, Note, Prompt, Segment, Summary, Transcript

# A copy of ../shared/legacy/sample-dump (the manifest lists its users and anomalies).
SAMPLE_DUMP = Path(__file__).resolve().parent / "sample-dump"
SAMPLE_DB = SAMPLE_DUMP / "scribe"
MANIFEST: dict[str, Any] = json.loads((SAMPLE_DUMP / "manifest.json").read_text())


def sample_docs() -> dict[str, list[dict[str, Any]]]:
    return {
        name: list(bson.decode_file_iter((SAMPLE_DB / f"{name}.bson").open("rb")))
        for name in COLLECTIONS
        if (SAMPLE_DB / f"{name}.bson").exists()
    }


def modified_dump(tmp_path: Path, change: Callable[[dict[str, list[dict[str, Any]]]], None] | None = None) -> Path:
    """A copy of the sample dump (as ``tmp_path/dump/scribe``), with ``change`` applied to its documents."""
    docs = sample_docs()
    if change is not None:
        change(docs)
    target = tmp_path / "dump" / "scribe"
    write_dump(target, docs)
    for metadata in SAMPLE_DB.glob("*.metadata.json"):
        shutil.copy(metadata, target / metadata.name)
    return tmp_path / "dump"


def legacy_token(user_id: str, username: str, *, lifetime: int = 3600, secret: str | None = None) -> str:
    """A token exactly as the Node.js backend signed them: HS256 ``{userID, author, iat, exp}``."""
    now = int(time.time())
    payload = {"userID": user_id, "author": username, "iat": now, "exp": now + lifetime}
    return jwt.encode(payload, secret or settings.LEGACY_JWT_SECRET_KEY, algorithm="HS256")


def _legacy(value: Any, mapping: dict[Any, str | None]) -> str | None:
    return None if value is None else mapping.get(value, f"<new {value}>")


def canonical_database() -> dict[str, list[tuple]]:
    """Every imported row, with primary keys replaced by the legacy ids they point at.

    Two databases that hold the same data give equal results whatever their
    primary keys (SQL sequences are not reset between runs).
    """
    users = dict(User.objects.values_list("pk", "legacy_id"))
    prompts = dict(Prompt.objects.values_list("pk", "legacy_id"))
    consultations = dict(Consultation.objects.values_list("pk", "legacy_id"))
    transcripts = {pk: consultations[c] for pk, c in Transcript.objects.values_list("pk", "consultation_id")}

    def rows(queryset: Iterable[tuple], convert: Callable[[tuple], tuple]) -> list[tuple]:
        return sorted((convert(row) for row in queryset), key=repr)

    return {
        "users": rows(
            User.objects.values_list("legacy_id", "email", "username", "role", "password", "created_at", "is_active"),
            tuple,
        ),
        "prompts": rows(
            Prompt.objects.values_list(
                "legacy_id", "owner_id", "name", "text", "is_shareable", "is_deleted", "created_at", "updated_at"
            ),
            lambda r: (r[0], _legacy(r[1], users), *r[2:]),
        ),
        "consultations": rows(
            Consultation.objects.values_list(
                "legacy_id",
                "clinician_id",
                "patient_data",
                "patient_name",
                "status",
                "started_at",
                "ended_at",
                "summary",
            ),
            lambda r: (r[0], _legacy(r[1], users), json.dumps(r[2], sort_keys=True), *r[3:]),
        ),
        "transcripts": rows(
            Transcript.objects.values_list(
                "legacy_id",
                "consultation_id",
                "clinician_id",
                "prompt_used_id",
                "summary_version",
                "edited_text",
                "created_at",
                "updated_at",
            ),
            lambda r: (r[0], consultations[r[1]], _legacy(r[2], users), _legacy(r[3], prompts), *r[4:]),
        ),
        "segments": rows(
            Segment.objects.values_list("transcript_id", "seq", "text", "speaker", "start_ms", "end_ms", "created_at"),
            lambda r: (transcripts[r[0]], *r[1:]),
        ),
        "summaries": rows(
            Summary.objects.values_list(
                "legacy_id", "transcript_id", "version", "content", "text", "model", "prompt_id", "created_at"
            ),
            lambda r: (
                r[0],
                transcripts[r[1]],
                r[2],
                json.dumps(r[3], sort_keys=True),
                r[4],
                r[5],
                _legacy(r[6], prompts),
                r[7],
            ),
        ),
        "notes": rows(
            Note.objects.values_list(
                "legacy_id", "consultation_id", "transcript_id", "clinician_id", "body", "created_at", "updated_at"
            ),
            lambda r: (r[0], consultations[r[1]], transcripts[r[2]], _legacy(r[3], users), *r[4:]),
        ),
        "revoked_tokens": rows(RevokedToken.objects.values_list("key", "reason"), tuple),
    }


def wipe_database() -> None:
    """Delete every imported row (children first), for comparing runs in one test database."""
    for model in (LegacyDocument, Note, Summary, Segment, Transcript, Consultation, Prompt):
        model.objects.all().delete()
    RevokedToken.objects.all().delete()
    User.objects.all().delete()


def run_import(*args: str, tmp_path: Path) -> tuple[dict[str, Any], str, int]:
    """``manage.py import_legacy *args --report FILE``: (report, stdout, exit status)."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    report_file = tmp_path / f"report-{time.monotonic_ns()}.json"
    out, err = StringIO(), StringIO()
    status = 0
    try:
        call_command(
            "import_legacy", *args, "--report", str(report_file), "--progress", "lines", stdout=out, stderr=err
        )
    except CommandError as exc:
        status = exc.returncode
        out.write(f"\n{exc}\n")
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    return report, out.getvalue(), status
