"""Documents made from a consultation and their Google Drive uploads.

A ``Document`` is one version of one kind of document: the note (rendered from
a summary version; a draft and the signed rendering of the same version are two
documents), or a letter the clinician saved (its text, insert-only, one row per
save). Its id is printed in the PDF's footer. A ``DriveUpload`` is unique per
document: inserting it claims the upload, so of two racing uploads of one
document version only one reaches Drive, and a second upload returns the stored
Drive file id.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from consultations.models import Consultation
from scribe.core.crypto_fields import EncryptedTextField


class DocumentKind(models.TextChoices):
    NOTE = "note", "Consultation note"
    REFERRAL_LETTER = "referral_letter", "Referral letter"
    PATIENT_SUMMARY = "patient_summary", "Patient summary"


class Document(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="documents")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    # Letters: 1, 2, ... per save. The note: the summary version it renders.
    version = models.PositiveIntegerField()
    # The note rendered from an unsigned summary (watermarked DRAFT).
    is_draft = models.BooleanField(default=False)
    # A letter's text as the clinician saved it ("" for the note, rendered from its summary).
    # Encrypted at rest (scribe.core.crypto).
    body = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "kind", "version", "is_draft"], name="document_unique_version"
            )
        ]
        indexes = [models.Index(fields=["clinician", "-created_at"], name="document_clinician_idx")]

    def __str__(self) -> str:
        return f"Document {self.pk} ({self.kind} v{self.version})"


class DriveUpload(models.Model):
    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="drive_upload")
    drive_file_id = models.CharField(max_length=200, blank=True, default="")
    web_view_link = models.CharField(max_length=500, blank=True, default="")
    # Set when the upload is claimed (the row inserted) and re-set when a stale claim is taken over.
    claimed_at = models.DateTimeField(default=timezone.now)
    uploaded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"DriveUpload {self.pk}"
