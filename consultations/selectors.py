"""Reads of clinical records. Ownership is part of every query: another
clinician's object is simply not found (``NotFound``, answered 404).

A consultation is visible only once its transcript exists (see
``consultations.services.consultation_start``): with no transactions on MongoDB
a crash between the two inserts leaves a consultation without a transcript,
and the inner join on ``transcript`` keeps such a half-made row out of every
list and lookup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from consultations.models import (
    Consultation,
    Note,
    Prompt,
    Segment,
    Summary,
    Transcript,
)
from scribe.core import crypto
from scribe.core.exceptions import ApplicationError, NotFound
from scribe.core.ids import parse_pk

_LEGACY_ID = re.compile(r"[0-9a-fA-F]{24}")


def id_lookup(value: object, *, via: str = "") -> Q | None:
    """The filter finding a record by an id a client sent: Scribe's pk, or the 24-hex
    ``_id`` it had in the Node.js database (``legacy_id``). None when ``value`` can be
    neither (the caller answers "not found"). ``via`` names a relation to look through
    (``"consultation__"``). Both faces (``/api/v1`` and the Node.js
    routes) look records up through it, so a bookmarked Node.js link keeps working."""
    parsed = parse_pk(value)
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    legacy = text.lower() if _LEGACY_ID.fullmatch(text) else None
    if parsed is None and legacy is None:
        return None
    by_pk, by_legacy = Q(**{f"{via}pk": parsed}), Q(**{f"{via}legacy_id": legacy})
    if legacy is None:
        return by_pk
    if parsed is None:
        return by_legacy
    return by_pk | by_legacy


# --- Consultations -----------------------------------------------------------------


def patient_index_match(*, name: str = "", nhs_number: str = "") -> Q:
    """Consultations whose blind index (``Consultation.patient_name``) holds every word of
    ``name`` as a word prefix and/or exactly ``nhs_number``, under any configured index key
    (so a search keeps working while ``rotate_field_keys`` rebuilds the index)."""
    match = Q()
    if name:
        per_key = crypto.name_search_tokens(name)
        if per_key:
            match &= _any_of(Q(*[Q(patient_name__contains=t) for t in tokens]) for tokens in per_key)
    if nhs_number:
        match &= _any_of(Q(patient_name__contains=t) for t in crypto.nhs_search_tokens(nhs_number))
    return match


def _any_of(conditions: Any) -> Q:
    out = Q(pk__in=[])
    for condition in conditions:
        out |= condition
    return out


def _visible_consultations(*, user: Any) -> QuerySet[Consultation]:
    # The inner join on the transcript, scoped by the transcript's own clinician too (the
    # same user on every row; services.consultation_start writes both): the database then
    # joins only the user's transcripts through their clinician index, where a bare
    # "has a transcript" made the list's COUNT scan every transcript of every clinician
    # (PostgreSQL, 100,000 transcripts: 40 ms -> 1 ms; see README, Performance).
    return Consultation.objects.filter(clinician=user, transcript__clinician=user)


def consultation_list(
    *,
    user: Any,
    status: str | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    search: str | None = None,
    nhs_number: str | None = None,
) -> QuerySet[Consultation]:
    """The user's consultations, newest first, with what a list row shows prefetched
    (transcript id, note ids); ``consultation_page`` attaches the page's current summaries,
    so a page costs a fixed number of queries."""
    qs = _visible_consultations(user=user)
    if status:
        qs = qs.filter(status=status)
    if started_after is not None:
        qs = qs.filter(started_at__gte=started_after)
    if started_before is not None:
        qs = qs.filter(started_at__lt=started_before)
    if search:
        qs = qs.filter(patient_index_match(name=search))
    if nhs_number:
        qs = qs.filter(patient_index_match(nhs_number=nhs_number))
    # Only the columns a list row shows (not the transcript's text, say).
    transcript_fields = ("transcript__id", "transcript__consultation_id", "transcript__summary_version")
    return _with_related(qs).only(*CONSULTATION_ROW_FIELDS, *transcript_fields).order_by("-started_at", "-pk")


def _with_related(qs: QuerySet[Consultation]) -> QuerySet[Consultation]:
    # The transcript (its summary_version names the current summary, attached by
    # ``summaries_attach_current``) and the note ids.
    return qs.select_related("transcript").prefetch_related(
        Prefetch(
            "notes",
            queryset=Note.objects.only("pk", "consultation_id").order_by("-created_at", "-pk"),
            to_attr=NOTES_ATTR,
        )
    )


# Prefetched rows are kept as plain lists (``to_attr``): without it Django builds a filtered
# queryset per row to hold them, about 30 us each (0.6 ms of a 20-row page). Read them with
# ``consultation_notes`` / ``transcript_contents``.
NOTES_ATTR = "notes_prefetched"
SEGMENTS_ATTR = "segments_prefetched"


def consultation_notes(*, consultation: Consultation) -> list[Note]:
    """The consultation's notes, newest first: the prefetched list, or one query."""
    prefetched = consultation.__dict__.get(NOTES_ATTR)
    if prefetched is not None:
        return prefetched
    return list(consultation.notes.order_by("-created_at", "-pk"))


