"""Ending a consultation with its AI work, as the Node.js backend did on ``end``.

``aconsultation_end_with_summary`` ends the consultation, then writes its SOAP
summary (the given prompt or the built-in one) with the highlights (clinical terms
with SNOMED CT codes checked against the NHS terminology server, ``ai.highlights``)
as one new summary version.

Guarantees:

* The end is decided first, by ``consultations.services.consultation_end`` (a
  conditional update): of two concurrent ends one wins, the other is a ``Conflict``
  (409) before any model is asked, so one end makes one summary.
* Nothing half-written: highlights and summary are generated first and stored in
  one insert (the summary version carries its highlights). A model failure (not
  configured, quota used up, timeout, nonsense, an empty transcript) still ends the
  consultation, stores nothing and answers ``summary: "Summary not generated"``, as
  the Node.js backend did; the quota slot is given back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ai.highlights import ahighlights_extract, highlights_verify
from ai.quota import quota_release
from ai.summaries import SummaryJob, asummary_run, summary_prepare
from consultations.models import Consultation, Prompt
from consultations.services import consultation_end
from scribe.core.asyncdb import database_sync_to_async
from scribe.core.exceptions import ApplicationError

logger = logging.getLogger("scribe.ai")

SUMMARY_NOT_GENERATED = "Summary not generated"


@dataclass
class ConsultationEnded:
    consultation: Consultation
    summary: str = SUMMARY_NOT_GENERATED
    highlights: list[dict[str, Any]] = field(default_factory=list)
    summary_id: str | None = None
    generated: bool = False


def _not_generated(consultation: Consultation, error: ApplicationError) -> None:
    logger.warning("end_summary_not_generated", extra={"consultation_id": str(consultation.pk), "code": error.code})


def _end_and_prepare(*, user: Any, consultation: Consultation, prompt: Prompt | None) -> SummaryJob | None:
    """End the consultation (``Conflict`` when it had already ended), then prepare its
    summary job (quota slot claimed); ``None`` when the model cannot be asked."""
    consultation_end(consultation=consultation)
    try:
        return summary_prepare(user=user, transcript=consultation.transcript, prompt=prompt)
    except ApplicationError as error:
        _not_generated(consultation, error)
        return None


def _generated(ended: ConsultationEnded, job: SummaryJob, answer: dict[str, Any]) -> ConsultationEnded:
    ended.summary = answer["text"]
    ended.highlights = job.highlights or []
    ended.summary_id = answer["summary_id"]
    ended.generated = True
    return ended


async def aconsultation_end_with_summary(
    *, user: Any, consultation: Consultation, prompt: Prompt | None = None
) -> ConsultationEnded:
    """End ``consultation`` (the caller's, found through a selector), then summarise it
    with ``prompt`` (usable by the caller) or the built-in prompt and store the summary
    with its verified highlights. Raises ``Conflict`` when it had already ended; model
    failures are answered, not raised (see the module docstring). The end, the
    preparation and the storage run in a thread (``database_sync_to_async``); the provider
    is awaited for the highlights and the summary. The quota slot is also given back when
    the request is cancelled while waiting."""
    ended = ConsultationEnded(consultation=consultation)
    job = await database_sync_to_async(_end_and_prepare)(user=user, consultation=consultation, prompt=prompt)
    if job is None:
        return ended
    try:
        proposed = await ahighlights_extract(job)
        # The terminology server is asked through its sync client (and its cache).
        job.highlights = await database_sync_to_async(highlights_verify)(proposed)
    except ApplicationError as error:
        await database_sync_to_async(quota_release)(job.usage)
        _not_generated(consultation, error)
        return ended
    except BaseException:
        await database_sync_to_async(quota_release)(job.usage)
        raise
    try:
        answer = await asummary_run(job)  # gives the quota slot back itself when it fails
    except ApplicationError as error:
        _not_generated(consultation, error)
        return ended
    return _generated(ended, job, answer)
