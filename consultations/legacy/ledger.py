"""The ledger of legacy documents (``LegacyDocument``): which Node.js document became which
Scribe record, with the fingerprint of each as last written (``consultations.legacy.fingerprints``).

The import records a row for every document it brought in (a skipped document gets none,
so a later run tries it again); the sync compares documents and records with the rows
and moves a row forward only when it wrote the record. Rows are found by the unique
(collection, legacy_id) pair; a row is only ever changed with a conditional update on the
fingerprints it was read with, so two runs never silently overwrite each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import RevokedToken, User
from accounts.tokens import legacy_revocation_key
from consultations.legacy import rules
from consultations.legacy.fingerprints import scribe_fingerprint, source_fingerprint
from consultations.legacy.readers import LegacyReader
from consultations.models import Consultation, LegacyDocument, Note, Prompt, Segment, Summary, Transcript

CHUNK = 500


@dataclass(frozen=True)
class Entry:
    pk: Any
    source_fingerprint: str
    scribe_fingerprint: str


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def blacktoken_key(doc: dict[str, Any]) -> str | None:
    token = doc.get("blackToken", doc.get("token"))
    if not isinstance(token, str) or not token.strip():
        return None
    return legacy_revocation_key(token.strip())


def records(collection: str, legacy_ids: Iterable[str], *, keys: dict[str, str] | None = None) -> dict[str, Any]:
    """The Scribe record of each legacy id that has one (``keys``: blacktoken id -> revocation key).

    Transcripts come with what their fingerprint reads (segments, summaries, prompt), so
    fingerprinting many costs a fixed number of queries.
    """
    ids = list(dict.fromkeys(legacy_ids))
    found: dict[str, Any] = {}
    if collection == "blacktokens":
        keys = keys or {}
        # A duplicate document (the same token twice) shares the one revocation.
        by_key: dict[str, list[str]] = {}
        for legacy_id in ids:
            if legacy_id in keys:
                by_key.setdefault(keys[legacy_id], []).append(legacy_id)
        for chunk in _chunks(list(by_key)):
            for key in RevokedToken.objects.filter(key__in=chunk).values_list("key", flat=True):
                for legacy_id in by_key[key]:
                    found[legacy_id] = key
        return found
    model = {"users": User, "prompts": Prompt, "consultations": Consultation, "transcripts": Transcript, "notes": Note}[
        collection
    ]
    for chunk in _chunks(ids):
        queryset = model.objects.filter(legacy_id__in=chunk)
        if model is Transcript:
            # Only what the fingerprint reads: thousands of full rows cost seconds in a cutover.
            # Prefetched, not joined: no $lookup on MongoDB (the export's tests run mongomock).
            queryset = queryset.only("legacy_id", "edited_text", "prompt_used").prefetch_related(
                Prefetch("prompt_used", queryset=Prompt.objects.only("legacy_id")),
                Prefetch("segments", queryset=Segment.objects.only("transcript_id", "seq", "text")),
                Prefetch("summaries", queryset=Summary.objects.only("transcript_id", "version")),
            )
        for record in queryset:
            found[record.legacy_id] = record
    return found


def entries(collection: str) -> dict[str, Entry]:
    """Every ledger row of ``collection``, by legacy id (one query)."""
    return {
        legacy_id: Entry(pk, source, scribe)
        for pk, legacy_id, source, scribe in LegacyDocument.objects.filter(collection=collection).values_list(
            "pk", "legacy_id", "source_fingerprint", "scribe_fingerprint"
        )
    }


def record_new(collection: str, docs: Iterable[dict[str, Any]], *, known: set[str] | None = None) -> int:
    """Add a ledger row for each document that has a Scribe record and no row yet. Returns rows written."""
    pending: dict[str, str] = {}
    keys: dict[str, str] = {}
    written = 0
    for doc in docs:
        if known is None:  # read the rows only once there is a document to compare
            known = set(entries(collection))
        legacy_id = rules.oid_hex(doc.get("_id"))
        if legacy_id is None or legacy_id in known or legacy_id in pending:
            continue
        pending[legacy_id] = source_fingerprint(doc)
        if collection == "blacktokens":
            key = blacktoken_key(doc)
            if key:
                keys[legacy_id] = key
        if len(pending) >= CHUNK:
            written += _write(collection, pending, keys)
            known.update(pending)
            pending, keys = {}, {}
    if pending:
        written += _write(collection, pending, keys)
        known.update(pending)
    return written


def _write(collection: str, pending: dict[str, str], keys: dict[str, str]) -> int:
    found = records(collection, pending, keys=keys)
    now = timezone.now()
    rows = [
        LegacyDocument(
            collection=collection,
            legacy_id=legacy_id,
            source_fingerprint=pending[legacy_id],
            scribe_fingerprint=scribe_fingerprint(collection, record),
            synced_at=now,
        )
        for legacy_id, record in found.items()
    ]
    LegacyDocument.objects.bulk_create(rows, batch_size=CHUNK)
    return len(rows)


def record_all(reader: LegacyReader, collections: Iterable[str]) -> int:
    """Ledger rows for every document of ``collections`` brought in and not yet recorded."""
    return sum(record_new(collection, reader.iter(collection)) for collection in collections)


def advance(collection: str, legacy_id: str, entry: Entry | None, *, source: str, record: Any) -> bool:
    """Move (or add) the row after a write: the document's new fingerprint and the record's as written.

    Conditional on the row still holding what this run read (``entry``); False if another
    run moved it meanwhile.
    """
    scribe = scribe_fingerprint(collection, record)
    if entry is None:
        LegacyDocument.objects.create(
            collection=collection, legacy_id=legacy_id, source_fingerprint=source, scribe_fingerprint=scribe
        )
        return True
    updated = LegacyDocument.objects.filter(
        pk=entry.pk, source_fingerprint=entry.source_fingerprint, scribe_fingerprint=entry.scribe_fingerprint
    ).update(source_fingerprint=source, scribe_fingerprint=scribe, synced_at=timezone.now())
    return updated == 1


def forget(entry: Entry) -> None:
    """Drop the row of a document gone from Node.js whose record is gone from Scribe too."""
    LegacyDocument.objects.filter(pk=entry.pk, source_fingerprint=entry.source_fingerprint).delete()
