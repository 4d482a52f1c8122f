"""Writes of clinical records.

MongoDB has no transactions, so no guarantee here rests on one: segments and
summaries are insert-only rows whose unique constraints make concurrent
writers safe (an ``IntegrityError`` is the signal), and state changes are
conditional updates (``filter(state=...).update(...)``, one row or none).
Every write still runs in a ``transaction.atomic`` block, a no-op on MongoDB,
for the SQL engines' sake: it is a savepoint, so an ``IntegrityError`` does not
poison a surrounding transaction; it keeps half-made rows out; and on SQLite it
is a ``BEGIN IMMEDIATE`` that waits on the busy timeout for the write lock,
where a bare autocommit write can fail at once under concurrent writers. The
segment append, the hottest write, skips the block where it only costs round
trips (a single insert on PostgreSQL in autocommit; see ``_write_block``).
"""

from __future__ import annotations

import difflib
import logging
from contextlib import nullcontext
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from consultations.models import (
    Consultation,
    ConsultationStatus,
    Note,
    Prompt,
    Segment,
    Speaker,
    Summary,
    Transcript,
)
from scribe.core import crypto
from scribe.core.exceptions import Conflict, InvalidInput, NotFound

logger = logging.getLogger("scribe.consultations")

# Limits of one segment (a few seconds of speech; generous) and of seq numbers
# (a 3-hour consultation with a segment a second stays far below).
SEGMENT_MAX_CHARS = 10_000
SEGMENT_MAX_SEQ = 1_000_000
# A whole transcript text PUT by an older client (the 1 MiB body limit applies too).
TRANSCRIPT_TEXT_MAX_CHARS = 500_000
PATIENT_NAME_MAX_CHARS = 200
SUMMARY_VERSION_ATTEMPTS = 20


# --- Consultations -----------------------------------------------------------------


def patient_search_name(patient_data: dict[str, Any]) -> str:
    """The blind index the list's ``search`` and ``nhs_number`` filters match (keyed HMAC
    tokens of the name's word prefixes and of the NHS number; scribe.core.crypto)."""
    if not isinstance(patient_data, dict):
        return ""
    name = patient_data.get("name")
    name = str(name)[:PATIENT_NAME_MAX_CHARS] if name is not None else ""
    return crypto.index_value(name=name, nhs_number=patient_data.get("nhs_number") or "")


def consultation_start(*, clinician: Any, patient_data: dict[str, Any]) -> Consultation:
    """Create a consultation and its transcript.

    Never visible half-made: selectors show a consultation only once its
    transcript exists, so a process dying between the two inserts (possible on
    MongoDB, which has no transactions) leaves an invisible row, never a
    consultation without a transcript. On SQL engines the block is atomic too.
    """
    now = timezone.now()
    with transaction.atomic():
        consultation = Consultation.objects.create(
            clinician=clinician,
            patient_data=patient_data,
            patient_name=patient_search_name(patient_data),
            status=ConsultationStatus.ACTIVE,
            started_at=now,
        )
        transcript = Transcript.objects.create(
            consultation=consultation, clinician=clinician, created_at=now, updated_at=now
        )
    consultation.transcript = transcript
    logger.info("consultation started", extra={"consultation_id": str(consultation.pk)})
    return consultation


def consultation_end(*, consultation: Consultation, summary: str | None = None) -> Consultation:
    """End an active consultation (conditional update). Ending an ended one: ``Conflict``."""
    now = timezone.now()
    changes: dict[str, Any] = {"status": ConsultationStatus.ENDED, "ended_at": now}
    if summary is not None:
        changes["summary"] = summary
    with transaction.atomic():
        updated = Consultation.objects.filter(pk=consultation.pk, status=ConsultationStatus.ACTIVE).update(**changes)
    if not updated:
        raise Conflict("This consultation has already ended.", code="consultation_ended")
    for field, value in changes.items():
        setattr(consultation, field, value)
    logger.info("consultation ended", extra={"consultation_id": str(consultation.pk)})
    return consultation


# --- Transcripts and segments -------------------------------------------------------


def _closed_reason(*, status: str, edited_text: str | None) -> str | None:
    if status != ConsultationStatus.ACTIVE:
        return "The consultation has ended; its transcript takes no more segments."
    if edited_text is not None:
        return "The transcript's full text was saved with PUT; it takes no more segments."
    return None


