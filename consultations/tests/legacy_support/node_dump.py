"""The node-dump: a Node.js database shaped like real data (all three schema generations),
copied from ../shared/legacy/node-dump. Its manifest says what a perfect import ends with."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bson

from consultations.legacy.readers import COLLECTIONS, write_dump

NODE_DUMP = Path(__file__).resolve().parent / "node-dump"
NODE_DB = NODE_DUMP / "scribe"
NODE_MANIFEST: dict[str, Any] = json.loads((NODE_DUMP / "manifest.json").read_text())


def node_docs() -> dict[str, list[dict[str, Any]]]:
    return {
        name: list(
            bson.decode_file_iter((NODE_DB / f"{name}.bson").open("rb"), codec_options=bson.CodecOptions(tz_aware=True))
        )
        for name in COLLECTIONS
    }


def changed_node_dump(target: Path, change: Callable[[dict[str, list[dict[str, Any]]]], None] | None = None) -> Path:
    """A copy of the node-dump (as ``target/scribe``) with ``change`` applied to its documents."""
    docs = node_docs()
    if change is not None:
        change(docs)
    write_dump(target / "scribe", docs)
    for metadata in NODE_DB.glob("*.metadata.json"):
        shutil.copy(metadata, target / "scribe" / metadata.name)
    return target


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def canonical_state() -> dict[str, list[tuple]]:
    """What the Scribe database holds of the legacy data, primary keys replaced by legacy ids:
    every field a user sees or an export writes back. Two databases holding the same data
    compare equal however they got there (an import, or an import and syncs): transcript
    text as shown (segments joined, or the text saved whole), the newest summary (a sync
    keeps the one it replaced as an older version)."""
    from accounts.models import RevokedToken, User
    from consultations.models import Consultation, Note, Prompt, Transcript
    from consultations.selectors import transcript_text

    users = dict(User.objects.values_list("pk", "legacy_id"))
    prompts = dict(Prompt.objects.values_list("pk", "legacy_id"))
    consultations = dict(Consultation.objects.values_list("pk", "legacy_id"))

    def ref(mapping: dict[Any, Any], pk: Any) -> Any:
        return None if pk is None else mapping.get(pk, f"<new {pk}>")

    state: dict[str, list[tuple]] = {
        "users": sorted(
            (u.legacy_id, u.email, u.username, u.role, u.password, u.is_active, _iso(u.created_at))
            for u in User.objects.all()
        ),
        "prompts": sorted(
            (
                p.legacy_id,
                ref(users, p.owner_id),
                p.name,
                p.text,
                p.is_shareable,
                p.is_deleted,
                _iso(p.created_at),
                _iso(p.updated_at),
            )
            for p in Prompt.objects.all()
        ),
        "consultations": sorted(
            (
                c.legacy_id,
                ref(users, c.clinician_id),
                json.dumps(c.patient_data, sort_keys=True),
                c.patient_name,
                c.status,
                _iso(c.started_at),
                _iso(c.ended_at),
            )
            for c in Consultation.objects.all()
        ),
        "notes": sorted(
            (
                n.legacy_id,
                ref(consultations, n.consultation_id),
                ref(users, n.clinician_id),
                n.body,
                _iso(n.created_at),
                _iso(n.updated_at),
            )
            for n in Note.objects.all()
        ),
        "revoked_tokens": sorted(RevokedToken.objects.values_list("key", "reason")),
    }
    transcripts = []
    for t in Transcript.objects.prefetch_related("summaries"):
        newest = max(t.summaries.all(), key=lambda s: s.version, default=None)
        summary = None
        if newest is not None:
            # Not its created_at: Node.js kept no time for a summary, the import estimates it
            # from the transcript's updated_at, which later text saves move on.
            summary = (json.dumps(newest.content, sort_keys=True), newest.text, ref(prompts, newest.prompt_id))
        transcripts.append(
            (
                t.legacy_id,
                ref(consultations, t.consultation_id),
                ref(users, t.clinician_id),
                ref(prompts, t.prompt_used_id),
                transcript_text(transcript=t),
                repr(summary),
                _iso(t.created_at),
                _iso(t.updated_at),
            )
        )
    state["transcripts"] = sorted(transcripts, key=repr)
    return state
