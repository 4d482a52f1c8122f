"""Reads of questionnaire responses. Ownership is in every query (the clinician
stored on the row): another clinician's response is simply not found."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from consultations.models import Consultation
from questionnaires.models import QuestionnaireResponse
from scribe.core import crypto
from scribe.core.exceptions import NotFound
from scribe.core.ids import parse_pk

# A patient's history shows at most this many responses per instrument (the newest).
HISTORY_MAX = 200


def questionnaire_list(*, user: Any, urgent: bool | None = None) -> QuerySet[QuestionnaireResponse]:
    qs = QuestionnaireResponse.objects.filter(clinician=user)
    if urgent is not None:
        qs = qs.filter(urgent=urgent)
    return qs.order_by("-created_at", "-pk")


def questionnaire_awaiting_review(*, user: Any) -> QuerySet[QuestionnaireResponse]:
    """Flagged responses nobody marked reviewed yet: all of them, never paged."""
    return QuestionnaireResponse.objects.filter(clinician=user, urgent=True, reviewed_at__isnull=True).order_by(
        "-created_at", "-pk"
    )


def questionnaire_for_consultation(*, consultation: Consultation) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(
        consultation=consultation, clinician_id=consultation.clinician_id
    ).order_by("created_at", "pk")


def questionnaire_get(*, user: Any, pk: object) -> QuestionnaireResponse:
    parsed = parse_pk(pk)
    if parsed is None:
        raise NotFound("Questionnaire response not found.")
    try:
        return QuestionnaireResponse.objects.get(pk=parsed, clinician=user)
    except QuestionnaireResponse.DoesNotExist:
        raise NotFound("Questionnaire response not found.") from None


def questionnaire_history(*, user: Any, nhs_number: str, instrument: str | None = None) -> dict[str, Any]:
    """A patient's scores over time (by NHS number, within the clinician's own
    records), oldest first per instrument, with the trend from first to latest."""
    # Stored as its keyed fingerprint (under any configured index key while one rotates).
    qs = QuestionnaireResponse.objects.filter(clinician=user, nhs_number__in=crypto.nhs_fingerprints(nhs_number))
    if instrument:
        qs = qs.filter(instrument=instrument)
    instruments: dict[str, list[QuestionnaireResponse]] = {}
    for response in qs.order_by("-created_at", "-pk")[: HISTORY_MAX * 2]:
        rows = instruments.setdefault(response.instrument, [])
        if len(rows) < HISTORY_MAX:
            rows.append(response)
    out: dict[str, Any] = {}
    for key, rows in sorted(instruments.items()):
        rows.reverse()
        first, last = rows[0], rows[-1]
        change = last.score - first.score
        previous_change = last.score - rows[-2].score if len(rows) > 1 else None
        out[key] = {
            "responses": rows,
            "trend": {
                "count": len(rows),
                "first_score": first.score,
                "latest_score": last.score,
                "latest_severity": last.severity,
                "change": change,
                "change_since_previous": previous_change,
                # Lower scores are better on both instruments.
                "direction": "improving" if change < 0 else "worsening" if change > 0 else "unchanged",
            },
        }
    return out