def _transcript_closed_reason(*, transcript_pk: object) -> str | None:
    """Why the transcript no longer takes segments (read fresh: one lookup by primary key,
    the consultation joined), or None if it does."""
    row = Transcript.objects.filter(pk=transcript_pk).values("edited_text", "consultation__status").first()
    if row is None:
        return "This transcript no longer exists."
    return _closed_reason(status=row["consultation__status"], edited_text=row["edited_text"])


def _known_closed_reason(transcript: Transcript) -> str | None:
    """Why ``transcript`` takes no segments as the caller loaded it (no query): the
    selectors join the consultation, so a request's own lookup is this check; a
    transcript object held longer (a live recording) may be stale, which the fresh
    check after the insert catches."""
    consultation = transcript._state.fields_cache.get("consultation")
    if consultation is None:
        return None
    return _closed_reason(status=consultation.status, edited_text=transcript.edited_text)


def _write_block() -> Any:
    """The block one insert runs in. SQLite: ``atomic`` (``BEGIN IMMEDIATE``, which waits
    on the busy timeout for the write lock). Inside a caller's transaction: ``atomic`` (a
    savepoint, so an ``IntegrityError`` does not poison it). Otherwise (PostgreSQL in
    autocommit, MongoDB) a single insert is atomic by itself and ``BEGIN``/``COMMIT``
    would only add two round trips."""
    connection = transaction.get_connection()
    if connection.vendor == "sqlite" or connection.in_atomic_block:
        return transaction.atomic()
    return nullcontext()


def _validate_segment(*, seq: Any, text: Any, speaker: Any, start_ms: Any, end_ms: Any) -> None:
    errors: dict[str, list[str]] = {}
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= SEGMENT_MAX_SEQ:
        errors["seq"] = [f"Must be an integer from 0 to {SEGMENT_MAX_SEQ}."]
    if not isinstance(text, str) or not text.strip():
        errors["text"] = ["Must be non-empty text."]
    elif len(text) > SEGMENT_MAX_CHARS:
        errors["text"] = [f"Must be at most {SEGMENT_MAX_CHARS} characters."]
    if speaker not in Speaker.values:
        errors["speaker"] = [f"Must be one of: {', '.join(Speaker.values)}."]
    for name, value in (("start_ms", start_ms), ("end_ms", end_ms)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**31 - 1):
            errors[name] = ["Must be a non-negative integer (milliseconds)."]
    if not errors and start_ms is not None and end_ms is not None and end_ms < start_ms:
        errors["end_ms"] = ["Must not be before start_ms."]
    if errors:
        raise InvalidInput(errors=errors)


def _existing_segment(*, transcript: Transcript, seq: int, text: str) -> Segment:
    existing = Segment.objects.filter(transcript=transcript, seq=seq).first()
    if existing is None:
        # Only reachable when the conflicting row vanished (its transcript was deleted).
        raise Conflict("The segment could not be stored; please retry.", code="segment_conflict")
    if existing.text != text:
        raise Conflict(f"Segment {seq} already exists with different text.", code="segment_conflict")
    return existing