# What a consultation row shows on both faces (ids, patient, state, times, closing summary).
CONSULTATION_ROW_FIELDS = (
    "id",
    "clinician_id",
    "patient_data",
    "status",
    "started_at",
    "ended_at",
    "summary",
    "legacy_id",
)


def summaries_attach_current(*, transcripts: Iterable[Transcript]) -> None:
    """Fetch the current summary of each transcript in one query, and only that one: the
    version its ``summary_version`` names (kept at the highest stored version by a
    conditional update after every insert, see ``services.transcript_summary_add``), not
    every version. ``summary_current`` then answers from it without a query."""
    wanted = {transcript.pk: transcript for transcript in transcripts}
    for transcript in wanted.values():
        transcript._current_summary = None
    versions = {t.summary_version for t in wanted.values() if t.summary_version}
    if not versions:
        return
    # Pairs are matched here: (transcript IN ...) AND (version IN ...) is one indexed
    # query on every engine, where an OR of 1,000 pairs would not be.
    rows = Summary.objects.filter(transcript_id__in=[pk for pk, t in wanted.items() if t.summary_version])
    for summary in rows.filter(version__in=versions):
        transcript = wanted[summary.transcript_id]
        if summary.version == transcript.summary_version:
            transcript._current_summary = summary


def consultation_get(*, user: Any, pk: object) -> Consultation:
    """The user's consultation ``pk`` (with its transcript), or ``NotFound``."""
    lookup = id_lookup(pk)
    if lookup is None:
        raise NotFound("Consultation not found.")
    try:
        consultation = _with_related(_visible_consultations(user=user)).get(lookup)
    except Consultation.DoesNotExist:
        raise NotFound("Consultation not found.") from None
    return _attached([consultation])[0]


def _with_documents(qs: QuerySet[Consultation]) -> QuerySet[Consultation]:
    # Everything a whole consultation document shows (the Node.js face's shape): the
    # clinician, the transcript with its text (segments), prompt and current summary,
    # and the notes with their clinician: a fixed number of queries however many rows.
    return qs.select_related("clinician", "transcript", "transcript__prompt_used").prefetch_related(
        Prefetch(
            "notes",
            queryset=Note.objects.select_related("clinician").order_by("-created_at", "-pk"),
            to_attr=NOTES_ATTR,
        ),
        Prefetch(
            "transcript__segments",
            queryset=Segment.objects.order_by("seq").only("pk", "transcript_id", "seq", "text", "created_at"),
            to_attr=SEGMENTS_ATTR,
        ),
    )


def _attached(consultations: list[Consultation]) -> list[Consultation]:
    summaries_attach_current(transcripts=[consultation.transcript for consultation in consultations])
    return consultations


def consultation_page(*, consultations: Iterable[Consultation]) -> list[Consultation]:
    """A page of ``consultation_list`` with each row's current summary attached (one query)."""
    return _attached(list(consultations))


def consultation_documents(*, user: Any) -> list[Consultation]:
    """All the user's consultations (no paging), newest ``started_at`` first, each with
    its transcript, notes, prompt and current summary (a fixed number of queries)."""
    return _attached(list(_with_documents(_visible_consultations(user=user)).order_by("-started_at", "-pk")))


def consultation_document_get(*, user: Any, pk: object) -> Consultation:
    """One of the user's consultations (Scribe id or legacy ``_id``) as a whole document."""
    lookup = id_lookup(pk)
    if lookup is None:
        raise NotFound("Consultation not found.")
    try:
        consultation = _with_documents(_visible_consultations(user=user)).get(lookup)
    except Consultation.DoesNotExist:
        raise NotFound("Consultation not found.") from None
    return _attached([consultation])[0]


def consultation_current_summary(*, consultation: Consultation) -> Summary | None:
    """The current summary of a consultation fetched by this module (attached, no query)."""
    return summary_current(transcript=consultation.transcript)


# --- Transcripts -------------------------------------------------------------------


def transcript_get(*, user: Any, pk: object) -> Transcript:
    """The user's transcript ``pk`` (consultation and prompt_used joined), or ``NotFound``."""
    lookup = id_lookup(pk)
    if lookup is None:
        raise NotFound("Transcript not found.")
    try:
        return Transcript.objects.select_related("consultation", "prompt_used").get(lookup, clinician=user)
    except Transcript.DoesNotExist:
        raise NotFound("Transcript not found.") from None


