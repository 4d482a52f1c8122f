"""Documents of a consultation (``/api/v1/consultations/{id}/documents/...``).

Clinicians only (a patient gets 403); the consultation is looked up through
``consultation_get``, so another clinician's is a 404. Kinds in paths:
``note``, ``referral-letter``, ``patient-summary``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsClinician
from ai import client
from consultations.selectors import consultation_get
from documents import serializers as s
from documents import services
from documents.models import DocumentKind
from scribe.core.serializers import validated

KINDS = {
    "note": DocumentKind.NOTE,
    "referral-letter": DocumentKind.REFERRAL_LETTER,
    "patient-summary": DocumentKind.PATIENT_SUMMARY,
}
LETTERS = "referral-letter|patient-summary"
ID = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)
LETTER_KIND = OpenApiParameter(
    "kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["referral-letter", "patient-summary"]
)
ANY_KIND = OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(KINDS))
PDF = OpenApiResponse(OpenApiTypes.BINARY, description="application/pdf")


class JSONErrorsWhateverAccepted(DefaultContentNegotiation):
    """Errors are JSON even when the client asked for a PDF."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _pdf_response(document: Any, data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}-v{document.version}.pdf"'
    response["X-Document-Id"] = str(document.pk)
    response["Cache-Control"] = "no-store"
    return response


class ConsultationDocumentViewSet(viewsets.ViewSet):
    permission_classes = [IsClinician]
    lookup_value_regex = "[^/]+"
    content_negotiation_class = JSONErrorsWhateverAccepted

    @extend_schema(
        summary="The consultation note as a PDF (signed; else the newest draft, watermarked DRAFT)",
        parameters=[ID],
        responses={(200, "application/pdf"): PDF, 409: OpenApiResponse(description="No summary yet.")},
    )
    @action(detail=True, methods=["get"], url_path=r"documents/note\.pdf")
    def note_pdf(self, request: Request, pk: str) -> HttpResponse:
        consultation = consultation_get(user=request.user, pk=pk)
        document, data = services.document_pdf(consultation=consultation, kind=DocumentKind.NOTE)
        return _pdf_response(document, data, "note")

    @extend_schema(
        summary="A letter: GET the saved text, PUT the clinician's text (a new version)",
        parameters=[ID, LETTER_KIND],
        request=s.LetterSaveInput,
        responses={200: s.DocumentOutput, 201: s.DocumentOutput, 404: OpenApiResponse(description="None saved yet.")},
    )
    @action(detail=True, methods=["get", "put"], url_path=rf"documents/(?P<kind>{LETTERS})")
    def letter(self, request: Request, pk: str, kind: str) -> Response:
        consultation = consultation_get(user=request.user, pk=pk)
        if request.method == "GET":
            document = services.letter_document(consultation=consultation, kind=KINDS[kind])
            return Response(s.DocumentOutput(document).data)
        data = validated(s.LetterSaveInput, request.data)
        document = services.letter_save(consultation=consultation, kind=KINDS[kind], text=data["text"])
        return Response(s.DocumentOutput(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="An AI draft of the letter from the note and the letter template (text to edit; not stored)",
        parameters=[ID, LETTER_KIND],
        request=s.LetterDraftInput,
        responses={
            200: s.LetterDraftOutput,
            409: OpenApiResponse(description="No summary yet."),
            503: OpenApiResponse(description="AI not configured or unavailable."),
        },
    )
    @action(detail=True, methods=["post"], url_path=rf"documents/(?P<kind>{LETTERS})/draft")
    def letter_draft(self, request: Request, pk: str, kind: str) -> Response:
        consultation = consultation_get(user=request.user, pk=pk)
        data = validated(s.LetterDraftInput, request.data or {})
        with client.request_budget():
            draft = services.letter_draft(user=request.user, consultation=consultation, kind=KINDS[kind], **data)
        return Response(s.LetterDraftOutput(draft).data)

    @extend_schema(
        summary="The saved letter as a PDF",
        parameters=[ID, LETTER_KIND],
        responses={(200, "application/pdf"): PDF, 404: OpenApiResponse(description="None saved yet.")},
    )
    @action(detail=True, methods=["get"], url_path=rf"documents/(?P<kind>{LETTERS})\.pdf")
    def letter_pdf(self, request: Request, pk: str, kind: str) -> HttpResponse:
        consultation = consultation_get(user=request.user, pk=pk)
        document, data = services.document_pdf(consultation=consultation, kind=KINDS[kind])
        return _pdf_response(document, data, kind)

    @extend_schema(
        summary="Upload the document's PDF to the clinic's Google Drive folder (once per document version)",
        description="`201` with the new Drive file; again for the same document version: `200` with the same "
        "Drive file (`created: false`). Not configured: `503` naming the setting.",
        parameters=[ID, ANY_KIND],
        request=None,
        responses={
            201: s.UploadOutput,
            200: s.UploadOutput,
            409: OpenApiResponse(description="No summary or saved letter yet, or an upload of it is running."),
            503: OpenApiResponse(description="Drive not configured, or unavailable after retries."),
        },
    )
    @action(detail=True, methods=["post"], url_path=r"documents/(?P<kind>note|referral-letter|patient-summary)/upload")
    def upload(self, request: Request, pk: str, kind: str) -> Response:
        consultation = consultation_get(user=request.user, pk=pk)
        document, upload, created = services.document_upload(consultation=consultation, kind=KINDS[kind])
        body = {
            "document_id": str(document.pk),
            "kind": document.kind,
            "version": document.version,
            "is_draft": document.is_draft,
            "drive_file_id": upload.drive_file_id,
            "web_view_link": upload.web_view_link,
            "uploaded_at": upload.uploaded_at,
            "created": created,
        }
        return Response(s.UploadOutput(body).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
