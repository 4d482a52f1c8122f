"""Content fingerprints that let sync and export tell what changed, and where.

Node.js kept no reliable change timestamps (``findOneAndUpdate`` never bumps ``__v``,
notes have no dates before generation 2), so change is decided by content:

* ``source_fingerprint(doc)``: sha256 of a canonical form of a Node document as read
  from MongoDB or a BSON dump. Key order, int32/int64 width and the timezone awareness
  of dates do not change it; any stored value does.
* ``scribe_fingerprint(collection, record)``: sha256 of the Scribe record's state that
  the Node document is made from (and that an export would write back). Changes made
  in Scribe move it; Scribe-only bookkeeping (``updated_at``, search columns) does not.

Both are stored per legacy document in ``LegacyDocument`` after an import, sync or
export writes it, so the next run compares three states: the stored pair and now.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import bson
from bson import ObjectId
from bson.int64 import Int64

# Collections whose Scribe records carry a fingerprint (the Node collection names).
COLLECTIONS = ("users", "prompts", "consultations", "transcripts", "notes", "blacktokens")


# Values BSON encodes the same whatever their origin: passed through untouched. (A datetime
# is encoded as UTC milliseconds whether it is aware or naive-UTC, so it needs nothing.)
_AS_IS = frozenset({str, int, float, bool, type(None), datetime, ObjectId, bytes})


def _canonical_bson(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if isinstance(value, Mapping):
        return {key: _canonical_bson(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [_canonical_bson(item) for item in value]
    if isinstance(value, Int64):
        # An int64 that fits in 32 bits encodes as int32 when read back into an int.
        return int(value)
    return value


def source_fingerprint(doc: dict) -> str:
    """sha256 (hex) of the Node document in a canonical BSON form (keys sorted at every level)."""
    return hashlib.sha256(bson.encode(_canonical_bson(doc))).hexdigest()


def _when(value: datetime | None) -> str | None:
    """A date as UTC milliseconds: MongoDB stores no finer, so a re-read row must hash alike."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=value.microsecond // 1000 * 1000).isoformat()


def _ref(obj: Any) -> str | None:
    """A related record named the same way in every database: its legacy id, else its pk."""
    if obj is None:
        return None
    return obj.legacy_id or str(obj.pk)


def _transcript_state(transcript: Any) -> dict[str, Any]:
    # Through the related managers so a caller's prefetch_related("segments", "summaries")
    # makes fingerprinting many transcripts cost no query each.
    if transcript.edited_text is not None:
        text = transcript.edited_text
    else:
        segments = sorted(transcript.segments.all(), key=lambda segment: segment.seq)
        text = "\n".join(segment.text for segment in segments)
    versions = [summary.version for summary in transcript.summaries.all()]
    return {
        "text": text,
        "summary_version": max(versions, default=0),
        "prompt_used": _ref(transcript.prompt_used) if transcript.prompt_used_id else None,
    }


def _state(collection: str, record: Any) -> dict[str, Any]:
    if collection == "users":
        return {
            "email": record.email,
            "username": record.username,
            "role": record.role,
            "password": record.password,
            "is_active": record.is_active,
        }
    if collection == "consultations":
        return {
            "status": record.status,
            "started_at": _when(record.started_at),
            "ended_at": _when(record.ended_at),
            "patient_data": record.patient_data,
        }
    if collection == "transcripts":
        return _transcript_state(record)
    if collection == "notes":
        return {"body": record.body}
    if collection == "prompts":
        return {
            "name": record.name,
            "text": record.text,
            "is_shareable": record.is_shareable,
            "is_deleted": record.is_deleted,
        }
    if collection == "blacktokens":
        # A RevokedToken row (its key holds the token's sha256) or that key itself.
        return {"key": record if isinstance(record, str) else record.key}
    raise ValueError(f"Unknown legacy collection: {collection}")


def scribe_fingerprint(collection: str, record: Any) -> str:
    """sha256 (hex) of the legacy-relevant state of a Scribe record of ``collection``.

    users: email, username, role, password hash, is_active; consultations: status,
    started_at, ended_at, patient_data; transcripts: text (edited, or segments joined),
    newest summary version, prompt used; notes: body; prompts: name, text,
    is_shareable, is_deleted; blacktokens: the token hash.
    """
    state = _state(collection, record)
    encoded = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{collection}:{encoded}".encode()).hexdigest()
