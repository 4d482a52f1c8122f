"""The rollback export: write what was created or changed in Scribe since the import back
into the Node.js collections, as generation-3 documents.

Per record, decided by the fingerprints the import/sync stored in ``LegacyDocument``
(``consultations.legacy.fingerprints``):

* **new** (no ``legacy_id``): it gets an ObjectId, recorded as its ``legacy_id`` by a
  conditional update (``legacy_id IS NULL``; on MongoDB the ObjectId *is* its primary
  key), so it keeps that ``_id`` on every later export and import;
* **changed** (its ``scribe_fingerprint`` differs from its row's, or it has no row yet):
  written again under its ``_id``;
* **linked**: unchanged itself but pointing at a record new in this export (a
  consultation's new note or transcript; the transcript and notes of a consultation new
  to Node.js, including one made from a generation-1 transcript, whose document is then
  rewritten in the generation-3 shape; a note of a new transcript), so Node.js finds the link;
* **deleted** (a row whose record is gone): deleted from MongoDB (``--uri``) or listed
  in the dump's apply script and the report (``--dump``).

After a document is written its row is inserted or moved on with a conditional update
(only from the state this run read), so a second export with nothing new writes nothing,
and a concurrent sync that moved the row is reported, not overwritten. No transaction
is relied on: a run that stops part-way is completed by the next one (new records
already hold their ObjectId; their documents have no row yet, so they are written again,
which an upsert makes harmless).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from bson import ObjectId
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.models import RevocationReason, RevokedToken, User
from consultations.legacy.export import render
from consultations.legacy.export.report import ExportReport
from consultations.legacy.export.writers import ORDER, ExportWriter
from consultations.legacy.fingerprints import scribe_fingerprint, source_fingerprint
from consultations.legacy.rules import batches
from consultations.models import Consultation, LegacyDocument, Note, Prompt, Segment, Summary, Transcript

logger = logging.getLogger("scribe.legacy")

BATCH_SIZE = 500
MODELS: dict[str, type[models.Model]] = {
    "users": User,
    "prompts": Prompt,
    "consultations": Consultation,
    "transcripts": Transcript,
    "notes": Note,
}
# Users are never deleted from Node.js: several Node.js users may have been merged into
# one Scribe account (same email in two letter cases), and accounts are not deleted in Scribe.
DELETABLE = ("prompts", "consultations", "transcripts", "notes")


@dataclass(frozen=True)
class _Row:
    pk: Any
    source: str
    scribe: str


@dataclass
class _Pending:
    rendered: render.Rendered
    legacy_id: str
    fingerprint: str
    row: _Row | None


class _SegmentRow(NamedTuple):
    seq: int
    text: str


class _SummaryRow(NamedTuple):
    version: int


class _PromptRef(NamedTuple):
    pk: Any
    legacy_id: str | None


@dataclass
class _Rows:
    """Stands in for a prefetched related manager: ``.all()`` is all the fingerprint calls."""

    items: list[Any]

    def all(self) -> list[Any]:
        return self.items


@dataclass
class _TranscriptView:
    """A transcript as plain rows, with what ``scribe_fingerprint("transcripts", ...)`` reads
    (``test_legacy_export`` checks it fingerprints exactly as the model instance does)."""

    pk: Any
    consultation_id: Any
    clinician_id: Any
    edited_text: str | None
    prompt_used_id: Any
    created_at: Any
    updated_at: Any
    prompt_used: _PromptRef | None
    segments: _Rows
    summaries: _Rows

    @property
    def text(self) -> str:
        """``transcript_text`` as the selectors give it: the PUT text, else the segments by seq."""
        if self.edited_text is not None:
            return self.edited_text
        return "\n".join(row.text for row in sorted(self.segments.items, key=lambda row: row.seq))


def _chunks(queryset: models.QuerySet, size: int) -> Iterator[list[Any]]:
    return batches(queryset.iterator(chunk_size=size), size)


class LegacyExporter:
    def __init__(self, writer: ExportWriter, *, dry_run: bool = False, batch_size: int = BATCH_SIZE) -> None:
        self.writer = writer
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.report = ExportReport(target=writer.description, dry_run=dry_run)
        # collection -> primary key -> the document's ObjectId
        self.oids: dict[str, dict[Any, ObjectId]] = {name: {} for name in ORDER}
        # primary keys that got their ObjectId in this run
        self.fresh: dict[str, set[Any]] = {name: set() for name in ORDER}
        self.rows: dict[str, dict[str, _Row]] = {name: {} for name in ORDER}
        # Consultations written with no ledger row: new, or never in Node.js as a consultation
        # (a generation-1 transcript's); their transcript and notes are written with them.
        self.introduced: set[Any] = set()

    def run(self) -> ExportReport:
        for collection in ORDER:
            self._assign_ids(collection)
            self.rows[collection] = {
                legacy_id: _Row(pk, source, scribe)
                for pk, legacy_id, source, scribe in LegacyDocument.objects.filter(collection=collection).values_list(
                    "pk", "legacy_id", "source_fingerprint", "scribe_fingerprint"
                )
            }
        self._export_users()
        self._export_prompts()
        self._export_consultations()
        self._export_transcripts()
        self._export_notes()
        self._export_deletions()
        self._report_revocations()
        self.report.completed = True
        logger.info(
            "legacy export finished",
            extra={"documents_written": self.report.documents_written, "dry_run": self.dry_run},
        )
        return self.report

    # --- identity -------------------------------------------------------------------------

    def _assign_ids(self, collection: str) -> None:
        """Give every record made in Scribe the ObjectId it will have in Node.js."""
        model = MODELS[collection]
        new = model.objects.filter(legacy_id__isnull=True)
        if collection == "users":
            # Staff accounts exist only in Scribe (Node.js had no such role).
            new = new.filter(is_staff=False, is_superuser=False)
        planned: dict[Any, ObjectId] = {}
        for pk in new.values_list("pk", flat=True):
            oid = pk if isinstance(pk, ObjectId) else ObjectId()
            if not self.dry_run:
                won = model.objects.filter(pk=pk, legacy_id__isnull=True).update(legacy_id=str(oid))
                if not won:
                    continue  # a concurrent export gave it one: read back below
            planned[pk] = oid
        mapping = self.oids[collection]
        for pk, legacy_id in model.objects.filter(legacy_id__isnull=False).values_list("pk", "legacy_id"):
            if ObjectId.is_valid(legacy_id):
                mapping[pk] = ObjectId(legacy_id)
        mapping.update(planned)
        self.fresh[collection] = set(planned)
        if collection == "users":
            staff = len(set(User.objects.filter(legacy_id__isnull=True).values_list("pk", flat=True)) - set(planned))
            if staff:
                self.report.note("users", "-", "staff_not_exported", f"{staff} staff account(s) exist only in Scribe")

    # --- deciding and writing ---------------------------------------------------------

    def _pending(
        self, collection: str, pk: Any, record: Any, *, linked: bool = False
    ) -> tuple[ObjectId, bool, str, _Row | None] | None:
        """(ObjectId, new, fingerprint, row) when the record is to be written; None when it is not."""
        oid = self.oids[collection].get(pk)
        if oid is None:
            self.report.count(collection, "skipped")
            self.report.note(collection, pk, "bad_legacy_id", "its legacy_id is not an ObjectId; not exported")
            return None
        fingerprint = scribe_fingerprint(collection, record)
        row = self.rows[collection].get(str(oid))
        new = pk in self.fresh[collection]
        if new or row is None or row.scribe != fingerprint or linked:
            return oid, new, fingerprint, row
        self.report.count(collection, "unchanged")
        return None

    def _flush(self, collection: str, pending: list[_Pending]) -> None:
        if not pending:
            return
        for item in pending:
            action = "created" if item.rendered.new else "changed"
            self.report.count(collection, action)
            if item.row is None and not item.rendered.new:
                self.report.note(
                    collection,
                    item.legacy_id,
                    "no_sync_state",
                    "no ledger row (not in Node.js in this shape, or imported before the ledger): written in full",
                )
            for line in item.rendered.notes:
                rule, _, reason = line.partition(": ")
                self.report.note(collection, item.legacy_id, rule, reason)
        if self.dry_run:
            return
        self.writer.write([item.rendered for item in pending])
        written = self.writer.read_back(collection, [item.rendered.doc["_id"] for item in pending])
        now = timezone.now()
        fresh: list[LegacyDocument] = []
        moved: list[tuple[_Pending, dict[str, Any]]] = []
        for item in pending:
            doc = written.get(item.rendered.doc["_id"], item.rendered.doc)
            state = {
                "source_fingerprint": source_fingerprint(doc),
                "scribe_fingerprint": item.fingerprint,
                "synced_at": now,
            }
            if item.row is None:
                fresh.append(LegacyDocument(collection=collection, legacy_id=item.legacy_id, **state))
            else:
                moved.append((item, state))
        self._insert_rows(collection, fresh)
        for item, state in moved:
            row = item.row
            done = LegacyDocument.objects.filter(
                pk=row.pk, source_fingerprint=row.source, scribe_fingerprint=row.scribe
            ).update(**state)
            if not done:
                self._state_moved(collection, item.legacy_id)

    def _insert_rows(self, collection: str, rows: list[LegacyDocument]) -> None:
        """Rows for documents that had none: one insert for the batch; when another run
        recorded some meanwhile (the unique constraint says so), one by one."""
        if not rows:
            return
        try:
            with transaction.atomic():
                LegacyDocument.objects.bulk_create(rows, batch_size=self.batch_size)
            return
        except IntegrityError:
            pass
        for row in rows:
            try:
                with transaction.atomic():
                    LegacyDocument.objects.create(
                        collection=row.collection,
                        legacy_id=row.legacy_id,
                        source_fingerprint=row.source_fingerprint,
                        scribe_fingerprint=row.scribe_fingerprint,
                        synced_at=row.synced_at,
                    )
            except IntegrityError:
                # Ours already (MongoDB keeps the part of a batch inserted before the clash)?
                if not LegacyDocument.objects.filter(
                    collection=row.collection, legacy_id=row.legacy_id, scribe_fingerprint=row.scribe_fingerprint
                ).exists():
                    self._state_moved(collection, row.legacy_id)

    def _state_moved(self, collection: str, legacy_id: str) -> None:
        self.report.note(
            collection,
            legacy_id,
            "sync_state_moved",
            "a concurrent sync or export recorded this document meanwhile; run the export again",
        )

    def _oid(self, collection: str, pk: Any) -> ObjectId | None:
        return None if pk is None else self.oids[collection].get(pk)

    # --- collections --------------------------------------------------------------------

    def _export_users(self) -> None:
        for batch in _chunks(User.objects.order_by("pk"), self.batch_size):
            pending: list[_Pending] = []
            for user in batch:
                if user.pk not in self.oids["users"]:
                    continue  # staff: reported once above
                decided = self._pending("users", user.pk, user)
                if decided is None:
                    continue
                oid, new, fingerprint, row = decided
                rendered = render.user(
                    oid=oid,
                    new=new,
                    email=user.email,
                    username=user.username,
                    role=user.role,
                    password=user.password,
                    is_active=user.is_active,
                    created_at=user.created_at,
                )
                pending.append(_Pending(rendered, str(oid), fingerprint, row))
            self._flush("users", pending)

    def _export_prompts(self) -> None:
        for batch in _chunks(Prompt.objects.order_by("pk"), self.batch_size):
            pending: list[_Pending] = []
            for prompt in batch:
                decided = self._pending("prompts", prompt.pk, prompt)
                if decided is None:
                    continue
                oid, new, fingerprint, row = decided
                clinician = self._oid("users", prompt.owner_id)
                if clinician is None:
                    self._skip("prompts", oid, "its owner is a staff account that is not exported")
                    continue
                rendered = render.prompt(
                    oid=oid,
                    new=new,
                    name=prompt.name,
                    text=prompt.text,
                    is_shareable=prompt.is_shareable,
                    is_deleted=prompt.is_deleted,
                    clinician=clinician,
                    created_at=prompt.created_at,
                    updated_at=prompt.updated_at,
                )
                if not prompt.text.strip() or not prompt.name.strip():
                    self._skip("prompts", oid, "an empty name or text, which the Node.js schema refuses")
                    continue
                pending.append(_Pending(rendered, str(oid), fingerprint, row))
            self._flush("prompts", pending)

    def _export_consultations(self) -> None:
        transcript_of = dict(Transcript.objects.values_list("consultation_id", "pk"))
        notes_of: dict[Any, list[Any]] = {}
        for consultation_pk, note_pk in Note.objects.order_by("created_at", "pk").values_list("consultation_id", "pk"):
            notes_of.setdefault(consultation_pk, []).append(note_pk)
        fresh_notes = self.fresh["notes"]
        fresh_transcripts = self.fresh["transcripts"]
        for batch in _chunks(Consultation.objects.order_by("pk"), self.batch_size):
            pending: list[_Pending] = []
            for consultation in batch:
                note_pks = notes_of.get(consultation.pk, [])
                transcript_pk = transcript_of.get(consultation.pk)
                linked = transcript_pk in fresh_transcripts or any(pk in fresh_notes for pk in note_pks)
                decided = self._pending("consultations", consultation.pk, consultation, linked=linked)
                if decided is None:
                    continue
                oid, new, fingerprint, row = decided
                clinician = self._oid("users", consultation.clinician_id)
                if clinician is None:
                    self._skip("consultations", oid, "its clinician is a staff account that is not exported")
                    continue
                notes = [n for n in (self._oid("notes", pk) for pk in note_pks) if n is not None]
                if row is None:
                    self.introduced.add(consultation.pk)
                rendered = render.consultation(
                    oid=oid,
                    new=new,
                    clinician=clinician,
                    patient=consultation.patient_data,
                    transcript=self._oid("transcripts", transcript_pk),
                    notes=notes,
                    started_at=consultation.started_at,
                    ended_at=consultation.ended_at,
                    status=consultation.status,
                )
                pending.append(_Pending(rendered, str(oid), fingerprint, row))
            self._flush("consultations", pending)

    def _transcript_views(self) -> Iterator[list[_TranscriptView]]:
        """Every transcript as plain rows, a batch at a time: three queries per batch, no model
        instances for the segments (a rollback's export reads every one of them)."""
        prompts = {pk: _PromptRef(pk, legacy_id) for pk, legacy_id in Prompt.objects.values_list("pk", "legacy_id")}
        fields = ("pk", "consultation_id", "clinician_id", "edited_text", "prompt_used_id", "created_at", "updated_at")
        for batch in _chunks(Transcript.objects.order_by("pk").values_list(*fields), self.batch_size):
            views = [
                _TranscriptView(*row, prompt_used=prompts.get(row[4]), segments=_Rows([]), summaries=_Rows([]))
                for row in batch
            ]
            by_pk = {view.pk: view for view in views}
            unedited = [view.pk for view in views if view.edited_text is None]
            for transcript_pk, seq, text in Segment.objects.filter(transcript_id__in=unedited).values_list(
                "transcript_id", "seq", "text"
            ):
                by_pk[transcript_pk].segments.items.append(_SegmentRow(seq, text))
            for transcript_pk, version in Summary.objects.filter(transcript_id__in=list(by_pk)).values_list(
                "transcript_id", "version"
            ):
                by_pk[transcript_pk].summaries.items.append(_SummaryRow(version))
            yield views

    def _export_transcripts(self) -> None:
        introduced = self.introduced
        for batch in self._transcript_views():
            decided_batch = []
            for transcript in batch:
                linked = transcript.consultation_id in introduced
                decided = self._pending("transcripts", transcript.pk, transcript, linked=linked)
                if decided is not None:
                    decided_batch.append((transcript, decided))
            newest: dict[Any, tuple[int, str, Any]] = {}
            wanted = [transcript.pk for transcript, _ in decided_batch]
            for transcript_pk, version, text, content in Summary.objects.filter(transcript_id__in=wanted).values_list(
                "transcript_id", "version", "text", "content"
            ):
                if transcript_pk not in newest or version > newest[transcript_pk][0]:
                    newest[transcript_pk] = (version, text, content)
            pending: list[_Pending] = []
            for transcript, (oid, new, fingerprint, row) in decided_batch:
                consultation = self._oid("consultations", transcript.consultation_id)
                clinician = self._oid("users", transcript.clinician_id)
                if consultation is None or clinician is None:
                    self._skip("transcripts", oid, "its consultation or clinician is not exported")
                    continue
                current = newest.get(transcript.pk)
                summary = render.summary_text(text=current[1], content=current[2]) if current else None
                rendered = render.transcript(
                    oid=oid,
                    new=new,
                    clinician=clinician,
                    consultation=consultation,
                    text=transcript.text,
                    summary=summary,
                    prompt_used=self._oid("prompts", transcript.prompt_used_id),
                    created_at=transcript.created_at,
                    updated_at=transcript.updated_at,
                )
                pending.append(_Pending(rendered, str(oid), fingerprint, row))
            self._flush("transcripts", pending)

    def _export_notes(self) -> None:
        introduced, fresh_transcripts = self.introduced, self.fresh["transcripts"]
        for batch in _chunks(Note.objects.order_by("pk"), self.batch_size):
            pending: list[_Pending] = []
            for note in batch:
                # A generation-2 note's consultation had no transcript in Node.js: the one
                # Scribe gave it is new in this export, and the note must name it.
                linked = note.consultation_id in introduced or note.transcript_id in fresh_transcripts
                decided = self._pending("notes", note.pk, note, linked=linked)
                if decided is None:
                    continue
                oid, new, fingerprint, row = decided
                refs = (
                    self._oid("users", note.clinician_id),
                    self._oid("transcripts", note.transcript_id),
                    self._oid("consultations", note.consultation_id),
                )
                if None in refs:
                    self._skip("notes", oid, "its clinician, transcript or consultation is not exported")
                    continue
                if not note.body.strip():
                    self._skip("notes", oid, "an empty body, which the Node.js schema refuses")
                    continue
                rendered = render.note(
                    oid=oid,
                    new=new,
                    clinician=refs[0],
                    transcript=refs[1],
                    consultation=refs[2],
                    body=note.body,
                    created_at=note.created_at,
                    updated_at=note.updated_at,
                )
                pending.append(_Pending(rendered, str(oid), fingerprint, row))
            self._flush("notes", pending)

    def _skip(self, collection: str, oid: ObjectId, reason: str) -> None:
        self.report.count(collection, "skipped")
        self.report.note(collection, oid, "not_exportable", reason)

    # --- deletions and revocations ---------------------------------------------------------

    def _export_deletions(self) -> None:
        """Rows whose record is gone: deleted in Scribe since it was imported or exported."""
        for collection in DELETABLE:
            present = {str(oid) for oid in self.oids[collection].values()}
            gone = {
                lid: row for lid, row in self.rows[collection].items() if lid not in present and ObjectId.is_valid(lid)
            }
            if not gone:
                continue
            ids = sorted(gone)
            self.report.count(collection, "deleted", len(ids))
            self.report.deleted[collection] = ids
            if self.dry_run:
                continue
            self.writer.delete(collection, [ObjectId(i) for i in ids])
            # Only the rows as read: a concurrent sync that re-imported one keeps its row.
            for legacy_id in ids:
                row = gone[legacy_id]
                LegacyDocument.objects.filter(
                    pk=row.pk, source_fingerprint=row.source, scribe_fingerprint=row.scribe
                ).delete()

    def _report_revocations(self) -> None:
        """Node.js tokens logged out in Scribe cannot become ``blacktokens``: Scribe keeps only
        their SHA-256 (a revocation table must not be a list of usable tokens). They expire with
        the token (Node.js tokens live an hour), so the report says until when they matter."""
        expiries = list(
            RevokedToken.objects.filter(
                key__startswith="legacy:", reason=RevocationReason.LOGOUT, expires_at__gt=timezone.now()
            ).values_list("expires_at", flat=True)
        )
        count = len(expiries)
        if count:
            last = max(expiries)
            self.report.note(
                "blacktokens",
                "-",
                "revocations_not_exportable",
                f"{count} Node.js token(s) logged out in Scribe stay valid for Node.js until {last.isoformat()} "
                "(Scribe keeps only their hash): switch back after that, or change Node.js's tokenSecretKey",
            )
