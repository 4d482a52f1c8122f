"""Writes of questionnaire responses and one-time links.

No guarantee rests on a transaction (MongoDB has none): a link is claimed by a
conditional update (one caller wins, the others see it used), responses are
inserted whole, and the answers are checked before anything is claimed or
written, so a 400 leaves nothing behind and does not use up the link.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from consultations.models import Consultation
from questionnaires.instruments import answers_score, instrument_get
from questionnaires.models import AnsweredBy, QuestionnaireLink, QuestionnaireResponse
from scribe.core import crypto
from scribe.core.exceptions import ApplicationError, Conflict, NotFound

logger = logging.getLogger("scribe.questionnaires")

TOKEN_BYTES = 32


class LinkGone(ApplicationError):
    status_code = 410
    code = "link_gone"
    default_detail = "This questionnaire link has expired or has already been used."


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def nhs_number_digits(patient_data: dict[str, Any]) -> str:
    value = patient_data.get("nhs_number") if isinstance(patient_data, dict) else None
    digits = re.sub(r"\D", "", value) if isinstance(value, str) else ""
    return digits if len(digits) == 10 else ""


def _response_create(
    *, consultation: Consultation, instrument_key: str, answers: Any, answered_by: str, link: QuestionnaireLink | None
) -> QuestionnaireResponse:
    instrument = instrument_get(instrument_key)
    scored = answers_score(instrument, answers)
    with transaction.atomic():
        response = QuestionnaireResponse.objects.create(
            consultation=consultation,
            clinician_id=consultation.clinician_id,
            instrument=instrument.key,
            answers=scored.answers,
            score=scored.score,
            severity=scored.severity,
            flags=scored.flags,
            urgent=bool(scored.flags),
            nhs_number=crypto.nhs_fingerprint(nhs_number_digits(consultation.patient_data)),
            answered_by=answered_by,
            link=link,
        )
    logger.info(
        "questionnaire answered",
        extra={
            "response_id": str(response.pk),
            "consultation_id": str(consultation.pk),
            "instrument": instrument.key,
            "urgent": response.urgent,
        },
    )
    if response.urgent:
        logger.warning(
            "questionnaire flagged for urgent review",
            extra={"response_id": str(response.pk), "clinician_id": str(consultation.clinician_id)},
        )
    return response


def questionnaire_answer(*, consultation: Consultation, instrument: Any, answers: Any) -> QuestionnaireResponse:
    """Store the clinician's entry of a questionnaire in ``consultation`` with the
    server's score, band and flags. Bad instrument or answers: ``InvalidInput``
    naming each item; nothing is stored then."""
    return _response_create(
        consultation=consultation,
        instrument_key=instrument,
        answers=answers,
        answered_by=AnsweredBy.CLINICIAN,
        link=None,
    )


def questionnaire_link_create(*, consultation: Consultation, instrument: Any) -> tuple[QuestionnaireLink, str]:
    """A one-time link for the patient: returns the row and the token (shown once;
    only its SHA-256 is stored). Expires after ``QUESTIONNAIRE_LINK_TTL_SECONDS``."""
    checked = instrument_get(instrument)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    with transaction.atomic():
        link = QuestionnaireLink.objects.create(
            consultation=consultation,
            clinician_id=consultation.clinician_id,
            instrument=checked.key,
            token_hash=token_hash(token),
            expires_at=now + timedelta(seconds=settings.QUESTIONNAIRE_LINK_TTL_SECONDS),
            created_at=now,
        )
    logger.info("questionnaire link created", extra={"link_id": str(link.pk), "consultation_id": str(consultation.pk)})
    return link, token


def questionnaire_link_get(*, token: str) -> QuestionnaireLink:
    """The link a token opens, while it is usable. Unknown token: ``NotFound``;
    expired or used: ``LinkGone`` (410)."""
    link = (
        QuestionnaireLink.objects.select_related("consultation").filter(token_hash=token_hash(token)).first()
        if isinstance(token, str) and 0 < len(token) <= 200
        else None
    )
    if link is None:
        raise NotFound("Questionnaire link not found.")
    if link.used_at is not None or link.expires_at <= timezone.now():
        raise LinkGone()
    return link


def questionnaire_link_answer(*, token: str, answers: Any) -> QuestionnaireResponse:
    """Take the patient's answers through a link, once.

    The answers are checked first (a 400 does not use the link up); then the
    link is claimed with a conditional update on ``used_at IS NULL`` and
    ``expires_at > now``: of two concurrent submissions exactly one is stored,
    the other gets ``LinkGone``.
    """
    link = questionnaire_link_get(token=token)
    answers_score(instrument_get(link.instrument), answers)
    now = timezone.now()
    with transaction.atomic():
        claimed = QuestionnaireLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now
        )
    if not claimed:
        raise LinkGone()
    return _response_create(
        consultation=link.consultation,
        instrument_key=link.instrument,
        answers=answers,
        answered_by=AnsweredBy.PATIENT_LINK,
        link=link,
    )


def questionnaire_review(*, response: QuestionnaireResponse) -> QuestionnaireResponse:
    """Mark a flagged response as reviewed (it leaves the urgent list). Once only:
    a second review, or reviewing an unflagged response, is ``Conflict``."""
    now = timezone.now()
    with transaction.atomic():
        updated = QuestionnaireResponse.objects.filter(pk=response.pk, urgent=True, reviewed_at__isnull=True).update(
            reviewed_at=now
        )
    if not updated:
        raise Conflict("This response is not awaiting urgent review.", code="not_awaiting_review")
    response.reviewed_at = now
    return response
