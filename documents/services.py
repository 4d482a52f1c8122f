"""Documents of a consultation: the note, letters, their PDFs and Drive uploads.

No guarantee rests on a transaction (MongoDB has none): document rows are
insert-only and unique per (consultation, kind, version, is_draft), so the
same note version always has the same document id (the one in its footer);
a Drive upload is claimed by inserting its unique row, so one document version
is uploaded once, and a second upload returns the stored Drive file.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultations.models import Consultation, Summary
from documents import letters
from documents.models import Document, DocumentKind, DriveUpload
from documents.selectors import letter_current, note_summary
from questionnaires.selectors import questionnaire_for_consultation
from scribe.core.exceptions import Conflict, InvalidInput, NotFound

logger = logging.getLogger("scribe.documents")

LETTER_MAX_CHARS = 50_000
LETTER_KINDS = (DocumentKind.REFERRAL_LETTER, DocumentKind.PATIENT_SUMMARY)
SECTIONS = ("subjective", "objective", "assessment", "plan")
VERSION_ATTEMPTS = 20
PATIENT_FIELDS = (
    ("name", "Patient"),
    ("date_of_birth", "Date of birth"),
    ("age", "Age"),
    ("nhs_number", "NHS number"),
    ("gender", "Gender"),
    ("address", "Address"),
)


def clinician_name(user: Any) -> str:
    return str(getattr(user, "username", "") or getattr(user, "email", "") or f"Clinician {user.pk}")


def _date(value: Any) -> str:
    return timezone.localtime(value).strftime("%d %b %Y %H:%M") if value else "-"


def _sections_of(summary: Summary) -> dict[str, str]:
    content = summary.content if isinstance(summary.content, dict) else {}
    return {section: str(content.get(section) or "") for section in SECTIONS}


def _patient_details(consultation: Consultation) -> list[tuple[str, str]]:
    data = consultation.patient_data if isinstance(consultation.patient_data, dict) else {}
    if "dob" in data and "date_of_birth" not in data:
        data = {**data, "date_of_birth": data["dob"]}
    return [(label, str(data[key])) for key, label in PATIENT_FIELDS if data.get(key) not in (None, "")]


# --- Document rows -------------------------------------------------------------------------


def _document_get_or_create(*, consultation: Consultation, kind: str, version: int, is_draft: bool) -> Document:
    """The one row of this (consultation, kind, version, draft); the unique constraint decides races."""
    lookup = {"consultation": consultation, "kind": kind, "version": version, "is_draft": is_draft}
    existing = Document.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Document.objects.create(clinician_id=consultation.clinician_id, **lookup)
    except IntegrityError:
        return Document.objects.get(**lookup)


def note_document(*, consultation: Consultation) -> tuple[Document, Summary]:
    """The note's document: the newest signed summary version, else the newest draft
    (``is_draft``). No summary yet: ``Conflict``."""
    summary = note_summary(consultation=consultation)
    if summary is None:
        raise Conflict("This consultation has no summary yet; summarise the transcript first.", code="no_summary")
    document = _document_get_or_create(
        consultation=consultation,
        kind=DocumentKind.NOTE,
        version=summary.version,
        is_draft=summary.signed_at is None,
    )
    return document, summary


def letter_draft(
    *, user: Any, consultation: Consultation, kind: str, recipient: str = "", reason: str = ""
) -> dict[str, Any]:
    """An AI draft of a letter (text for the clinician to edit; nothing is stored)."""
    summary = note_summary(consultation=consultation)
    if summary is None:
        raise Conflict("This consultation has no summary yet; summarise the transcript first.", code="no_summary")
    patient = consultation.patient_data if isinstance(consultation.patient_data, dict) else {}
    body, model = letters.letter_body_draft(
        user=user, kind=kind, sections=_sections_of(summary), patient=patient, reason=reason
    )
    text = letters.letter_template(
        kind=kind,
        body=body,
        patient=patient,
        clinician_name=clinician_name(consultation.clinician),
        date=timezone.localdate().strftime("%d %B %Y"),
        recipient=recipient,
    )
    return {"kind": kind, "text": text, "model": model, "summary_version": summary.version}


def letter_save(*, consultation: Consultation, kind: str, text: Any) -> Document:
    """Store the clinician's letter text as the kind's next version (insert-only)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(errors={"text": ["Must be non-empty text."]})
    if len(text) > LETTER_MAX_CHARS:
        raise InvalidInput(errors={"text": [f"Must be at most {LETTER_MAX_CHARS} characters."]})
    for _attempt in range(VERSION_ATTEMPTS):
        latest = letter_current(consultation=consultation, kind=kind)
        version = (latest.version if latest else 0) + 1
        try:
            with transaction.atomic():
                document = Document.objects.create(
                    consultation=consultation,
                    clinician_id=consultation.clinician_id,
                    kind=kind,
                    version=version,
                    body=text,
                )
        except IntegrityError:
            continue
        logger.info("letter saved", extra={"document_id": str(document.pk), "kind": kind, "version": version})
        return document
    raise Conflict("The letter could not be stored; please retry.", code="document_conflict")


