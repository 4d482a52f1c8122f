"""Bring a Node.js Scribe database into this one: users, prompts, consultations with
their transcripts (as segments) and summaries, notes, revoked tokens.

Guarantees, on every engine and without transactions (MongoDB has none):

* **Identity kept**: every row records the document's ``_id`` as ``legacy_id``; on
  MongoDB the row's primary key *is* that ObjectId.
* **Idempotent**: rows are found by ``legacy_id`` (unique) before anything is
  written, and rows already there are never changed, so a second run writes
  nothing and reports every document as already present.
* **Resumable, nothing half-made**: writes go parents first (user, prompt,
  consultation, transcript, segments, summary, note). A consultation is only
  shown by the API once its transcript exists (see consultations.selectors),
  a note is written only after its consultation and transcript, and a run
  that stopped anywhere is completed by the next run: it finds the rows that
  exist and writes only the missing ones (segments by their unique seq).
* **Fast**: documents are handled in batches; each batch costs a fixed number
  of queries (one lookup, one ``bulk_create`` per table).

The rules for messy data are the ``_*`` methods' docstrings and README's
"Legacy import" section; each repaired or skipped document is reported with
its collection, ``_id`` and reason (never its content).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.hashers import is_node_bcrypt_hash
from accounts.models import RevokedToken, Role, User, normalise_email
from accounts.services import legacy_token_revoke
from accounts.tokens import legacy_revocation_key
from consultations.legacy import generation1, ledger, rules
from consultations.legacy.consultation import consultation_state, transcript_state
from consultations.legacy.readers import COLLECTIONS, LegacyReader, ReaderError
from consultations.legacy.report import ImportReport
from consultations.models import Consultation, ConsultationStatus, Note, Prompt, Segment, Summary, Transcript
from consultations.services import patient_search_name

logger = logging.getLogger("scribe.legacy")

BATCH_SIZE = 500
SUMMARY_MODEL = "legacy"


class ImportInterrupted(Exception):
    """The importer stopped on purpose after ``stop_after_writes`` rows (a rehearsed crash)."""


class Progress:
    """What the importer reports progress to; the command supplies a terminal-aware one."""

    def collection(self, name: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
        return nullcontext(lambda n: None)


@dataclass(frozen=True)
class _Planned:
    """A row a dry run would create: it stands in for the primary key it would get."""

    model: str
    legacy_id: str


@dataclass
class _ConsultationPlan:
    doc_id: str
    consultation: Consultation | None  # None when it already exists
    consultation_pk: Any
    transcript_doc: dict[str, Any] | None
    transcript_legacy_id: str | None
    clinician_pk: Any
    prompt_pk: Any
    created_at: Any
    updated_at: Any
    segments: list[tuple[str, str]] = field(default_factory=list)
    summary: tuple[dict[str, str], str] | None = None


def _pk_kwargs(legacy_id: str | None) -> dict[str, Any]:
    """On MongoDB an imported row keeps its original ``_id``; SQL engines number rows themselves."""
    if settings.IS_MONGODB and legacy_id is not None:
        return {"pk": ObjectId(legacy_id)}
    return {}


class LegacyImporter:
    def __init__(
        self,
        reader: LegacyReader,
        *,
        dry_run: bool = False,
        stop_after_writes: int | None = None,
        progress: Progress | None = None,
        batch_size: int = BATCH_SIZE,
        ledger_collections: tuple[str, ...] = COLLECTIONS,
    ) -> None:
        self.reader = reader
        # The collections whose documents get ledger rows at the end (the sync narrows it).
        self.ledger_collections = ledger_collections
        self.dry_run = dry_run
        self.stop_after_writes = stop_after_writes
        self.progress = progress or Progress()
        self.batch_size = batch_size
        self.report = ImportReport(source=reader.description, dry_run=dry_run)
        for name in COLLECTIONS:
            self.report.counts(name)
        self.writes = 0
        # legacy _id (hex) -> primary key (or a _Planned in a dry run)
        self.users: dict[str, Any] = {}
        self.prompts: dict[str, Any] = {}
        self.consultations: dict[str, Any] = {}
        # consultation pk -> transcript pk, and transcript legacy id -> consultation pk
        self.transcript_of: dict[Any, Any] = {}
        self.consultation_of_transcript: dict[str, Any] = {}
        self.clinician_of_consultation: dict[Any, Any] = {}
        # clinician pk -> {consultation pk: started_at}, for generation-1 notes with no link.
        self._starts: dict[Any, dict[Any, Any]] = {}
        self._starts_loaded: set[Any] = set()

    # --- driver ---------------------------------------------------------------------

    def run(self) -> ImportReport:
        """Import everything; the report says what was created, found, repaired and skipped.

        Raises ``ImportInterrupted`` when ``stop_after_writes`` is hit and ``ReaderError`` when the
        source fails part-way; ``self.report`` then says what was done, and a later run completes it.
        """
        try:
            self._import_users()
            prompt_usage = self._import_prompts()
            self._import_consultations(prompt_usage)
            self._import_notes()
            self._import_blacktokens()
            if not self.dry_run:
                self.report.fingerprinted = ledger.record_all(self.reader, self.ledger_collections)
        except (ImportInterrupted, ReaderError):
            self.report.interrupted = True
            raise
        self.report.completed = True
        logger.info(
            "legacy import finished",
            extra={
                "rows_written": self.report.rows_written,
                "skipped": len(self.report.skipped),
                "dry_run": self.dry_run,
            },
        )
        return self.report

    def _write(self, model: type, rows: list[Any]) -> None:
        """``bulk_create`` honouring ``stop_after_writes``: the rows before the limit are written,
        then the import stops, like a process killed between two inserts."""
        if not rows:
            return
        if self.dry_run:
            return
        allowed = rows
        if self.stop_after_writes is not None:
            allowed = rows[: max(self.stop_after_writes - self.writes, 0)]
        if allowed:
            model.objects.bulk_create(allowed, batch_size=self.batch_size)
            self.writes += len(allowed)
        if self.stop_after_writes is not None and self.writes >= self.stop_after_writes:
            raise ImportInterrupted(f"stopped after {self.writes} writes")

    def _new_pk(self, model: str, legacy_id: str, obj: Any) -> Any:
        return _Planned(model, legacy_id) if self.dry_run else obj.pk

    def _valid_id(self, collection: str, doc: dict[str, Any]) -> str | None:
        doc_id = rules.oid_hex(doc.get("_id"))
        if doc_id is None:
            self.report.skip(collection, doc.get("_id"), "bad_id", "_id is not an ObjectId")
        return doc_id

    # --- users ------------------------------------------------------------------------

    def _import_users(self) -> None:
        """Users, oldest ``_id`` first (so "first account" does not depend on dump order).

        * An email that differs from an earlier one only in letter case joins that first
          account: no second user is made, and the duplicate's ``_id`` maps to the first
          user so everything it owned follows (its own password and username are dropped).
        * A user with no ``role`` (or an unknown one) becomes a clinician when it owns any
          prompts, notes or transcripts, otherwise a patient (least privilege).
        * A missing or invalid email: skipped (nobody could log in). A missing username is
          taken from the email; a missing or non-bcrypt password leaves the account
          unusable until a password reset; a missing ``created_at`` comes from the ``_id``.
        * An email already held by a Scribe account that did not come from the import:
          skipped, never merged (the import must not hand records to whoever registered
          that address); link such accounts by hand.
        """
        docs = sorted(self.reader.iter("users"), key=lambda d: str(d.get("_id")))
        counts = self.report.counts("users")
        counts.read = len(docs)
        existing_by_legacy = dict(User.objects.filter(legacy_id__isnull=False).values_list("legacy_id", "pk"))
        # Users imported before resolve references too (a sync reads only new documents).
        self.users.update(existing_by_legacy)
        emails = [normalise_email(d["email"]) for d in docs if isinstance(d.get("email"), str)]
        existing_by_email: dict[str, tuple[Any, str | None]] = {}
        for chunk in rules.batches(emails, self.batch_size):
            for email, pk, legacy_id in User.objects.filter(email__in=chunk).values_list("email", "pk", "legacy_id"):
                existing_by_email[email] = (pk, legacy_id)

        first_by_email: dict[str, str] = {}
        aliases: dict[str, str] = {}  # duplicate's _id -> first account's _id
        new_users: list[User] = []
        with self.progress.collection("users", len(docs)) as advance:
            for doc in docs:
                advance(1)
                doc_id = self._valid_id("users", doc)
                if doc_id is None:
                    continue
                raw_email = doc.get("email")
                email = normalise_email(raw_email) if isinstance(raw_email, str) else ""
                try:
                    validate_email(email)
                except ValidationError:
                    self.report.skip("users", doc_id, "missing_field", "no valid email; nobody could log in")
                    continue
                if email in first_by_email:
                    first = first_by_email[email]
                    aliases[doc_id] = first
                    self._repaired(
                        "users",
                        doc_id,
                        "duplicate_email_case",
                        f"email differs only in letter case from user {first}; merged into that account",
                    )
                    continue
                if doc_id in existing_by_legacy:
                    first_by_email[email] = doc_id
                    self.users[doc_id] = existing_by_legacy[doc_id]
                    counts.already_present += 1
                    self._user_repairs(doc_id, doc)  # reported the same on every run
                    continue
                if email in existing_by_email:
                    pk, other_legacy = existing_by_email[email]
                    if other_legacy is None:
                        self.report.skip(
                            "users",
                            doc_id,
                            "email_taken",
                            "a Scribe account that did not come from the import has this email; link them by hand",
                        )
                        continue
                    first_by_email[email] = doc_id
                    self.users[doc_id] = pk
                    self._repaired(
                        "users",
                        doc_id,
                        "duplicate_email_case",
                        f"email already belongs to imported user {other_legacy}; merged into that account",
                    )
                    continue
                first_by_email[email] = doc_id
                username, role, password, created_at = self._user_repairs(doc_id, doc)
                user = User(
                    email=email,
                    username=username,
                    role=role,
                    password=password,
                    created_at=created_at,
                    legacy_id=doc_id,
                    **_pk_kwargs(doc_id),
                )
                new_users.append(user)
            self._write(User, new_users)
        counts.created += len(new_users)
        for user in new_users:
            self.users[user.legacy_id] = self._new_pk("user", user.legacy_id, user)
        for duplicate, first in aliases.items():
            self.users[duplicate] = self.users[first]

    def _user_repairs(self, doc_id: str, doc: dict[str, Any]) -> tuple[str, str, str, Any]:
        repairs: list[tuple[str, str]] = []
        username = doc.get("username")
        if not isinstance(username, str) or not username.strip():
            username = normalise_email(doc["email"]).split("@")[0]
            repairs.append(("missing_field", "no username; taken from the email"))
        username = username.strip()
        if len(username) > 50:
            username = username[:50]
            repairs.append(("too_long", "username longer than 50 characters; cut to 50"))
        role = doc.get("role")
        if role not in Role.values:
            owns = any(doc.get(key) for key in ("prompts", "notes", "transcripts"))
            role = Role.CLINICIAN if owns else Role.PATIENT
            what = "missing" if doc.get("role") is None else "unknown"
            repairs.append(("missing_role", f"role {what}; set to {role} (clinician only if it owns clinical records)"))
        password = doc.get("password")
        if not isinstance(password, str) or not is_node_bcrypt_hash(password):
            password = rules.UNUSABLE_PASSWORD
            repairs.append(
                (
                    "missing_field",
                    "no usable $2a$/$2b$ bcrypt password (missing, malformed or cost above 15); the user must reset it",
                )
            )
        # Mongoose wrote ``createdAt``; the earliest example dump said ``created_at``.
        created_at = rules.aware(doc.get("createdAt")) or rules.aware(doc.get("created_at"))
        if created_at is None:
            created_at = rules.id_time(doc_id)
            repairs.append(("missing_field", "no createdAt; taken from the _id"))
        for rule, reason in repairs:
            self.report.repair("users", doc_id, rule, reason)
        if repairs:
            self.report.mark_repaired("users")
        return username, role, password, created_at

    def _repaired(self, collection: str, doc_id: str, rule: str, reason: str) -> None:
        self.report.repair(collection, doc_id, rule, reason)
        self.report.mark_repaired(collection)

    def _user(self, value: Any) -> Any:
        hex_id = rules.oid_hex(value)
        return self.users.get(hex_id) if hex_id else None

    # --- prompts ----------------------------------------------------------------------

    def _import_prompts(self) -> dict[str, list[str]]:
        """Prompts (soft-deleted ones too: transcripts that used them still name them).

        A prompt whose ``clinician`` is not an imported user is skipped. A missing name
        becomes "Untitled prompt"; a missing text, empty. Returns which prompts list each
        transcript in their ``transcript_ids`` (the other side of prompt usage).
        """
        counts = self.report.counts("prompts")
        self.prompts = dict(Prompt.objects.filter(legacy_id__isnull=False).values_list("legacy_id", "pk"))
        usage: dict[str, list[str]] = {}
        new_prompts: list[Prompt] = []
        with self.progress.collection("prompts", self.reader.count("prompts")) as advance:
            for doc in self.reader.iter("prompts"):
                advance(1)
                counts.read += 1
                doc_id = self._valid_id("prompts", doc)
                if doc_id is None:
                    continue
                owner = self._user(doc.get("clinician"))
                if owner is None:
                    self.report.skip("prompts", doc_id, "dangling_reference", "its clinician is not an imported user")
                    continue
                for transcript_id in doc.get("transcript_ids") or []:
                    hex_id = rules.oid_hex(transcript_id)
                    if hex_id:
                        usage.setdefault(hex_id, []).append(doc_id)
                repairs = []
                name = doc.get("prompt_name")
                if not isinstance(name, str) or not name.strip():
                    name = "Untitled prompt"
                    repairs.append(("missing_field", "no prompt_name; named 'Untitled prompt'"))
                text = doc.get("prompt_text")
                if not isinstance(text, str):
                    text = ""
                    repairs.append(("missing_field", "no prompt_text; kept empty"))
                created_at = rules.aware(doc.get("created_at")) or rules.id_time(doc_id)
                updated_at = rules.aware(doc.get("updated_at")) or created_at
                for rule, reason in repairs:
                    self.report.repair("prompts", doc_id, rule, reason)
                if repairs:
                    self.report.mark_repaired("prompts")
                if doc_id in self.prompts:
                    counts.already_present += 1
                    continue
                new_prompts.append(
                    Prompt(
                        owner_id=owner,
                        name=name[:200],
                        text=text,
                        is_shareable=bool(doc.get("is_shareable")),
                        is_deleted=bool(doc.get("is_deleted")),
                        created_at=created_at,
                        updated_at=updated_at,
                        legacy_id=doc_id,
                        **_pk_kwargs(doc_id),
                    )
                )
            self._write(Prompt, new_prompts)
        counts.created += len(new_prompts)
        for prompt in new_prompts:
            self.prompts[prompt.legacy_id] = self._new_pk("prompt", prompt.legacy_id, prompt)
        return usage

    # --- consultations, transcripts, segments, summaries -----------------------------------

    def _import_consultations(self, prompt_usage: dict[str, list[str]]) -> None:
        """Each consultation with its transcript (text as segments) and summary.

        * The transcript is the one the consultation names; if that one is missing, or
          names another consultation, the transcript that names this consultation; if
          none, an empty transcript is made (reported). A transcript serves one
          consultation only; transcripts no imported consultation takes are skipped.
        * ``clinician`` missing or dangling: the transcript's clinician; neither: skipped.
        * ``patient`` as a bare string becomes ``{"name": <string>}``; missing, ``{}``.
        * ``status`` follows ``ended_at`` when they disagree or status is missing; a
          missing ``started_at`` comes from the transcript's ``created_at`` or the ``_id``.
        * Transcript text missing: imported empty. ``prompt_used`` dangling: dropped;
          missing while exactly one prompt lists the transcript: that prompt.
        """
        self.consultations = dict(Consultation.objects.filter(legacy_id__isnull=False).values_list("legacy_id", "pk"))
        for consultation_pk, transcript_pk, legacy_id, clinician_pk in Transcript.objects.values_list(
            "consultation_id", "pk", "legacy_id", "clinician_id"
        ):
            self.transcript_of[consultation_pk] = transcript_pk
            self.clinician_of_consultation[consultation_pk] = clinician_pk
            if legacy_id:
                self.consultation_of_transcript[legacy_id] = consultation_pk

        # One pass over transcripts keeps only ids: which consultation each one names.
        transcript_naming: dict[str, str] = {}
        all_transcripts: list[str] = []
        standalone: set[str] = set()
        for doc in self.reader.iter("transcripts"):
            hex_id = rules.oid_hex(doc.get("_id"))
            if hex_id is None:
                self.report.skip("transcripts", doc.get("_id"), "bad_id", "_id is not an ObjectId")
                continue
            all_transcripts.append(hex_id)
            if generation1.is_standalone(doc):
                standalone.add(hex_id)
            named = rules.oid_hex(doc.get("consultation"))
            if named and named not in transcript_naming:
                transcript_naming[named] = hex_id
        self.report.counts("transcripts").read = len(all_transcripts)
        claimed: set[str] = set()

        counts = self.report.counts("consultations")
        with self.progress.collection("consultations", self.reader.count("consultations")) as advance:
            for batch in rules.batches(self.reader.iter("consultations"), self.batch_size):
                counts.read += len(batch)
                self._consultation_batch(batch, transcript_naming, claimed, prompt_usage)
                advance(len(batch))

        self._import_standalone_transcripts(standalone - claimed)
        for hex_id in all_transcripts:
            if hex_id not in claimed and hex_id not in standalone:
                self.report.skip(
                    "transcripts", hex_id, "dangling_reference", "no imported consultation has this transcript"
                )

    def _consultation_batch(
        self,
        batch: list[dict[str, Any]],
        transcript_naming: dict[str, str],
        claimed: set[str],
        prompt_usage: dict[str, list[str]],
    ) -> None:
        wanted = set()
        for doc in batch:
            for value in (doc.get("transcript"), transcript_naming.get(rules.oid_hex(doc.get("_id")) or "")):
                if rules.oid_hex(value):
                    wanted.add(ObjectId(rules.oid_hex(value)))
        transcript_docs = {str(k): v for k, v in self.reader.get_many("transcripts", wanted).items()}

        plans: list[_ConsultationPlan] = []
        for doc in batch:
            doc_id = self._valid_id("consultations", doc)
            if doc_id is None:
                continue
            plan = self._plan_consultation(doc_id, doc, transcript_docs, transcript_naming, claimed, prompt_usage)
            if plan is not None:
                plans.append(plan)

        self._write_consultation_plans(plans)

    def _write_consultation_plans(self, plans: list[_ConsultationPlan], *, standalone: bool = False) -> None:
        """Consultations, then their transcripts, then segments and summaries (parents first)."""
        counts = self.report.counts("consultations")
        new_consultations = [p.consultation for p in plans if p.consultation is not None]
        if standalone:
            extra = counts.extra_rows
            extra["from generation-1 transcripts"] = extra.get("from generation-1 transcripts", 0) + len(
                new_consultations
            )
        else:
            counts.created += len(new_consultations)
            counts.already_present += len(plans) - len(new_consultations)
        self._write(Consultation, new_consultations)
        for plan in plans:
            if plan.consultation is not None:
                plan.consultation_pk = self._new_pk("consultation", plan.doc_id, plan.consultation)
                self.consultations[plan.doc_id] = plan.consultation_pk
            self.clinician_of_consultation.setdefault(plan.consultation_pk, plan.clinician_pk)

        # Transcripts: for new consultations and for any a stopped run left without one.
        tcounts = self.report.counts("transcripts")
        new_transcripts = []
        for plan in plans:
            if plan.consultation_pk in self.transcript_of:
                if plan.transcript_legacy_id:
                    tcounts.already_present += 1
                continue
            transcript = Transcript(
                consultation_id=plan.consultation_pk,
                clinician_id=plan.clinician_pk,
                prompt_used_id=plan.prompt_pk,
                summary_version=1 if plan.summary else 0,
                created_at=plan.created_at,
                updated_at=plan.updated_at,
                legacy_id=plan.transcript_legacy_id,
                **_pk_kwargs(plan.transcript_legacy_id),
            )
            new_transcripts.append((plan, transcript))
        tcounts.created += sum(1 for _, t in new_transcripts if t.legacy_id)
        if any(t.legacy_id is None for _, t in new_transcripts):
            tcounts.extra_rows["empty transcripts"] = tcounts.extra_rows.get("empty transcripts", 0) + sum(
                1 for _, t in new_transcripts if t.legacy_id is None
            )
        self._write(Transcript, [t for _, t in new_transcripts])
        for plan, transcript in new_transcripts:
            pk = self._new_pk("transcript", plan.transcript_legacy_id or plan.doc_id, transcript)
            self.transcript_of[plan.consultation_pk] = pk
            if plan.transcript_legacy_id:
                self.consultation_of_transcript[plan.transcript_legacy_id] = plan.consultation_pk

        self._write_segments_and_summaries(plans)

    def _import_standalone_transcripts(self, ids: set[str]) -> None:
        """Generation-1 transcripts (``consultations.legacy.generation1``): each one an ended
        consultation with its transcript, summary and embedded note. A document whose
        ``clinicianId`` is not an imported user is skipped (nobody could see it)."""
        if not ids:
            return
        docs = (doc for doc in self.reader.iter("transcripts") if rules.oid_hex(doc.get("_id")) in ids)
        for batch in rules.batches(docs, self.batch_size):
            self._standalone_batch(batch)

    def _standalone_batch(self, batch: list[dict[str, Any]]) -> None:
        tcounts = self.report.counts("transcripts")
        plans: list[_ConsultationPlan] = []
        bodies: dict[str, str] = {}
        for doc in batch:
            doc_id = rules.oid_hex(doc.get("_id"))
            g1 = generation1.plan(doc_id, doc)
            clinician = self._user(g1.clinician_hex)
            if clinician is None:
                self.report.skip(
                    "transcripts",
                    doc_id,
                    "dangling_reference",
                    "generation-1 transcript whose clinicianId is not an imported user",
                )
                continue
            for collection, rid, rule, reason in g1.issues:
                self.report.repair(collection, rid, rule, reason)
            if g1.issues:
                self.report.mark_repaired("transcripts")
            consultation_pk = self.consultations.get(doc_id)
            consultation = None
            if consultation_pk is None:
                consultation = Consultation(
                    clinician_id=clinician,
                    patient_data=g1.patient_data,
                    patient_name=patient_search_name(g1.patient_data),
                    status=ConsultationStatus.ENDED,
                    started_at=g1.started_at,
                    ended_at=g1.started_at,
                    legacy_id=doc_id,
                    **_pk_kwargs(doc_id),
                )
            plans.append(
                _ConsultationPlan(
                    doc_id=doc_id,
                    consultation=consultation,
                    consultation_pk=consultation_pk,
                    transcript_doc=doc,
                    transcript_legacy_id=doc_id,
                    clinician_pk=clinician,
                    prompt_pk=None,
                    created_at=g1.started_at,
                    updated_at=g1.started_at,
                    segments=rules.split_transcript(g1.text),
                    summary=g1.summary,
                )
            )
            self._starts.setdefault(clinician, {})
            if g1.note_body is not None:
                bodies[doc_id] = g1.note_body
        self._write_consultation_plans(plans, standalone=True)
        for plan in plans:
            self._starts[plan.clinician_pk][plan.consultation_pk] = plan.created_at

        # The embedded note, once its consultation and transcript exist.
        present = set(Note.objects.filter(legacy_id__in=list(bodies)).values_list("legacy_id", flat=True))
        notes = [
            Note(
                consultation_id=plan.consultation_pk,
                transcript_id=self.transcript_of[plan.consultation_pk],
                clinician_id=plan.clinician_pk,
                body=bodies[plan.doc_id],
                created_at=plan.created_at,
                updated_at=plan.created_at,
                legacy_id=plan.doc_id,
                **_pk_kwargs(plan.doc_id),
            )
            for plan in plans
            if plan.doc_id in bodies and plan.doc_id not in present
        ]
        tcounts.extra_rows["embedded notes"] = tcounts.extra_rows.get("embedded notes", 0) + len(notes)
        self._write(Note, notes)

    def _plan_consultation(
        self,
        doc_id: str,
        doc: dict[str, Any],
        transcript_docs: dict[str, dict[str, Any]],
        transcript_naming: dict[str, str],
        claimed: set[str],
        prompt_usage: dict[str, list[str]],
    ) -> _ConsultationPlan | None:
        repairs: list[tuple[str, str, str, str]] = []  # (collection, id, rule, reason)

        def repair(rule: str, reason: str, collection: str = "consultations", rid: str = doc_id) -> None:
            repairs.append((collection, rid, rule, reason))

        # Which transcript is this consultation's?
        transcript_doc = None
        named = rules.oid_hex(doc.get("transcript"))
        candidate = transcript_docs.get(named) if named else None
        if (
            candidate is not None
            and named not in claimed
            and rules.oid_hex(candidate.get("consultation")) in (None, doc_id)
        ):
            transcript_doc = candidate
        else:
            fallback = transcript_naming.get(doc_id)
            if fallback and fallback not in claimed and fallback in transcript_docs:
                transcript_doc = transcript_docs[fallback]
                what = "missing" if named is None else f"{named} (not usable)"
                repair("dangling_reference", f"transcript reference {what}; used transcript {fallback}, which names it")
        if transcript_doc is None:
            what = "no transcript reference" if named is None else f"transcript {named} does not exist or is another's"
            repair("missing_transcript", f"{what}; given an empty transcript")

        clinician = self._user(doc.get("clinician"))
        if clinician is None and transcript_doc is not None:
            clinician = self._user(transcript_doc.get("clinician"))
            if clinician is not None:
                repair("dangling_reference", "clinician missing or not an imported user; took the transcript's")
        if clinician is None:
            self.report.skip("consultations", doc_id, "dangling_reference", "its clinician is not an imported user")
            return None

        fields, issues = consultation_state(doc_id, doc, transcript_doc)
        repairs.extend(issues)

        consultation = None
        consultation_pk = self.consultations.get(doc_id)
        if consultation_pk is None:
            consultation = Consultation(clinician_id=clinician, legacy_id=doc_id, **fields, **_pk_kwargs(doc_id))

        transcript_id = rules.oid_hex(transcript_doc.get("_id")) if transcript_doc else None
        plan = _ConsultationPlan(
            doc_id=doc_id,
            consultation=consultation,
            consultation_pk=consultation_pk,
            transcript_doc=transcript_doc,
            transcript_legacy_id=transcript_id,
            clinician_pk=clinician,
            prompt_pk=None,
            created_at=fields["started_at"],
            updated_at=fields["started_at"],
        )

        if transcript_doc is not None:
            claimed.add(transcript_id)
            state = transcript_state(transcript_id, transcript_doc, fields["started_at"])
            repairs.extend(state.issues)
            plan.segments, plan.summary = state.segments, state.summary
            plan.created_at, plan.updated_at = state.created_at, state.updated_at
            if (
                rules.oid_hex(transcript_doc.get("clinician"))
                and self._user(transcript_doc.get("clinician")) != clinician
            ):
                repair(
                    "inconsistent",
                    "transcript's clinician differs from its consultation's; took the consultation's",
                    "transcripts",
                    transcript_id,
                )
            plan.prompt_pk = self._prompt_used(transcript_id, state.prompt_used_hex, prompt_usage, repair)

        seen: set[tuple[str, str]] = set()
        for collection, rid, rule, reason in repairs:
            self.report.repair(collection, rid, rule, reason)
            if (collection, rid) not in seen:
                seen.add((collection, rid))
                self.report.mark_repaired(collection)
        return plan

    def _prompt_used(
        self, transcript_id: str, used: str | None, prompt_usage: dict[str, list[str]], repair: Callable[..., None]
    ) -> Any:
        """``prompt_used`` dangling: dropped; missing while exactly one prompt lists the transcript: that prompt."""
        if used:
            pk = self.prompts.get(used)
            if pk is None:
                repair(
                    "dangling_reference",
                    f"prompt_used {used} is not an imported prompt; dropped",
                    "transcripts",
                    transcript_id,
                )
            return pk
        listed = [p for p in prompt_usage.get(transcript_id, []) if p in self.prompts]
        if len(listed) == 1:
            repair(
                "missing_field",
                f"prompt_used missing; prompt {listed[0]} lists this transcript",
                "transcripts",
                transcript_id,
            )
            return self.prompts[listed[0]]
        return None

    def _write_segments_and_summaries(self, plans: list[_ConsultationPlan]) -> None:
        transcript_pks = [self.transcript_of[p.consultation_pk] for p in plans]
        real_pks = [pk for pk in transcript_pks if not isinstance(pk, _Planned)]
        have_seqs: dict[Any, set[int]] = {}
        have_summary: set[Any] = set()
        if real_pks:
            for transcript_pk, seq in Segment.objects.filter(transcript_id__in=real_pks).values_list(
                "transcript_id", "seq"
            ):
                have_seqs.setdefault(transcript_pk, set()).add(seq)
            have_summary = set(
                Summary.objects.filter(transcript_id__in=real_pks, version=1).values_list("transcript_id", flat=True)
            )

        segments: list[Segment] = []
        summaries: list[Summary] = []
        for plan, transcript_pk in zip(plans, transcript_pks, strict=True):
            done = have_seqs.get(transcript_pk, set())
            for seq, (text, speaker) in enumerate(plan.segments):
                if seq not in done:
                    segments.append(
                        Segment(
                            transcript_id=transcript_pk, seq=seq, text=text, speaker=speaker, created_at=plan.created_at
                        )
                    )
            if plan.summary and transcript_pk not in have_summary:
                content, text = plan.summary
                summaries.append(
                    Summary(
                        transcript_id=transcript_pk,
                        version=1,
                        content=content,
                        text=text,
                        model=SUMMARY_MODEL,
                        prompt_id=plan.prompt_pk,
                        created_at=plan.updated_at,
                        legacy_id=plan.transcript_legacy_id,
                    )
                )
        extra = self.report.counts("transcripts").extra_rows
        extra["segments"] = extra.get("segments", 0) + len(segments)
        extra["summaries"] = extra.get("summaries", 0) + len(summaries)
        self._write(Segment, segments)
        self._write(Summary, summaries)

    # --- notes ------------------------------------------------------------------------------

    def _import_notes(self) -> None:
        """Notes, each attached to an imported consultation and that consultation's transcript.

        * ``consultation`` missing or not imported: the consultation of its ``transcript``;
          neither imported: skipped (a note never points nowhere).
        * A ``transcript`` or ``clinician`` that disagrees with the consultation's is
          replaced by the consultation's (the note must be visible to its owner only).
        * A missing body is kept empty; missing timestamps come from the ``_id``.
        """
        counts = self.report.counts("notes")
        with self.progress.collection("notes", self.reader.count("notes")) as advance:
            for batch in rules.batches(self.reader.iter("notes"), self.batch_size):
                counts.read += len(batch)
                ids = [rules.oid_hex(d.get("_id")) for d in batch]
                present = set(
                    Note.objects.filter(legacy_id__in=[i for i in ids if i]).values_list("legacy_id", flat=True)
                )
                new_notes = []
                for doc in batch:
                    doc_id = self._valid_id("notes", doc)
                    if doc_id is None:
                        continue
                    note = self._plan_note(doc_id, doc)
                    if note is None:
                        continue
                    if doc_id in present:
                        counts.already_present += 1
                    else:
                        new_notes.append(note)
                counts.created += len(new_notes)
                self._write(Note, new_notes)
                advance(len(batch))

    def _plan_note(self, doc_id: str, doc: dict[str, Any]) -> Note | None:
        repairs: list[tuple[str, str]] = []
        named = rules.oid_hex(doc.get("consultation"))
        consultation_pk = self.consultations.get(named) if named else None
        via_transcript = rules.oid_hex(doc.get("transcript"))
        if consultation_pk is None and via_transcript:
            consultation_pk = self.consultation_of_transcript.get(via_transcript)
            if consultation_pk is not None:
                repairs.append(("dangling_reference", "consultation missing or not imported; took its transcript's"))
        if consultation_pk is None and not named and not via_transcript:
            consultation_pk = self._consultation_at(self._user(doc.get("clinician") or doc.get("clinicianId")), doc_id)
            if consultation_pk is not None:
                repairs.append(
                    (
                        "no_consultation_link",
                        "generation-1 note with no consultation; attached to its clinician's consultation "
                        "that started last before it was written",
                    )
                )
        if consultation_pk is None or consultation_pk not in self.transcript_of:
            self.report.skip(
                "notes", doc_id, "dangling_reference", "neither its consultation nor its transcript was imported"
            )
            return None
        transcript_pk = self.transcript_of[consultation_pk]
        if via_transcript and self.consultation_of_transcript.get(via_transcript) != consultation_pk:
            repairs.append(("inconsistent", "transcript is not its consultation's; attached to the consultation's"))
        clinician_pk = self.clinician_of_consultation[consultation_pk]
        if self._user(doc.get("clinician") or doc.get("clinicianId")) != clinician_pk:
            repairs.append(("inconsistent", "clinician missing or not the consultation's; set to the consultation's"))
        body = doc.get("body")
        if not isinstance(body, str):
            body = "" if body is None else str(body)
            repairs.append(("missing_field", "no body text; kept empty"))
        created_at = rules.aware(doc.get("created_at")) or rules.id_time(doc_id)
        updated_at = rules.aware(doc.get("updated_at")) or created_at
        for rule, reason in repairs:
            self.report.repair("notes", doc_id, rule, reason)
        if repairs:
            self.report.mark_repaired("notes")
        return Note(
            consultation_id=consultation_pk,
            transcript_id=transcript_pk,
            clinician_id=clinician_pk,
            body=body,
            created_at=created_at,
            updated_at=updated_at,
            legacy_id=doc_id,
            **_pk_kwargs(doc_id),
        )

    def _consultation_at(self, clinician_pk: Any, note_id: str) -> Any:
        """The clinician's consultation that started last before the note's ``_id`` time
        (else their first one); None when they have none."""
        if clinician_pk is None:
            return None
        starts = self._starts.setdefault(clinician_pk, {})
        if not isinstance(clinician_pk, _Planned) and clinician_pk not in self._starts_loaded:
            self._starts_loaded.add(clinician_pk)
            for pk, started_at in Consultation.objects.filter(clinician_id=clinician_pk).values_list(
                "pk", "started_at"
            ):
                starts.setdefault(pk, started_at)
        if not starts:
            return None
        written = rules.id_time(note_id)
        ordered = sorted(starts.items(), key=lambda item: (item[1], str(item[0])))
        before = [pk for pk, started_at in ordered if started_at <= written]
        return before[-1] if before else ordered[0][0]

    # --- revoked tokens ---------------------------------------------------------------------

    def _import_blacktokens(self) -> None:
        """Logged-out Node.js tokens stay logged out (``accounts.services.legacy_token_revoke``,
        idempotent). A document without a token string is skipped."""
        counts = self.report.counts("blacktokens")
        with self.progress.collection("blacktokens", self.reader.count("blacktokens")) as advance:
            for doc in self.reader.iter("blacktokens"):
                advance(1)
                counts.read += 1
                doc_id = self._valid_id("blacktokens", doc)
                if doc_id is None:
                    continue
                # Real dumps hold ``blackToken``; the earliest example dump said ``token``.
                token = doc.get("blackToken", doc.get("token"))
                if not isinstance(token, str) or not token.strip():
                    self.report.skip("blacktokens", doc_id, "missing_field", "no token")
                    continue
                if not rules.looks_like_jwt(token.strip()):
                    self.report.skip(
                        "blacktokens", doc_id, "not_a_token", "not a JWT; no such token could ever be accepted"
                    )
                    continue
                if self.dry_run:
                    key = legacy_revocation_key(token.strip())
                    if RevokedToken.objects.filter(key=key).exists():
                        counts.already_present += 1
                    else:
                        counts.created += 1
                    continue
                if legacy_token_revoke(token=token.strip()):
                    counts.created += 1
                    self.writes += 1
                    if self.stop_after_writes is not None and self.writes >= self.stop_after_writes:
                        raise ImportInterrupted(f"stopped after {self.writes} writes")
                else:
                    counts.already_present += 1