def segment_append(
    *,
    transcript: Transcript,
    seq: int,
    text: str,
    speaker: str = Speaker.UNKNOWN,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> tuple[Segment, bool]:
    """Store segment ``seq`` of a transcript; returns ``(segment, created)``.

    Idempotent by ``seq``: the same text again returns the stored segment with
    ``created=False``; other text for a stored ``seq`` raises ``Conflict``.
    Segments may arrive in any order; ``transcript_text`` orders them. The
    unique (transcript, seq) constraint decides between concurrent writers, no
    lock is taken. A transcript whose consultation ended, or whose full text was
    PUT, takes no new segments (``Conflict``); the check is repeated after the
    insert and a segment that lost that race is removed again, so every
    segment answered ``created`` was stored while the transcript was open.
    Limits on ``seq``, text size, speaker and timings raise ``InvalidInput``.
    """
    _validate_segment(seq=seq, text=text, speaker=speaker, start_ms=start_ms, end_ms=end_ms)

    closed = _known_closed_reason(transcript)
    if closed is not None:
        # A retry of a segment stored before closing is still answered idempotently.
        existing = Segment.objects.filter(transcript=transcript, seq=seq).first()
        if existing is not None and existing.text == text:
            return existing, False
        raise Conflict(closed, code="transcript_closed")

    try:
        with _write_block():
            segment = Segment.objects.create(
                transcript=transcript,
                seq=seq,
                text=text,
                speaker=speaker,
                start_ms=start_ms,
                end_ms=end_ms,
            )
    except IntegrityError:
        return _existing_segment(transcript=transcript, seq=seq, text=text), False

    # The fresh check, after the insert: if the transcript closed meanwhile (or the
    # caller's copy was stale) the segment is taken out again, so every segment answered
    # ``created`` was stored while the transcript was open. No write to the transcript
    # row: its ``updated_at`` and segment count are derived when read
    # (``selectors.transcript_contents``), so appenders never queue on one row.
    closed = _transcript_closed_reason(transcript_pk=transcript.pk)
    if closed is not None:
        with _write_block():
            Segment.objects.filter(pk=segment.pk).delete()
        raise Conflict(closed, code="transcript_closed")
    return segment, True


def transcript_text_replace(*, transcript: Transcript, text: str) -> Transcript:
    """Store the clinician's full text (older clients PUT the whole transcript).

    From then on ``transcript_text`` is this text; the segments are kept (never
    deleted, still counted) but take no new appends (``Conflict``). The text can
    be replaced again while the consultation is active; after it ended:
    ``Conflict``.
    """
    if not isinstance(text, str):
        raise InvalidInput(errors={"transcript_text": ["Must be text."]})
    if len(text) > TRANSCRIPT_TEXT_MAX_CHARS:
        raise InvalidInput(errors={"transcript_text": [f"Must be at most {TRANSCRIPT_TEXT_MAX_CHARS} characters."]})
    if not Consultation.objects.filter(pk=transcript.consultation_id, status=ConsultationStatus.ACTIVE).exists():
        raise Conflict("The consultation has ended; its transcript can no longer be changed.", code="transcript_closed")
    now = timezone.now()
    with transaction.atomic():
        Transcript.objects.filter(pk=transcript.pk).update(edited_text=text, updated_at=now)
    transcript.edited_text = text
    transcript.updated_at = now
    logger.info("transcript text replaced", extra={"transcript_id": str(transcript.pk)})
    return transcript


def transcript_prompt_link(*, transcript: Transcript, prompt: Prompt) -> Transcript:
    """Name ``prompt`` as the transcript's ``prompt_used`` (the Node.js ``add-prompt``).

    The caller found both through the selectors (the transcript is the caller's, the
    prompt usable by them). A later summary names its own prompt again.
    """
    now = timezone.now()
    with transaction.atomic():
        Transcript.objects.filter(pk=transcript.pk).update(prompt_used=prompt, updated_at=now)
    transcript.prompt_used = prompt
    transcript.updated_at = now
    logger.info("prompt linked", extra={"transcript_id": str(transcript.pk), "prompt_id": str(prompt.pk)})
    return transcript


# --- Summaries ---------------------------------------------------------------------


def transcript_summary_add(
    *,
    transcript: Transcript,
    content: dict[str, Any],
    text: str,
    model: str,
    prompt: Prompt | None,
    legacy_id: str | None = None,
    highlights: list[dict[str, Any]] | None = None,
) -> Summary:
    """Insert the transcript's next summary version (insert-only, never overwrites).

    Concurrent writers race on the unique (transcript, version) constraint and
    the loser retries with the next number. With ``legacy_id`` the call is
    idempotent: a summary already imported under that id is returned. The
    transcript's ``prompt_used`` then names the prompt of its current (highest)
    summary, by a conditional update that never lets an older version win.
    """
    for _attempt in range(SUMMARY_VERSION_ATTEMPTS):
        if legacy_id is not None:
            already = Summary.objects.filter(legacy_id=legacy_id).first()
            if already is not None:
                return already
        latest = (
            Summary.objects.filter(transcript=transcript).order_by("-version").values_list("version", flat=True).first()
        )
        version = (latest or 0) + 1
        try:
            with transaction.atomic():
                summary = Summary.objects.create(
                    transcript=transcript,
                    version=version,
                    content=content,
                    text=text,
                    model=model,
                    prompt=prompt,
                    legacy_id=legacy_id,
                    highlights=highlights or [],
                )
        except IntegrityError:
            continue
        with transaction.atomic():
            Transcript.objects.filter(pk=transcript.pk, summary_version__lt=version).update(
                prompt_used=prompt, summary_version=version, updated_at=timezone.now()
            )
        transcript.refresh_from_db(fields=["prompt_used", "summary_version", "updated_at"])
        transcript.__dict__.pop("_current_summary", None)  # attached by a selector: now stale
        logger.info(
            "summary stored",
            extra={"transcript_id": str(transcript.pk), "summary_id": str(summary.pk), "version": version},
        )
        return summary
    raise Conflict("The summary could not be stored; please retry.", code="summary_conflict")


# --- Notes -------------------------------------------------------------------------


def note_create(*, clinician: Any, consultation: Consultation, body: str) -> Note:
    now = timezone.now()
    with transaction.atomic():
        note = Note.objects.create(
            consultation=consultation,
            transcript=consultation.transcript,
            clinician=clinician,
            body=body,
            created_at=now,
            updated_at=now,
        )
    logger.info("note created", extra={"note_id": str(note.pk)})
    return note


def note_update(*, note: Note, body: str) -> Note:
    now = timezone.now()
    with transaction.atomic():
        Note.objects.filter(pk=note.pk).update(body=body, updated_at=now)
    note.body = body
    note.updated_at = now
    return note


def note_delete(*, note: Note) -> None:
    with transaction.atomic():
        Note.objects.filter(pk=note.pk).delete()
    logger.info("note deleted", extra={"note_id": str(note.pk)})


# --- Prompts -----------------------------------------------------------------------


def prompt_create(*, owner: Any, name: str, text: str, is_shareable: bool = False) -> Prompt:
    now = timezone.now()
    with transaction.atomic():
        prompt = Prompt.objects.create(
            owner=owner, name=name, text=text, is_shareable=is_shareable, created_at=now, updated_at=now
        )
    logger.info("prompt created", extra={"prompt_id": str(prompt.pk)})
    return prompt


def prompt_update(*, prompt: Prompt, **changes: Any) -> Prompt:
    """Change a prompt's ``name``, ``text`` or ``is_shareable`` (not a deleted one)."""
    allowed = {key: value for key, value in changes.items() if key in {"name", "text", "is_shareable"}}
    allowed["updated_at"] = timezone.now()
    with transaction.atomic():
        updated = Prompt.objects.filter(pk=prompt.pk, is_deleted=False).update(**allowed)
    if not updated:
        raise Conflict("This prompt has been deleted.", code="prompt_deleted")
    for field, value in allowed.items():
        setattr(prompt, field, value)
    return prompt


def prompt_soft_delete(*, prompt: Prompt) -> None:
    """Hide a prompt from every list; transcripts and summaries that used it keep naming it."""
    with transaction.atomic():
        Prompt.objects.filter(pk=prompt.pk).update(is_deleted=True, updated_at=timezone.now())
    logger.info("prompt deleted", extra={"prompt_id": str(prompt.pk)})


# --- Signing (issue 15) ------------------------------------------------------------

SIGN_SECTIONS = ("subjective", "objective", "assessment", "plan")
SIGN_SECTION_MAX_CHARS = 20_000
# The ``model`` of a version the clinician wrote by editing another one.
CLINICIAN_EDIT_MODEL = "clinician-edit"


def _section_text(content: dict[str, Any], section: str) -> str:
    value = content.get(section, "")
    return value if isinstance(value, str) else ""


def _sections_text(content: dict[str, Any]) -> str:
    return "\n\n".join(f"{section.capitalize()}:\n{_section_text(content, section)}" for section in SIGN_SECTIONS)


def summary_sign_diff(*, draft: dict[str, Any], signed: dict[str, Any]) -> dict[str, str]:
    """Per SOAP section, the unified diff from the AI draft to the signed text
    (sections that did not change are left out)."""
    diff: dict[str, str] = {}
    for section in SIGN_SECTIONS:
        before, after = _section_text(draft, section), _section_text(signed, section)
        if before != after:
            diff[section] = "\n".join(
                difflib.unified_diff(
                    before.splitlines(), after.splitlines(), fromfile="draft", tofile="signed", lineterm=""
                )
            )
    return diff


def _validate_edits(edits: Any) -> dict[str, str]:
    if edits is None:
        return {}
    if not isinstance(edits, dict):
        raise InvalidInput(errors={"edits": ["Must be an object of SOAP sections."]})
    errors: dict[str, list[str]] = {}
    for key, value in edits.items():
        if key not in SIGN_SECTIONS:
            errors[f"edits.{key}"] = [f"Unknown section; use: {', '.join(SIGN_SECTIONS)}."]
        elif not isinstance(value, str):
            errors[f"edits.{key}"] = ["Must be text."]
        elif len(value) > SIGN_SECTION_MAX_CHARS:
            errors[f"edits.{key}"] = [f"Must be at most {SIGN_SECTION_MAX_CHARS} characters."]
    if errors:
        raise InvalidInput(errors=errors)
    return dict(edits)


def _newest_version(transcript: Transcript) -> int | None:
    return Summary.objects.filter(transcript=transcript).order_by("-version").values_list("version", flat=True).first()


def _ai_draft_of(summary: Summary) -> Summary:
    """The newest AI-written version at or below ``summary`` (itself when it is one)."""
    draft = (
        Summary.objects.filter(transcript_id=summary.transcript_id, version__lte=summary.version)
        .exclude(model=CLINICIAN_EDIT_MODEL)
        .order_by("-version")
        .first()
    )
    return draft or summary


def summary_sign(*, transcript: Transcript, version: int, signer: Any, edits: dict[str, str] | None = None) -> Summary:
    """Sign summary ``version`` of ``transcript``, optionally after ``edits`` (SOAP
    sections replacing the version's text, stored first as a new version that is
    then the one signed).

    Guarantees: a version is signed at most once (a conditional update on
    ``signed_at IS NULL`` decides between racing signers; the loser gets
    ``Conflict``); only the newest version can be signed (``Conflict`` otherwise),
    and the check is repeated after the update: when a new version was inserted
    meanwhile the signature is taken back and the caller gets ``Conflict``, so
    a newer draft is never silently left behind a signature. The signed row
    keeps the AI draft it derives from (``draft_version``) and the per-section
    diff from it (``sign_diff``). Unknown version: ``NotFound``.
    """
    checked_edits = _validate_edits(edits)
    summary = Summary.objects.filter(transcript=transcript, version=version).first()
    if summary is None:
        raise NotFound("Summary version not found.")
    if summary.signed_at is not None:
        raise Conflict("This summary version is already signed.", code="summary_signed")
    if _newest_version(transcript) != version:
        raise Conflict("Only the newest summary version can be signed.", code="summary_not_newest")

    draft = _ai_draft_of(summary)
    target = summary
    if checked_edits:
        content = {**summary.content, **checked_edits}
        try:
            # Exactly the next version: if another version (or another signer's edits)
            # took that number first, these edits were made on an older version.
            with transaction.atomic():
                target = Summary.objects.create(
                    transcript=transcript,
                    version=version + 1,
                    content=content,
                    text=_sections_text(content),
                    model=CLINICIAN_EDIT_MODEL,
                    prompt=summary.prompt,
                    # The edits change the wording, not what was said: the signed
                    # draft's highlights (verified codes, evidence seqs) still hold.
                    highlights=summary.highlights,
                )
        except IntegrityError:
            raise Conflict("Only the newest summary version can be signed.", code="summary_not_newest") from None
        with transaction.atomic():
            Transcript.objects.filter(pk=transcript.pk, summary_version__lt=target.version).update(
                prompt_used=summary.prompt, summary_version=target.version, updated_at=timezone.now()
            )

    now = timezone.now()
    changes = {
        "signed_by": signer,
        "signed_at": now,
        "draft_version": draft.version,
        "sign_diff": summary_sign_diff(draft=draft.content, signed=target.content),
    }
    with transaction.atomic():
        updated = Summary.objects.filter(pk=target.pk, signed_at__isnull=True).update(**changes)
    if not updated:
        raise Conflict("This summary version is already signed.", code="summary_signed")
    if _newest_version(transcript) != target.version:
        with transaction.atomic():
            Summary.objects.filter(pk=target.pk, signed_at=now).update(
                signed_by=None, signed_at=None, draft_version=None, sign_diff={}
            )
        raise Conflict("A newer summary version was stored meanwhile; review it first.", code="summary_not_newest")
    for field, value in changes.items():
        setattr(target, field, value)
    transcript.__dict__.pop("_current_summary", None)  # attached by a selector: now stale
    logger.info(
        "summary signed",
        extra={"transcript_id": str(transcript.pk), "summary_id": str(target.pk), "version": target.version},
    )
    return target