def transcript_of_consultation(*, user: Any, consultation_pk: object) -> Transcript:
    """The transcript of the user's consultation ``consultation_pk`` (Scribe id or legacy
    ``_id``), consultation and prompt_used joined, in one query; or ``NotFound``."""
    lookup = id_lookup(consultation_pk, via="consultation__")
    if lookup is None:
        raise NotFound("Transcript not found.")
    try:
        return Transcript.objects.select_related("consultation", "prompt_used").get(
            lookup, clinician=user, consultation__clinician=user
        )
    except Transcript.DoesNotExist:
        raise NotFound("Transcript not found.") from None


def segment_list(*, transcript: Transcript) -> QuerySet[Segment]:
    """The transcript's segments in ``seq`` order (the caller got ``transcript`` from
    ``transcript_get``, which is where ownership is decided)."""
    return Segment.objects.filter(transcript=transcript).order_by("seq")


@dataclass(frozen=True)
class TranscriptContents:
    """What a transcript shows that its segments decide, from one query."""

    text: str
    segments_count: int
    # The transcript row's own updated_at, or its newest segment's created_at if later:
    # an append writes no shared row (see services.segment_append).
    updated_at: datetime


def transcript_contents(*, transcript: Transcript) -> TranscriptContents:
    """The transcript's text (the clinician's full text if one was PUT, otherwise the
    segments in ``seq`` order, one per line), its segment count and its last change: the
    texts and the newest segment time, two queries (none when the segments were
    prefetched). Not remembered: an output builder calls it once per transcript."""
    prefetched = transcript.__dict__.get(SEGMENTS_ATTR)
    if prefetched is not None:
        rows = sorted(((s.seq, s.text, s.created_at) for s in prefetched), key=lambda row: row[0])
        count, last = len(rows), max((row[2] for row in rows), default=None)
    else:
        segments = Segment.objects.filter(transcript=transcript)
        rows, count, last = [], 0, None
        if transcript.edited_text is None:
            # Only the texts: turning 1,000 stored times into datetimes costs more than the
            # query; the newest time is the database's MAX (no query when there are none).
            rows = [(None, text, None) for text in segments.order_by("seq").values_list("text", flat=True)]
            count = len(rows)
            if count:
                last = segments.aggregate(last=Max("created_at"))["last"]
        else:
            totals = segments.aggregate(count=Count("pk"), last=Max("created_at"))
            count, last = totals["count"], totals["last"]
    text = transcript.edited_text if transcript.edited_text is not None else "\n".join(row[1] for row in rows)
    updated_at = transcript.updated_at if last is None else max(transcript.updated_at, last)
    return TranscriptContents(text=text, segments_count=count, updated_at=updated_at)


def transcript_text(*, transcript: Transcript) -> str:
    """The transcript's text (see ``transcript_contents``)."""
    return transcript_contents(transcript=transcript).text


def transcript_segments_count(*, transcript: Transcript) -> int:
    return transcript_contents(transcript=transcript).segments_count


def transcript_updated_at(*, transcript: Transcript) -> datetime:
    return transcript_contents(transcript=transcript).updated_at


def transcript_next_seq(*, transcript: Transcript) -> int:
    """The ``seq`` after the transcript's last stored segment (0 for none): where a new
    recording into it continues."""
    last = Segment.objects.filter(transcript=transcript).order_by("-seq").values_list("seq", flat=True).first()
    return 0 if last is None else last + 1


def summary_current(*, transcript: Transcript) -> Summary | None:
    """The transcript's newest summary version, or None (no query when
    ``summaries_attach_current`` attached it; the services that add a version drop it)."""
    if hasattr(transcript, "_current_summary"):
        return transcript._current_summary
    return Summary.objects.filter(transcript=transcript).select_related("prompt").order_by("-version").first()


# --- Notes -------------------------------------------------------------------------


def note_list(*, user: Any, consultation: object | None = None) -> QuerySet[Note]:
    qs = Note.objects.filter(clinician=user)
    if consultation is not None:
        lookup = id_lookup(consultation, via="consultation__")
        if lookup is None:
            return qs.none()
        qs = qs.filter(lookup)
    # The clinician is joined: the Node.js face shows it on every note.
    return qs.select_related("clinician").order_by("-created_at", "-pk")


def note_get(*, user: Any, pk: object) -> Note:
    lookup = id_lookup(pk)
    if lookup is None:
        raise NotFound("Note not found.")
    try:
        return Note.objects.get(lookup, clinician=user)
    except Note.DoesNotExist:
        raise NotFound("Note not found.") from None


