"""Scribe records as the Node.js backend's generation-3 MongoDB documents. Pure: values in,
documents out; references arrive already resolved to ObjectIds.

Shapes are today's Mongoose models (``SCHEMA_HISTORY.md``, generation 3): what the Node.js
routes themselves would have written, so the Node.js app reads them as its own.

Two kinds of document per collection:

* a **new** record (never in MongoDB) gets the whole document, arrays and ``__v``
  included, as ``new Model({...}).save()`` would have written it;
* an **existing** users/prompts document is *merged* (``$set``): only the fields Scribe
  owns are written, so what Scribe never held stays as Node.js has it (a user's bcrypt
  password when Scribe re-hashed it with Argon2 at login, a prompt's ``transcript_ids``).
  Consultations, transcripts and notes are replaced whole: Scribe holds all of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from accounts.hashers import is_node_bcrypt_hash

SOAP_KEYS = ("subjective", "objective", "assessment", "plan")
# A password Node.js can never match (bcrypt.compare is false for anything not bcrypt):
# a deactivated Scribe account must not log in on Node.js after a rollback.
LOCKED_PASSWORD = "!scribe-deactivated"

# How each collection's documents are applied to an existing document with the same _id.
MERGED = frozenset({"users", "prompts"})


@dataclass(frozen=True)
class Rendered:
    """One document to write, with what a report needs to say about it."""

    collection: str
    doc: dict[str, Any]
    new: bool
    notes: tuple[str, ...] = ()  # report lines (rule: reason), never content


def when(value: dt.datetime | None) -> dt.datetime | None:
    """BSON dates are UTC milliseconds: anything finer would not survive a round trip."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000, tzinfo=dt.UTC)


def user(
    *,
    oid: ObjectId,
    new: bool,
    email: str,
    username: str,
    role: str,
    password: str,
    is_active: bool,
    created_at: dt.datetime,
) -> Rendered:
    doc: dict[str, Any] = {"_id": oid, "username": username, "email": email, "role": role}
    notes: list[str] = []
    if not is_active:
        doc["password"] = LOCKED_PASSWORD
        notes.append("deactivated: deactivated in Scribe; its Node.js password is replaced so it cannot log in")
    elif is_node_bcrypt_hash(password):
        doc["password"] = password
    elif new:
        # Required by the schema; Node.js cannot check an Argon2 hash, so the user sets a new
        # password there (Node.js has no reset route: an operator must).
        doc["password"] = password
        notes.append("password_not_portable: made in Scribe with an Argon2 password Node.js cannot check")
    else:
        notes.append(
            "password_kept: Scribe holds an Argon2 hash (re-hashed at login or changed); "
            "Node.js keeps the bcrypt password it had"
        )
    doc["createdAt"] = when(created_at)
    if new:
        doc.update({"prompts": [], "notes": [], "transcripts": [], "__v": 0})
    return Rendered("users", doc, new, tuple(notes))


def prompt(
    *,
    oid: ObjectId,
    new: bool,
    name: str,
    text: str,
    is_shareable: bool,
    is_deleted: bool,
    clinician: ObjectId,
    created_at: dt.datetime,
    updated_at: dt.datetime | None,
) -> Rendered:
    doc: dict[str, Any] = {
        "_id": oid,
        "prompt_name": name,
        "prompt_text": text,
        "is_shareable": bool(is_shareable),
        "is_deleted": bool(is_deleted),
        "clinician": clinician,
        "created_at": when(created_at),
    }
    if updated_at is not None:
        doc["updated_at"] = when(updated_at)
    if new:
        doc.update({"transcript_ids": [], "__v": 0})
    return Rendered("prompts", doc, new)


def consultation(
    *,
    oid: ObjectId,
    new: bool,
    clinician: ObjectId,
    patient: Any,
    transcript: ObjectId | None,
    notes: list[ObjectId],
    started_at: dt.datetime,
    ended_at: dt.datetime | None,
    status: str,
) -> Rendered:
    doc: dict[str, Any] = {"_id": oid, "clinician": clinician, "patient": patient}
    if transcript is not None:
        doc["transcript"] = transcript
    doc["notes"] = list(notes)
    doc["started_at"] = when(started_at)
    if ended_at is not None:
        doc["ended_at"] = when(ended_at)
    doc["status"] = status
    # Node.js bumped __v once per note pushed (``notes.push`` + ``save``).
    doc["__v"] = len(notes)
    return Rendered("consultations", doc, new)


def summary_text(*, text: str, content: Any) -> str:
    """What Node.js showed as the summary: the model's text; a summary stored only as its
    four parts is written out as the plain-text SOAP note Node.js would have held."""
    if text.strip():
        return text
    if isinstance(content, dict):
        parts = [(key, content.get(key)) for key in SOAP_KEYS]
        return "\n\n".join(f"{key.capitalize()}:\n{value}" for key, value in parts if isinstance(value, str) and value)
    return ""


def transcript(
    *,
    oid: ObjectId,
    new: bool,
    clinician: ObjectId,
    consultation: ObjectId,
    text: str,
    summary: str | None,
    prompt_used: ObjectId | None,
    created_at: dt.datetime,
    updated_at: dt.datetime | None,
) -> Rendered:
    doc: dict[str, Any] = {
        "_id": oid,
        "clinician": clinician,
        "consultation": consultation,
        "transcript_text": text,
    }
    if summary:
        doc["summary"] = summary
    if prompt_used is not None:
        doc["prompt_used"] = prompt_used
    doc["created_at"] = when(created_at)
    if updated_at is not None:
        doc["updated_at"] = when(updated_at)
    doc["__v"] = 0
    return Rendered("transcripts", doc, new)


def note(
    *,
    oid: ObjectId,
    new: bool,
    clinician: ObjectId,
    transcript: ObjectId,
    consultation: ObjectId,
    body: str,
    created_at: dt.datetime,
    updated_at: dt.datetime | None,
) -> Rendered:
    # Notes have no __v (versionKey: false in every generation).
    return Rendered(
        "notes",
        {
            "_id": oid,
            "clinician": clinician,
            "transcript": transcript,
            "consultation": consultation,
            "body": body,
            "created_at": when(created_at),
            "updated_at": when(updated_at or created_at),
        },
        new,
    )
