"""Questionnaire responses and the one-time links patients answer through.

Insert-only rows and conditional updates (no transactions on MongoDB): a link
is used once because ``questionnaire_link_answer`` claims it with
``filter(used_at=None, expires_at__gt=now).update(used_at=now)``. The owning
clinician and the patient's NHS number are stored on each response, so the
clinician's lists and a patient's history are one indexed query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from consultations.models import Consultation
from scribe.core.crypto_fields import EncryptedJSONField


class Instrument(models.TextChoices):
    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"


class AnsweredBy(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    PATIENT_LINK = "patient_link", "Patient (one-time link)"


class QuestionnaireLink(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="questionnaire_links")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="questionnaire_links"
    )
    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    # SHA-256 of the token: the token itself is shown once, to the clinician, and never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"QuestionnaireLink {self.pk}"


class QuestionnaireResponse(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="questionnaire_responses")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="questionnaire_responses"
    )
    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    # Encrypted at rest (scribe.core.crypto), as are the flags derived from them.
    answers = EncryptedJSONField(default=list)
    score = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=32)
    flags = EncryptedJSONField(default=list, blank=True)
    # PHQ-9 item 9 above 0: listed for urgent review until a clinician marks it reviewed.
    urgent = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # The blind index of the consultation's NHS number ("<kid>:<hmac>", scribe.core.crypto
    # .nhs_fingerprint; "" when it had none): the history query matches it, never the number.
    nhs_number = models.CharField(max_length=32, blank=True, default="")
    answered_by = models.CharField(max_length=16, choices=AnsweredBy.choices, default=AnsweredBy.CLINICIAN)
    # One response per link at most (the link's conditional update decides first).
    link = models.OneToOneField(
        QuestionnaireLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["clinician", "-created_at"], name="qresp_clinician_idx"),
            models.Index(fields=["clinician", "urgent", "reviewed_at"], name="qresp_urgent_idx"),
            models.Index(fields=["clinician", "nhs_number", "instrument", "created_at"], name="qresp_history_idx"),
            models.Index(fields=["consultation", "-created_at"], name="qresp_consult_idx"),
        ]

    def __str__(self) -> str:
        return f"QuestionnaireResponse {self.pk}"