# --- Prompts -----------------------------------------------------------------------


def prompt_list(*, user: Any) -> QuerySet[Prompt]:
    """The user's prompts and other clinicians' shareable ones; never soft-deleted ones."""
    return (
        Prompt.objects.filter(Q(owner=user) | Q(is_shareable=True), is_deleted=False)
        .select_related("owner")
        .order_by("-created_at", "-pk")
    )


def prompt_documents(*, user: Any) -> QuerySet[Prompt]:
    """``prompt_list`` with each prompt's transcripts among the user's own prefetched
    (the Node.js ``transcript_ids``): two queries however many prompts."""
    return prompt_list(user=user).prefetch_related(
        Prefetch("transcripts", queryset=Transcript.objects.filter(clinician=user).only("pk", "prompt_used_id"))
    )


def prompt_get_usable(*, user: Any, pk: object) -> Prompt:
    """A prompt the user may read or summarise with: their own, or another clinician's
    shareable one; not deleted. Otherwise ``NotFound`` (a private prompt is not revealed)."""
    lookup = id_lookup(pk)
    if lookup is None:
        raise NotFound("Prompt not found.")
    try:
        return prompt_list(user=user).get(lookup)
    except Prompt.DoesNotExist:
        raise NotFound("Prompt not found.") from None


def prompt_get_owned(*, user: Any, pk: object) -> Prompt:
    """The user's own, not deleted prompt ``pk``; anything else (another clinician's,
    even shareable, or a deleted one) is ``NotFound``."""
    lookup = id_lookup(pk)
    if lookup is None:
        raise NotFound("Prompt not found.")
    try:
        return Prompt.objects.select_related("owner").get(lookup, owner=user, is_deleted=False)
    except Prompt.DoesNotExist:
        raise NotFound("Prompt not found.") from None


class NotPromptOwner(ApplicationError):
    status_code = 403
    code = "permission_denied"
    default_detail = "Only the prompt's owner may change or delete it."


def prompt_get_editable(*, user: Any, pk: object) -> Prompt:
    """The user's own prompt, to change or delete. Another clinician's shareable prompt
    is visible to the user, so changing it is refused openly (``NotPromptOwner``, 403);
    anything the user cannot see is ``NotFound``."""
    prompt = prompt_get_usable(user=user, pk=pk)
    if prompt.owner_id != user.pk:
        raise NotPromptOwner()
    return prompt


# --- Export (subject access requests) --------------------------------------------

EXPORT_FORMAT = "scribe.consultation-export/1"


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def consultation_export(consultation: Consultation) -> dict[str, Any]:
    """Everything Scribe holds about one consultation, ids as strings, times in ISO 8601."""
    clinician = consultation.clinician
    transcript = Transcript.objects.select_related("prompt_used").filter(consultation=consultation).first()
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "consultation": {
            "id": _id(consultation.pk),
            "legacy_id": consultation.legacy_id,
            "clinician": {"id": _id(clinician.pk), "username": clinician.username, "email": clinician.email},
            "patient_data": consultation.patient_data,
            "status": consultation.status,
            "started_at": _when(consultation.started_at),
            "ended_at": _when(consultation.ended_at),
            "summary": consultation.summary,
        },
        "transcript": None,
        "notes": [
            {
                "id": _id(note.pk),
                "legacy_id": note.legacy_id,
                "body": note.body,
                "created_at": _when(note.created_at),
                "updated_at": _when(note.updated_at),
            }
            for note in Note.objects.filter(consultation=consultation).order_by("created_at", "pk")
        ],
        "summaries": [],
    }
    if transcript is None:
        return document
    prompt = transcript.prompt_used
    document["transcript"] = {
        "id": _id(transcript.pk),
        "legacy_id": transcript.legacy_id,
        "transcript_text": transcript_text(transcript=transcript),
        "prompt_used": {"id": _id(prompt.pk), "name": prompt.name} if prompt else None,
        "created_at": _when(transcript.created_at),
        "updated_at": _when(transcript.updated_at),
        "segments": [
            {
                "seq": s.seq,
                "speaker": s.speaker,
                "text": s.text,
                "start_ms": s.start_ms,
                "end_ms": s.end_ms,
                "created_at": _when(s.created_at),
            }
            for s in Segment.objects.filter(transcript=transcript).order_by("seq")
        ],
    }
    document["summaries"] = [
        {
            "version": s.version,
            "content": s.content,
            "text": s.text,
            "model": s.model,
            "prompt": {"id": _id(s.prompt_id), "name": s.prompt.name} if s.prompt_id else None,
            "created_at": _when(s.created_at),
        }
        for s in Summary.objects.filter(transcript=transcript).select_related("prompt").order_by("version")
    ]
    return document