def letter_document(*, consultation: Consultation, kind: str) -> Document:
    document = letter_current(consultation=consultation, kind=kind)
    if document is None:
        raise NotFound("No saved letter of this kind yet: save one first.")
    return document


# --- PDFs ----------------------------------------------------------------------------------


def _base_details(consultation: Consultation) -> list[tuple[str, str]]:
    return [
        *_patient_details(consultation),
        ("Clinician", clinician_name(consultation.clinician)),
        ("Consultation date", _date(consultation.started_at)),
    ]


def _questionnaire_tables(consultation: Consultation) -> list[tuple[str, list[list[str]]]]:
    rows = [["Questionnaire", "Score", "Severity", "Flags", "Answered"]]
    for response in questionnaire_for_consultation(consultation=consultation):
        flags = "URGENT REVIEW: PHQ-9 item 9 above 0" if response.urgent else "-"
        rows.append(
            [
                response.get_instrument_display(),
                str(response.score),
                response.severity,
                flags,
                _date(response.created_at),
            ]
        )
    return [("Questionnaires", rows)] if len(rows) > 1 else []


def note_pdf(*, consultation: Consultation, document: Document, summary: Summary) -> bytes:
    from documents.pdf import PdfContent, pdf_render  # reportlab: loaded by the first PDF (README "Memory")

    details = _base_details(consultation)
    details.append(("Note version", str(summary.version)))
    if summary.signed_at is not None:
        signer = summary.signed_by if summary.signed_by_id else None
        details.append(("Signed", f"{clinician_name(signer) if signer else '-'}, {_date(summary.signed_at)}"))
    else:
        details.append(("Status", "DRAFT - not signed"))
    details.append(("Printed", _date(timezone.now())))
    sections = _sections_of(summary)
    return pdf_render(
        PdfContent(
            title="Consultation note",
            document_id=str(document.pk),
            kind_label=DocumentKind.NOTE.label,
            practice_name=settings.PRACTICE_NAME,
            practice_address=settings.PRACTICE_ADDRESS.replace("\\n", "\n"),
            details=details,
            sections=[(section.capitalize(), sections[section]) for section in SECTIONS],
            tables=_questionnaire_tables(consultation),
            draft=document.is_draft,
        )
    )


def letter_pdf(*, consultation: Consultation, document: Document) -> bytes:
    from documents.pdf import PdfContent, pdf_render

    details = [
        *_base_details(consultation),
        ("Letter version", str(document.version)),
        ("Saved", _date(document.created_at)),
    ]
    return pdf_render(
        PdfContent(
            title=DocumentKind(document.kind).label,
            document_id=str(document.pk),
            kind_label=DocumentKind(document.kind).label,
            practice_name=settings.PRACTICE_NAME,
            practice_address=settings.PRACTICE_ADDRESS.replace("\\n", "\n"),
            details=details,
            sections=[("", document.body)],
        )
    )


def _current(*, consultation: Consultation, kind: str) -> tuple[Document, Summary | None]:
    if kind == DocumentKind.NOTE:
        return note_document(consultation=consultation)
    return letter_document(consultation=consultation, kind=kind), None


