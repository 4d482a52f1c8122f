"""How legacy values become Scribe values: the small, pure rules the importer applies.

Every rule that changes what a document said is reported by the importer as a
repair; these functions only compute.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from bson import ObjectId

from consultations.legacy.soap import split_soap
from consultations.models import Speaker
from consultations.services import SEGMENT_MAX_CHARS

SOAP_KEYS = ("subjective", "objective", "assessment", "plan")
# A user with no usable legacy hash gets this: Django treats "!"-prefixed values as unusable.
UNUSABLE_PASSWORD = "!legacy-import-no-password"

_SPEAKER_PREFIX = re.compile(r"^\s*(clinician|doctor|dr|patient)\s*:", re.IGNORECASE)


def oid_hex(value: Any) -> str | None:
    """The 24-hex form of an ObjectId (or of a string holding one); None otherwise."""
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, str) and ObjectId.is_valid(value):
        return value.lower()
    return None


_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def looks_like_jwt(value: str) -> bool:
    """Three base64url parts: anything else was never a token any backend issued."""
    return bool(_JWT.match(value))


def aware(value: Any) -> dt.datetime | None:
    """BSON datetimes are UTC; pymongo hands them over naive unless told otherwise."""
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def id_time(hex_id: str) -> dt.datetime:
    """When the document was made, from its ObjectId: the fallback for a missing timestamp."""
    return ObjectId(hex_id).generation_time


def json_safe(value: Any) -> Any:
    """Patient data goes into a JSON column: BSON-only types become strings."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dt.datetime):
        return aware(value).isoformat()
    if isinstance(value, ObjectId | Decimal):
        return str(value)
    return str(value)


def split_transcript(text: str) -> list[tuple[str, str]]:
    """The legacy transcript text as ``(text, speaker)`` segments, in ``seq`` order.

    Rule: one segment per non-empty line. The words are kept exactly (the
    ``Clinician:``/``Patient:`` prefix stays in the text and also sets the
    speaker); blank lines and trailing spaces are dropped; a line longer than
    one segment may hold is cut at the last space before the limit. Joining
    the segments with newlines (what ``transcript_text`` shows) therefore gives
    the original text back, bar blank lines and trailing spaces.
    """
    segments: list[tuple[str, str]] = []
    speaker = Speaker.UNKNOWN
    for raw_line in text.splitlines():
        line = raw_line.rstrip()
        if not line.strip():
            continue
        match = _SPEAKER_PREFIX.match(line)
        if match:
            speaker = Speaker.PATIENT if match.group(1).lower() == "patient" else Speaker.CLINICIAN
        else:
            # A line without a prefix continues nobody in particular.
            speaker = Speaker.UNKNOWN
        while len(line) > SEGMENT_MAX_CHARS:
            cut = line.rfind(" ", 0, SEGMENT_MAX_CHARS)
            cut = cut if cut > 0 else SEGMENT_MAX_CHARS
            segments.append((line[:cut], speaker))
            line = line[cut:].lstrip()
        if line:
            segments.append((line, speaker))
    return segments


def summary_content(value: Any) -> tuple[dict[str, str], str, str | None] | None:
    """A legacy summary as ``(content, text, repair_reason)``; None when there is none.

    A document ``{subjective, objective, assessment, plan}`` is kept (missing keys
    become empty); a single string is kept verbatim as the text and, when it has
    the four SOAP parts in any style the model wrote (``consultations.legacy.soap``),
    also split into them.
    """
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, dict):
        content = {key: "" if value.get(key) is None else str(value.get(key)) for key in SOAP_KEYS}
        extra = {str(k): json_safe(v) for k, v in value.items() if k not in SOAP_KEYS}
        content.update(extra)
        missing = [key for key in SOAP_KEYS if key not in value]
        text = "\n".join(f"{key.capitalize()}: {content[key]}" for key in SOAP_KEYS)
        reason = f"summary lacked {', '.join(missing)}; kept as empty" if missing else None
        return content, text, reason
    if isinstance(value, str):
        parts = split_soap(value)
        if parts is not None:
            content = dict(parts)
            return content, value, "summary was one string; kept verbatim as its text and split into S/O/A/P"
        content = dict.fromkeys(SOAP_KEYS, "")
        return content, value, "summary was one string without S/O/A/P parts; kept verbatim as its text only"
    return None


def transcript_text(value: Any, repair: Callable[[str, str], None], *, field: str, missing: str | None = None) -> str:
    """A legacy transcript's text: ``""`` when absent, the string form when not text.

    Each repair is reported through ``repair(rule, reason)``, naming ``field`` (or
    ``missing`` for an absent text, when the document calls it otherwise).
    """
    if value is None:
        repair("missing_field", f"no {missing or field}; imported as an empty transcript")
        return ""
    if not isinstance(value, str):
        repair("wrong_type", f"{field} was not text; kept as its string form")
        return str(value)
    return value


def summary_of(value: Any, repair: Callable[[str, str], None], *, field: str) -> tuple[dict[str, str], str] | None:
    """A legacy summary as ``(parts, text)`` (see :func:`summary_content`), None when none.

    A summary of an unknown shape and every repair of a known one are reported
    through ``repair(rule, reason)``, the unknown shape naming ``field``.
    """
    content = summary_content(value)
    if content is None:
        if value not in (None, "", {}):
            repair("wrong_type", f"{field} of an unknown shape; not imported")
        return None
    parts, text, reason = content
    if reason:
        repair("summary_as_string" if isinstance(value, str) else "missing_field", reason)
    return parts, text


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (the last one shorter), read lazily."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
