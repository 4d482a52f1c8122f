"""``import_legacy --sync``: bring an imported database up to date with the Node.js one.

Change is decided by content, never by Node's timestamps (it kept few): every legacy
document has a ledger row (``consultations.legacy.ledger``) with the fingerprint of the
document and of its Scribe record as last written. A sync reads every document once and

* **new** (no row): imported by the importer itself, so it ends exactly as a first import
  would (the importer reads only the new documents; references to records imported
  before resolve through the database);
* **changed** (fingerprint moved) and its Scribe record unchanged since the last run
  (record fingerprint still the row's): the record is updated from the document with the
  same pure rules the import uses, and the row moves forward;
* **changed in both** places: a *conflict*, reported and left for a person: nothing is
  written and the row stays, so every later sync reports it again until it is settled;
* **gone** from Node.js: a note is deleted in Scribe unless it was changed there
  (conflict); other collections are never deleted by Node, so such a record is kept and
  reported.

Every write is a conditional update on the values read (or an insert that a unique
constraint guards), so a sync that races a clinician in Scribe loses cleanly instead of
overwriting them, on every engine. A second sync with nothing new writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from django.db import IntegrityError

from accounts.hashers import is_node_bcrypt_hash
from accounts.models import Role, User, normalise_email
from accounts.services import legacy_token_revoke
from consultations.legacy import generation1, ledger, rules
from consultations.legacy.consultation import consultation_state, transcript_state
from consultations.legacy.fingerprints import scribe_fingerprint, source_fingerprint
from consultations.legacy.importer import BATCH_SIZE, SUMMARY_MODEL, LegacyImporter, Progress
from consultations.legacy.readers import COLLECTIONS, Document, LegacyReader
from consultations.legacy.report import CONFLICT, KEPT, ImportReport, Issue
from consultations.models import Consultation, Note, Prompt, Summary, Transcript

logger = logging.getLogger("scribe.legacy")


@dataclass
class Changes:
    new: set[str] = field(default_factory=set)
    # legacy id -> (document, its fingerprint, the ledger row)
    changed: dict[str, tuple[Document, str, ledger.Entry]] = field(default_factory=dict)
    gone: dict[str, ledger.Entry] = field(default_factory=dict)


class NewDocumentsReader:
    """The source, narrowed to the documents the ledger has never seen (``get_many`` is not
    narrowed: a new consultation's transcript is found wherever it is)."""

    def __init__(self, reader: LegacyReader, new: dict[str, set[str]]) -> None:
        self.reader = reader
        self.new = new
        self.description = reader.description

    def count(self, collection: str) -> int:
        return len(self.new.get(collection, ()))

    def iter(self, collection: str) -> Iterator[Document]:
        wanted = self.new.get(collection)
        if not wanted:
            return
        for doc in self.reader.iter(collection):
            if rules.oid_hex(doc.get("_id")) in wanted:
                yield doc

    def get_many(self, collection: str, ids: Iterable[ObjectId]) -> dict[ObjectId, Document]:
        return self.reader.get_many(collection, ids)

    def close(self) -> None:
        pass


# --- the pure part: a changed document's Scribe values -------------------------------------


def user_fields(doc: Document, current: User) -> dict[str, Any]:
    """What a changed user document sets: a missing or unusable value keeps Scribe's."""
    fields: dict[str, Any] = {}
    if isinstance(doc.get("email"), str) and doc["email"].strip():
        fields["email"] = normalise_email(doc["email"])
    if isinstance(doc.get("username"), str) and doc["username"].strip():
        fields["username"] = doc["username"].strip()[:50]
    if doc.get("role") in Role.values:
        fields["role"] = doc["role"]
    password = doc.get("password")
    # The Node hash only replaces Scribe's while Scribe still holds that user's Node hash:
    # a password changed in Scribe is a Scribe change (and so a conflict, not an overwrite).
    if isinstance(password, str) and is_node_bcrypt_hash(password):
        fields["password"] = password
    return {key: value for key, value in fields.items() if getattr(current, key) != value}


def prompt_fields(doc: Document, current: Prompt) -> dict[str, Any]:
    name = doc.get("prompt_name")
    fields = {
        "name": (name if isinstance(name, str) and name.strip() else "Untitled prompt")[:200],
        "text": doc.get("prompt_text") if isinstance(doc.get("prompt_text"), str) else "",
        "is_shareable": bool(doc.get("is_shareable")),
        "is_deleted": bool(doc.get("is_deleted")),
    }
    changed = {key: value for key, value in fields.items() if getattr(current, key) != value}
    if changed:
        created_at = rules.aware(doc.get("created_at")) or current.created_at
        changed["updated_at"] = rules.aware(doc.get("updated_at")) or created_at
    return changed


def note_fields(doc: Document, current: Note) -> dict[str, Any]:
    body = doc.get("body")
    body = body if isinstance(body, str) else ("" if body is None else str(body))
    if body == current.body:
        return {}
    created_at = rules.aware(doc.get("created_at")) or current.created_at
    return {"body": body, "updated_at": rules.aware(doc.get("updated_at")) or created_at}


def _current_text(transcript: Transcript) -> str:
    if transcript.edited_text is not None:
        return transcript.edited_text
    return "\n".join(s.text for s in sorted(transcript.segments.all(), key=lambda s: s.seq))


# --- the driver ---------------------------------------------------------------------------------


class LegacySync:
    def __init__(
        self,
        reader: LegacyReader,
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.reader = reader
        self.dry_run = dry_run
        self.progress = progress or Progress()
        self.batch_size = batch_size
        self.report = ImportReport(source=reader.description, dry_run=dry_run, sync=True)
        for name in COLLECTIONS:
            self.report.counts(name)

    def run(self) -> ImportReport:
        """Sync everything; the report lists what was created, updated, deleted, and every conflict."""
        changes = {name: self._classify(name) for name in COLLECTIONS}

        # New documents: the importer, narrowed to them, makes them as a first import would.
        importer = LegacyImporter(
            NewDocumentsReader(self.reader, {name: c.new for name, c in changes.items()}),
            dry_run=self.dry_run,
            progress=self.progress,
            batch_size=self.batch_size,
        )
        imported = importer.run()
        self._merge(imported)

        for name in COLLECTIONS:
            change = changes[name]
            if change.changed:
                getattr(self, f"_update_{name}")(change.changed)
        self._gone(changes)
        self.report.completed = True
        logger.info(
            "legacy sync finished",
            extra={
                "rows_written": self.report.rows_written,
                "conflicts": sum(1 for i in self.report.issues if i.action == CONFLICT),
                "dry_run": self.dry_run,
            },
        )
        return self.report

    # --- classification ---------------------------------------------------------------

    def _classify(self, collection: str) -> Changes:
        known = ledger.entries(collection)
        change = Changes()
        seen: set[str] = set()
        with self.progress.collection(f"{collection} (compare)", self.reader.count(collection)) as advance:
            for doc in self.reader.iter(collection):
                advance(1)
                legacy_id = rules.oid_hex(doc.get("_id"))
                if legacy_id is None:
                    continue  # the importer reports it
                seen.add(legacy_id)
                entry = known.get(legacy_id)
                if entry is None:
                    change.new.add(legacy_id)
                    continue
                fingerprint = source_fingerprint(doc)
                if fingerprint != entry.source_fingerprint:
                    change.changed[legacy_id] = (doc, fingerprint, entry)
        change.gone = {legacy_id: entry for legacy_id, entry in known.items() if legacy_id not in seen}
        counts = self.report.counts(collection)
        counts.read = len(seen)
        counts.already_present = len(seen) - len(change.new) - len(change.changed)
        return change

    def _merge(self, imported: ImportReport) -> None:
        for name, counts in imported.collections.items():
            mine = self.report.counts(name)
            mine.created, mine.repaired, mine.skipped = counts.created, counts.repaired, counts.skipped
            mine.extra_rows.update(counts.extra_rows)
        self.report.issues.extend(imported.issues)
        self.report.fingerprinted += imported.fingerprinted

    # --- shared steps -----------------------------------------------------------------

    def _conflict(self, collection: str, legacy_id: str, reason: str) -> None:
        self.report.issues.append(Issue(collection, legacy_id, CONFLICT, "changed_in_both", reason))
        self.report.counts(collection).conflicts += 1

    def _changed_in_scribe(self, collection: str, record: Any, entry: ledger.Entry) -> bool:
        return scribe_fingerprint(collection, record) != entry.scribe_fingerprint

    def _advance(self, collection: str, legacy_id: str, entry: ledger.Entry, fingerprint: str, record: Any) -> None:
        if self.dry_run:
            return
        if ledger.advance(collection, legacy_id, entry, source=fingerprint, record=record):
            self.report.fingerprinted += 1

    def _records(self, collection: str, changed: dict[str, tuple[Document, str, ledger.Entry]]) -> dict[str, Any]:
        keys = {}
        if collection == "blacktokens":
            keys = {legacy_id: ledger.blacktoken_key(doc) for legacy_id, (doc, _, _) in changed.items()}
            keys = {k: v for k, v in keys.items() if v}
        return ledger.records(collection, changed, keys=keys)

    def _apply(self, model: type, record: Any, guard: dict[str, Any], fields: dict[str, Any]) -> bool:
        """One conditional update: only while the record still holds what was read."""
        if self.dry_run:
            return True
        try:
            updated = model.objects.filter(pk=record.pk, **guard).update(**fields)
        except IntegrityError:
            return False
        if updated:
            for key, value in fields.items():
                setattr(record, key, value)
        return updated == 1

    def _each(self, collection: str, changed: dict[str, tuple[Document, str, ledger.Entry]]) -> Iterator[tuple]:
        """(legacy id, document, fingerprint, row, record) of the changed documents whose record
        is unchanged in Scribe; the others are reported as conflicts here."""
        found = self._records(collection, changed)
        for legacy_id, (doc, fingerprint, entry) in changed.items():
            record = found.get(legacy_id)
            if record is None:
                if entry.scribe_fingerprint:
                    self._conflict(collection, legacy_id, "changed in Node.js but deleted in Scribe; left as it is")
                continue
            if self._changed_in_scribe(collection, record, entry):
                self._conflict(
                    collection,
                    legacy_id,
                    "changed in Node.js and in Scribe since the last sync; Scribe's version kept, settle it by hand",
                )
                continue
            yield legacy_id, doc, fingerprint, entry, record

    def _updated(self, collection: str, wrote: bool) -> None:
        if wrote:
            self.report.counts(collection).updated += 1

    # --- per collection -----------------------------------------------------------------

    def _update_users(self, changed: dict[str, tuple[Document, str, ledger.Entry]]) -> None:
        for legacy_id, doc, fingerprint, entry, user in self._each("users", changed):
            fields = user_fields(doc, user)
            if fields:
                guard = {key: getattr(user, key) for key in ("email", "password", "username", "role")}
                if not self._apply(User, user, guard, fields):
                    self.report.skip(
                        "users",
                        legacy_id,
                        "not_applied",
                        "changed meanwhile in Scribe, or its new email belongs to another account",
                    )
                    continue
                self._updated("users", True)
            self._advance("users", legacy_id, entry, fingerprint, user)

    def _update_prompts(self, changed: dict[str, tuple[Document, str, ledger.Entry]]) -> None:
        for legacy_id, doc, fingerprint, entry, prompt in self._each("prompts", changed):
            fields = prompt_fields(doc, prompt)
            if fields:
                guard = {key: getattr(prompt, key) for key in ("name", "text", "is_shareable", "is_deleted")}
                if not self._apply(Prompt, prompt, guard, fields):
                    self._conflict("prompts", legacy_id, "changed in Scribe while syncing; Scribe's version kept")
                    continue
                self._updated("prompts", True)
            self._advance("prompts", legacy_id, entry, fingerprint, prompt)

    def _update_consultations(self, changed: dict[str, tuple[Document, str, ledger.Entry]]) -> None:
        docs = {legacy_id: doc for legacy_id, (doc, _, _) in changed.items()}
        wanted = [
            ObjectId(rules.oid_hex(d.get("transcript"))) for d in docs.values() if rules.oid_hex(d.get("transcript"))
        ]
        transcripts = {str(k): v for k, v in self.reader.get_many("transcripts", wanted).items()}
        for legacy_id, doc, fingerprint, entry, consultation in self._each("consultations", changed):
            transcript_doc = transcripts.get(rules.oid_hex(doc.get("transcript")) or "")
            planned, _ = consultation_state(legacy_id, doc, transcript_doc)
            fields = {key: value for key, value in planned.items() if getattr(consultation, key) != value}
            if fields:
                guard = {"status": consultation.status, "ended_at": consultation.ended_at}
                if not self._apply(Consultation, consultation, guard, fields):
                    self._conflict("consultations", legacy_id, "changed in Scribe while syncing; Scribe's version kept")
                    continue
                self._updated("consultations", True)
            self._advance("consultations", legacy_id, entry, fingerprint, consultation)

    def _update_transcripts(self, changed: dict[str, tuple[Document, str, ledger.Entry]]) -> None:
        prompts = dict(Prompt.objects.filter(legacy_id__isnull=False).values_list("legacy_id", "pk"))
        for legacy_id, doc, fingerprint, entry, transcript in self._each("transcripts", changed):
            if generation1.is_standalone(doc):
                g1 = generation1.plan(legacy_id, doc)
                text = "\n".join(line for line, _ in rules.split_transcript(g1.text))
                summary, prompt_hex, updated_at = g1.summary, None, transcript.updated_at
            else:
                state = transcript_state(legacy_id, doc, transcript.created_at)
                text, summary, prompt_hex, updated_at = (
                    state.text,
                    state.summary,
                    state.prompt_used_hex,
                    state.updated_at,
                )
            wrote = False
            if text != _current_text(transcript):
                # updated_at, not the (encrypted) text: every text write sets it.
                guard = {"updated_at": transcript.updated_at, "summary_version": transcript.summary_version}
                if not self._apply(Transcript, transcript, guard, {"edited_text": text, "updated_at": updated_at}):
                    self._conflict("transcripts", legacy_id, "changed in Scribe while syncing; Scribe's version kept")
                    continue
                wrote = True
            prompt_pk = prompts.get(prompt_hex) if prompt_hex else transcript.prompt_used_id
            newest = max(transcript.summaries.all(), key=lambda s: s.version, default=None)
            if summary is not None and (newest is None or newest.text != summary[1]):
                wrote = self._add_summary(legacy_id, transcript, newest, summary, prompt_pk, updated_at) or wrote
            elif prompt_pk != transcript.prompt_used_id:
                guard = {"prompt_used_id": transcript.prompt_used_id, "summary_version": transcript.summary_version}
                wrote = self._apply(Transcript, transcript, guard, {"prompt_used_id": prompt_pk}) or wrote
            if wrote and updated_at != transcript.updated_at:
                self._apply(
                    Transcript, transcript, {"summary_version": transcript.summary_version}, {"updated_at": updated_at}
                )
            self._updated("transcripts", wrote)
            if not self.dry_run:
                transcript = ledger.records("transcripts", [legacy_id])[legacy_id]
            self._advance("transcripts", legacy_id, entry, fingerprint, transcript)

    def _add_summary(
        self,
        legacy_id: str,
        transcript: Transcript,
        newest: Summary | None,
        summary: tuple[dict[str, str], str],
        prompt_pk: Any,
        when: Any,
    ) -> bool:
        """The Node summary as the next version (insert-only; the older one stays as history).
        A first summary gets the document's id as ``legacy_id``, as an import gives it."""
        version = (newest.version if newest else 0) + 1
        if self.dry_run:
            return True
        content, text = summary
        try:
            Summary.objects.create(
                transcript=transcript,
                version=version,
                content=content,
                text=text,
                model=SUMMARY_MODEL,
                prompt_id=prompt_pk,
                created_at=when,
                legacy_id=None if newest else legacy_id,
            )
        except IntegrityError:
            self._conflict("transcripts", legacy_id, "a summary was added in Scribe while syncing; Scribe's kept")
            return False
        self._apply(
            Transcript,
            transcript,
            {"summary_version__lt": version},
            {"summary_version": version, "prompt_used_id": prompt_pk},
        )
        return True

    def _update_notes(self, changed: dict[str, tuple[Document, str, ledger.Entry]]) -> None:
        for legacy_id, doc, fingerprint, entry, note in self._each("notes", changed):
            fields = note_fields(doc, note)
            if fields:
                if not self._apply(Note, note, {"updated_at": note.updated_at}, fields):
                    self._conflict("notes", legacy_id, "changed in Scribe while syncing; Scribe's version kept")
                    continue
                self._updated("notes", True)
            self._advance("notes", legacy_id, entry, fingerprint, note)

    def _update_blacktokens(self, changed: dict[str, tuple[Document, str, ledger.Entry]]) -> None:
        for legacy_id, (doc, fingerprint, entry) in changed.items():
            token = doc.get("blackToken", doc.get("token"))
            if not isinstance(token, str) or not rules.looks_like_jwt(token.strip()):
                self.report.skip(
                    "blacktokens", legacy_id, "not_a_token", "not a JWT; no such token could ever be accepted"
                )
                continue
            if not self.dry_run:
                self._updated("blacktokens", legacy_token_revoke(token=token.strip()))
            self._advance("blacktokens", legacy_id, entry, fingerprint, ledger.blacktoken_key(doc))

    # --- documents gone from Node.js --------------------------------------------------------

    def _gone(self, changes: dict[str, Changes]) -> None:
        notes = changes["notes"].gone
        found = ledger.records("notes", notes) if notes else {}
        for legacy_id, entry in notes.items():
            note = found.get(legacy_id)
            if note is not None and self._changed_in_scribe("notes", note, entry):
                self._conflict("notes", legacy_id, "deleted in Node.js but edited in Scribe; kept")
                continue
            if self.dry_run:
                self.report.counts("notes").deleted += 1
                continue
            if note is not None:
                # Guarded by updated_at (every edit sets it): the body is encrypted at rest, and an
                # encrypted field matches no equality lookup.
                deleted, _ = Note.objects.filter(pk=note.pk, updated_at=note.updated_at).delete()
                if not deleted:
                    self._conflict("notes", legacy_id, "deleted in Node.js but edited in Scribe meanwhile; kept")
                    continue
                self.report.counts("notes").deleted += 1
            ledger.forget(entry)
            self.report.fingerprinted += 1
        for name in ("users", "prompts", "consultations", "transcripts", "blacktokens"):
            for legacy_id in changes[name].gone:
                self.report.issues.append(
                    Issue(
                        name,
                        legacy_id,
                        KEPT,
                        "gone_from_node",
                        "no longer in the Node.js database (Node.js never deletes these); kept in Scribe",
                    )
                )