def _render(*, consultation: Consultation, document: Document, summary: Summary | None) -> bytes:
    if summary is not None:
        return note_pdf(consultation=consultation, document=document, summary=summary)
    return letter_pdf(consultation=consultation, document=document)


def document_pdf(*, consultation: Consultation, kind: str) -> tuple[Document, bytes]:
    """The current document of ``kind`` and its PDF."""
    document, summary = _current(consultation=consultation, kind=kind)
    return document, _render(consultation=consultation, document=document, summary=summary)


# --- Google Drive --------------------------------------------------------------------------


def _claim_stale_after() -> timedelta:
    # Longer than an upload can take with all its retries: a claim older than this was
    # left by a process that died mid-upload and may be taken over.
    attempts = settings.GOOGLE_DRIVE_MAX_RETRIES + 1
    return timedelta(seconds=2 * attempts * settings.GOOGLE_DRIVE_TIMEOUT_SECONDS + 60)


def _claim(document: Document) -> tuple[DriveUpload | None, Any, bool]:
    """Claim the upload of ``document``: ``(row, claimed_at, taken_over)``, or
    ``(done_row, None, False)`` when it was already uploaded. Someone else uploading
    right now: ``Conflict``. ``taken_over``: the claim was left by an upload that died."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return DriveUpload.objects.create(document=document, claimed_at=now), now, False
    except IntegrityError:
        pass
    existing = DriveUpload.objects.filter(document=document).first()
    if existing is None:
        raise Conflict("The upload could not be started; please retry.", code="upload_in_progress")
    if existing.drive_file_id:
        return existing, None, False
    with transaction.atomic():
        taken = DriveUpload.objects.filter(
            pk=existing.pk, drive_file_id="", claimed_at__lt=now - _claim_stale_after()
        ).update(claimed_at=now)
    if not taken:
        raise Conflict("This document is being uploaded; try again in a moment.", code="upload_in_progress")
    existing.claimed_at = now
    return existing, now, True


def document_upload(*, consultation: Consultation, kind: str) -> tuple[Document, DriveUpload, bool]:
    """Upload the current document of ``kind`` to the clinic's Drive folder, once per
    document version: ``(document, upload, created)``; a second call returns the stored
    Drive file with ``created=False``. Not configured: ``ServiceUnavailable`` naming the
    setting. A failed upload gives its claim back, so it can be retried."""
    # google-api-python-client: loaded by the first upload (README "Memory").
    from documents.drive import drive_check, drive_find, drive_upload

    # Nothing to upload (404/409) is said before Drive's configuration (503).
    document, summary = _current(consultation=consultation, kind=kind)
    drive_check()
    done = DriveUpload.objects.filter(document=document).exclude(drive_file_id="").first()
    if done is not None:
        return document, done, False
    upload, claimed_at, taken_over = _claim(document)
    if claimed_at is None:
        return document, upload, False
    name = f"{kind.replace('_', '-')}-{consultation.pk}-v{document.version}{'-draft' if document.is_draft else ''}.pdf"
    try:
        # A dead upload may have reached Drive before its id was stored: find that file first.
        drive_file = drive_find(document_id=str(document.pk)) if taken_over else None
        if drive_file is None:
            pdf = _render(consultation=consultation, document=document, summary=summary)
            drive_file = drive_upload(
                name=name,
                data=pdf,
                app_properties={"scribeDocumentId": str(document.pk), "scribeKind": kind},
            )
    except Exception:
        with transaction.atomic():
            DriveUpload.objects.filter(pk=upload.pk, drive_file_id="", claimed_at=claimed_at).delete()
        raise
    now = timezone.now()
    with transaction.atomic():
        DriveUpload.objects.filter(pk=upload.pk, drive_file_id="").update(
            drive_file_id=drive_file.id, web_view_link=drive_file.web_view_link, uploaded_at=now
        )
    upload.refresh_from_db()
    logger.info(
        "document uploaded",
        extra={"document_id": str(document.pk), "drive_file_id": upload.drive_file_id, "kind": kind},
    )
    return document, upload, True
