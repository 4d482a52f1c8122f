"""Clinical records.

MongoDB has no transactions and no foreign-key constraints, so the shapes here
are chosen so that correctness rests on unique constraints and conditional
updates: segments are insert-only rows unique per (transcript, seq); summaries
are insert-only versions unique per (transcript, version). The owning
clinician is stored on every row a list is scoped by, so ownership is one
indexed equality in one collection on every engine.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from scribe.core.crypto_fields import EncryptedJSONField, EncryptedTextField

LEGACY_ID = {"max_length": 24, "unique": True, "null": True, "blank": True}


class ConsultationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class Speaker(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    PATIENT = "patient", "Patient"
    UNKNOWN = "unknown", "Unknown"


class Prompt(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prompts")
    name = models.CharField(max_length=200)
    text = models.TextField()
    is_shareable = models.BooleanField(default=False)
    is_deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    legacy_id = models.CharField(**LEGACY_ID)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "is_deleted", "-created_at"], name="prompt_owner_idx"),
            models.Index(fields=["is_shareable", "is_deleted", "-created_at"], name="prompt_shared_idx"),
        ]

    def __str__(self) -> str:
        return f"Prompt {self.pk}"


class Consultation(models.Model):
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultations")
    # Patient data is encrypted at rest (scribe.core.crypto; README "Encryption at rest").
    patient_data = EncryptedJSONField(default=dict)
    # The blind index of patient_data (name prefixes, NHS number: keyed HMAC tokens, never the
    # values) for the list's `search` and `nhs_number` filters; see services.patient_search_name.
    patient_name = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=ConsultationStatus.choices, default=ConsultationStatus.ACTIVE)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The clinician's closing summary, sent with `end` (free text).
    summary = EncryptedTextField(blank=True, default="")
    legacy_id = models.CharField(**LEGACY_ID)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["clinician", "-started_at"], name="consult_clinician_idx"),
            models.Index(fields=["clinician", "status", "-started_at"], name="consult_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Consultation {self.pk}"


class Transcript(models.Model):
    consultation = models.OneToOneField(Consultation, on_delete=models.CASCADE, related_name="transcript")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transcripts")
    # Set when an older client PUTs the whole text; see consultations.services.
    # NULL (never PUT) and "" (PUT an empty text) mean different things here.
    edited_text = EncryptedTextField(null=True, blank=True)
    prompt_used = models.ForeignKey(
        Prompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="transcripts"
    )
    # Version of the summary prompt_used belongs to: summaries update prompt_used with
    # a conditional update on it, so an older version never overwrites a newer one.
    summary_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    legacy_id = models.CharField(**LEGACY_ID)

    class Meta:
        indexes = [models.Index(fields=["clinician", "-created_at"], name="transcript_clinician_idx")]

    def __str__(self) -> str:
        return f"Transcript {self.pk}"


class Segment(models.Model):
    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="segments")
    seq = models.PositiveIntegerField()
    text = EncryptedTextField()
    speaker = models.CharField(max_length=16, choices=Speaker.choices, default=Speaker.UNKNOWN)
    start_ms = models.PositiveIntegerField(null=True, blank=True)
    end_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["transcript", "seq"]
        constraints = [models.UniqueConstraint(fields=["transcript", "seq"], name="segment_unique_seq")]

    def __str__(self) -> str:
        return f"Segment {self.pk} (seq {self.seq})"


class Summary(models.Model):
    """One generated (or imported) SOAP summary; the newest version is the current one."""

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="summaries")
    version = models.PositiveIntegerField()
    # {"subjective", "objective", "assessment", "plan"} plus evidence/flags when generated.
    content = EncryptedJSONField(default=dict)
    text = EncryptedTextField(blank=True, default="")
    model = models.CharField(max_length=100, blank=True, default="")
    prompt = models.ForeignKey(Prompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="summaries")
    # Clinical terms of this version: [{term, possible_snomed, display, verified, evidence}]
    # (see ai.highlights); stored in the same insert as the summary, never added later.
    highlights = EncryptedJSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Signing (issue 15): set once by consultations.services.summary_sign with a
    # conditional update; a signed version is never changed again.
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="signed_summaries"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    # The AI draft version the signed text derives from, and the per-section
    # unified diff from that draft to what was signed (the quality-review record).
    draft_version = models.PositiveIntegerField(null=True, blank=True)
    sign_diff = EncryptedJSONField(default=dict, blank=True)
    legacy_id = models.CharField(**LEGACY_ID)

    class Meta:
        ordering = ["transcript", "-version"]
        constraints = [models.UniqueConstraint(fields=["transcript", "version"], name="summary_unique_version")]

    def __str__(self) -> str:
        return f"Summary {self.pk} v{self.version}"


class Note(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="notes")
    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="notes")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notes")
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    legacy_id = models.CharField(**LEGACY_ID)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["clinician", "-created_at"], name="note_clinician_idx"),
            models.Index(fields=["clinician", "consultation", "-created_at"], name="note_consult_idx"),
        ]

    def __str__(self) -> str:
        return f"Note {self.pk}"


class LegacyDocument(models.Model):
    """What the last import/sync/export knew about one Node.js document.

    ``source_fingerprint`` is the hash of the Node document as read from MongoDB;
    ``scribe_fingerprint`` the hash of the Scribe record's legacy-relevant state as
    written (see ``consultations.legacy.fingerprints``). A sync compares both with
    what is there now: Node changed only -> update Scribe; both changed -> conflict,
    left for a person. One row per (collection, legacy_id), so a re-run updates it
    with a conditional update instead of inserting again.
    """

    collection = models.CharField(max_length=32)
    legacy_id = models.CharField(max_length=24)
    source_fingerprint = models.CharField(max_length=64)
    scribe_fingerprint = models.CharField(max_length=64)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["collection", "legacy_id"], name="legacy_document_unique"),
        ]

    def __str__(self) -> str:
        return f"LegacyDocument {self.collection}/{self.legacy_id}"
