"""The Node.js face: /api/consultation, /api/transcript, /api/notes, /api/prompts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ai.consultation_end import aconsultation_end_with_summary
from consultations import selectors, services
from consultations.models import Consultation, Prompt
from consultations.serializers import NOTE_BODY_MAX_CHARS, ConsultationStartInput, PromptInput
from legacy_api import shapes
from legacy_api.errors import NodeError, node_msg
from legacy_api.views.base import (
    CONSULTATION_NOT_FOUND,
    NODE_OBJECT,
    NodeAIView,
    NodeView,
    json_body,
    node_schema,
    picked,
)
from scribe.core.asyncdb import database_sync_to_async
from scribe.core.exceptions import ApplicationError, InvalidInput

# --- Consultations -------------------------------------------------------------------------


class ConsultationStartView(NodeView):
    @node_schema("POST /api/v1/consultations/start", request=ConsultationStartInput)
    def post(self, request: Request) -> Response:
        data = picked(ConsultationStartInput, json_body(request))
        consultation = services.consultation_start(clinician=request.user, patient_data=data["patient_data"])
        consultation = selectors.consultation_get(user=request.user, pk=consultation.pk)
        return Response(
            {
                "msg": "Consultation started",
                "data": {
                    "consultation": shapes.consultation_doc(consultation),
                    "transcript": shapes.transcript_doc(consultation.transcript),
                },
            }
        )


def _end_targets(user: Any, pk: str, body: dict[str, Any]) -> tuple[Consultation, Prompt | None]:
    """The caller's consultation and the prompt to summarise with (Node's sentences on 404)."""
    with node_msg(CONSULTATION_NOT_FOUND):
        consultation = selectors.consultation_get(user=user, pk=pk)
    prompt = None
    if body.get("prompt_used") not in (None, ""):
        with node_msg("Prompt not found"):
            prompt = selectors.prompt_get_usable(user=user, pk=body["prompt_used"])
    return consultation, prompt


def _transcript_doc(user: Any, consultation: Consultation) -> dict[str, Any]:
    transcript = selectors.transcript_get(user=user, pk=consultation.transcript.pk)
    return shapes.transcript_doc(transcript, populated=True)


class ConsultationEndView(NodeAIView):
    @node_schema(
        "POST /api/v1/consultations/{id}/end (+ POST /api/v1/transcripts/{id}/summarize)",
        request=inline_serializer(
            "NodeConsultationEnd",
            {"prompt_used": serializers.CharField(required=False, allow_blank=True, allow_null=True)},
        ),
        responses={200: NODE_OBJECT, 409: OpenApiResponse(description="Already ended.")},
    )
    async def post(self, request: Request, pk: str) -> Response:
        body = json_body(request)
        consultation, prompt = await database_sync_to_async(_end_targets)(request.user, pk, body)
        ended = await aconsultation_end_with_summary(user=request.user, consultation=consultation, prompt=prompt)
        transcript_doc = await database_sync_to_async(_transcript_doc)(request.user, consultation)
        return Response(
            {
                "msg": "Consultation ended successfully",
                "transcript": transcript_doc,
                "summary": ended.summary,
                "highlights": ended.highlights,
            }
        )


class ConsultationDetailView(NodeView):
    @node_schema("GET /api/v1/consultations/{id}")
    def get(self, request: Request, pk: str) -> Response:
        with node_msg("Consultation not found or invalid"):
            consultation = selectors.consultation_document_get(user=request.user, pk=pk)
        return Response({"consultation": shapes.consultation_doc(consultation, populated=True)})


class ConsultationListView(NodeView):
    @node_schema("GET /api/v1/consultations (paged there; whole here)")
    def get(self, request: Request) -> Response:
        consultations = selectors.consultation_documents(user=request.user)
        return Response({"consultations": [shapes.consultation_doc(c, populated=True) for c in consultations]})


# --- Transcripts ---------------------------------------------------------------------------


class TranscriptUpdateTextView(NodeView):
    @node_schema(
        "PUT /api/v1/transcripts/{id}",
        request=inline_serializer(
            "NodeTranscriptText", {"transcript_id": serializers.CharField(), "transcript_text": serializers.CharField()}
        ),
        responses={200: NODE_OBJECT, 409: OpenApiResponse(description="The consultation has ended.")},
    )
    def post(self, request: Request) -> Response:
        body = json_body(request)
        transcript_id, text = body.get("transcript_id"), body.get("transcript_text")
        if transcript_id in (None, "") or text is None:
            raise NodeError("Missing data", status=400, code="invalid")
        with node_msg("Transcript not found"):
            transcript = selectors.transcript_get(user=request.user, pk=transcript_id)
        services.transcript_text_replace(transcript=transcript, text=text)
        transcript = selectors.transcript_get(user=request.user, pk=transcript.pk)
        return Response({"msg": "Transcript updated", "data": shapes.transcript_doc(transcript)})


class TranscriptOfConsultationView(NodeView):
    @node_schema("GET /api/v1/transcripts/{id} (by consultation here)")
    def get(self, request: Request, pk: str) -> Response:
        with node_msg("Transcript not found"):
            transcript = selectors.transcript_of_consultation(user=request.user, consultation_pk=pk)
        return Response(shapes.transcript_doc(transcript))


# --- Notes ---------------------------------------------------------------------------------


def _note_body(body: dict[str, Any]) -> str:
    text = body.get("body")
    if not isinstance(text, str) or not text.strip():
        raise NodeError("Note body is required.", status=400, code="invalid")
    if len(text) > NOTE_BODY_MAX_CHARS:
        raise InvalidInput(errors={"body": [f"Must be at most {NOTE_BODY_MAX_CHARS} characters."]})
    return text


class NotesView(NodeView):
    """``/api/notes/:id``: a consultation's id for POST and GET, a note's for PATCH and DELETE."""

    @node_schema(
        "POST /api/v1/notes",
        request=inline_serializer(
            "NodeNoteCreate",
            {
                "body": serializers.CharField(max_length=NOTE_BODY_MAX_CHARS),
                "transcriptId": serializers.CharField(required=False),
            },
        ),
        responses={201: NODE_OBJECT},
    )
    def post(self, request: Request, pk: str) -> Response:
        body = json_body(request)
        with node_msg("Consultation not found."):
            consultation = selectors.consultation_get(user=request.user, pk=pk)
        # transcriptId is accepted and not needed: a consultation has one transcript.
        note = services.note_create(clinician=request.user, consultation=consultation, body=_note_body(body))
        return Response(
            {"msg": "Note added successfully.", "note": shapes.note_doc(note)}, status=status.HTTP_201_CREATED
        )

    @node_schema("GET /api/v1/notes?consultation={id}")
    def get(self, request: Request, pk: str) -> Response:
        with node_msg("Consultation not found."):
            consultation = selectors.consultation_get(user=request.user, pk=pk)
        notes = [
            shapes.note_doc(n, populated=True)
            for n in selectors.note_list(user=request.user, consultation=consultation.pk)
        ]
        return Response({"count": len(notes), "notes": notes})

    @node_schema(
        "PATCH /api/v1/notes/{id}",
        request=inline_serializer("NodeNoteUpdate", {"body": serializers.CharField(max_length=NOTE_BODY_MAX_CHARS)}),
    )
    def patch(self, request: Request, pk: str) -> Response:
        body = json_body(request)
        with node_msg("Note not found."):
            note = selectors.note_get(user=request.user, pk=pk)
        services.note_update(note=note, body=_note_body(body))
        return Response({"msg": "Note updated.", "note": shapes.note_doc(note)})

    @node_schema("DELETE /api/v1/notes/{id}")
    def delete(self, request: Request, pk: str) -> Response:
        with node_msg("Note not found."):
            note = selectors.note_get(user=request.user, pk=pk)
        services.note_delete(note=note)
        return Response({"msg": "Note deleted successfully."})


# --- Prompts -------------------------------------------------------------------------------

PROMPT_NOT_ACCESSIBLE = "Prompt not found or not accessible"
PROMPT_FIELDS = {"prompt_name": "name", "prompt_text": "text", "is_shareable": "is_shareable"}


class PromptsView(NodeView):
    @node_schema("POST /api/v1/prompts", request=PromptInput, responses={201: NODE_OBJECT})
    def post(self, request: Request) -> Response:
        data = picked(PromptInput, json_body(request))
        prompt = services.prompt_create(
            owner=request.user, name=data["prompt_name"], text=data["prompt_text"], is_shareable=data["is_shareable"]
        )
        return Response(
            {"msg": "Prompt created successfully", "data": shapes.prompt_doc(prompt)}, status=status.HTTP_201_CREATED
        )

    @node_schema("GET /api/v1/prompts (paged there; whole here)")
    def get(self, request: Request) -> Response:
        return Response({"prompts": [shapes.prompt_doc(p) for p in selectors.prompt_documents(user=request.user)]})


class PromptDetailView(NodeView):
    @node_schema("PATCH /api/v1/prompts/{id}", request=PromptInput)
    def patch(self, request: Request, pk: str) -> Response:
        body = json_body(request)
        with node_msg(PROMPT_NOT_ACCESSIBLE):
            prompt = selectors.prompt_get_owned(user=request.user, pk=pk)
        # Only the three fields; anything else a Node.js body carried (clinician, is_deleted) is ignored.
        data = picked(PromptInput, body, partial=True)
        data = {key: value for key, value in data.items() if key in body}
        with node_msg(PROMPT_NOT_ACCESSIBLE, ApplicationError):
            services.prompt_update(prompt=prompt, **{PROMPT_FIELDS[key]: value for key, value in data.items()})
        return Response({"msg": "Prompt updated", "data": shapes.prompt_doc(prompt)})

    @node_schema("DELETE /api/v1/prompts/{id}")
    def delete(self, request: Request, pk: str) -> Response:
        with node_msg(PROMPT_NOT_ACCESSIBLE):
            prompt = selectors.prompt_get_owned(user=request.user, pk=pk)
        services.prompt_soft_delete(prompt=prompt)
        return Response({"msg": "Prompt deleted successfully"})


class PromptLinkView(NodeView):
    @node_schema("PUT /api/v1/transcripts/{id}/prompt", request=None)
    def patch(self, request: Request, pk: str, transcript_pk: str) -> Response:
        with node_msg("Transcript not found"):
            transcript = selectors.transcript_get(user=request.user, pk=transcript_pk)
        with node_msg(PROMPT_NOT_ACCESSIBLE):
            prompt = selectors.prompt_get_usable(user=request.user, pk=pk)
        services.transcript_prompt_link(transcript=transcript, prompt=prompt)
        transcript = selectors.transcript_get(user=request.user, pk=transcript.pk)
        return Response(
            {
                "msg": "Prompt linked to transcript successfully",
                "data": shapes.transcript_doc(transcript, populated=True),
            }
        )
