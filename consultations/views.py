"""Clinical records API: short viewsets over selectors (reads) and services (writes).

Every object is looked up through a selector scoped to the caller, so another
clinician's object is a 404; patients and staff who are not clinicians get 403
from ``IsClinician``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsClinician
from consultations import selectors, services
from consultations.serializers import (
    ConsultationEndInput,
    ConsultationFilterInput,
    ConsultationOutput,
    ConsultationStartInput,
    NoteCreateInput,
    NoteFilterInput,
    NoteOutput,
    NoteUpdateInput,
    PromptInput,
    PromptOutput,
    SegmentInput,
    SegmentOutput,
    SummaryOutput,
    SummarySignInput,
    TranscriptOutput,
    TranscriptPromptInput,
    TranscriptReplaceInput,
)
from scribe.core.exceptions import InvalidInput, NotFound
from scribe.core.serializers import validated

TRANSCRIPT_TEXT_RULES = """
**Segments and `PUT` of the whole text.** A transcript's text comes from one of two sources,
shown by `text_source`:

* `segments` (the default): `transcript_text` is the segments joined by newlines in `seq`
  order, whatever order they arrived in.
* `edited`: an older client saved the whole text with `PUT /api/v1/transcripts/{id}`. From then
  on `transcript_text` is exactly that text. The segments are kept (never deleted) and still
  counted in `segments_count`, but the transcript takes no new segments: `POST {id}/segments`
  answers `409` (a retry of a segment stored before the `PUT`, same `seq` and text, still
  answers `200`). The text may be `PUT` again while the consultation is active.

Once the consultation has ended, both `PUT` and new segments answer `409`.
"""


class ClinicianViewSet(viewsets.GenericViewSet):
    permission_classes = [IsClinician]
    lookup_value_regex = "[^/]+"

    def paginated(self, queryset: Any, output: type[serializers.Serializer]) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(output(page, many=True, context=self.get_serializer_context()).data)


# --- Consultations ---------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="The caller's consultations, newest first",
        parameters=[ConsultationFilterInput],
        responses=ConsultationOutput(many=True),
    ),
    retrieve=extend_schema(summary="One consultation", responses=ConsultationOutput),
)
class ConsultationViewSet(ClinicianViewSet):
    def list(self, request: Request) -> Response:
        filters = validated(ConsultationFilterInput, request.query_params)
        page = self.paginate_queryset(selectors.consultation_list(user=request.user, **filters))
        page = selectors.consultation_page(consultations=page)
        return self.get_paginated_response(ConsultationOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ConsultationOutput(selectors.consultation_get(user=request.user, pk=pk)).data)

    @extend_schema(
        summary="Start a consultation (creates its transcript)",
        request=ConsultationStartInput,
        responses={201: ConsultationOutput},
    )
    @action(detail=False, methods=["post"])
    def start(self, request: Request) -> Response:
        data = validated(ConsultationStartInput, request.data)
        consultation = services.consultation_start(clinician=request.user, patient_data=data["patient_data"])
        consultation = selectors.consultation_get(user=request.user, pk=consultation.pk)
        return Response(ConsultationOutput(consultation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End a consultation",
        description="Optional `summary`: the clinician's closing summary (free text). "
        "Its transcript then takes no more segments and no `PUT`. Ending an ended consultation: `409`.",
        request=ConsultationEndInput,
        responses={200: ConsultationOutput, 409: OpenApiResponse(description="Already ended.")},
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        consultation = selectors.consultation_get(user=request.user, pk=pk)
        data = validated(ConsultationEndInput, request.data)
        services.consultation_end(consultation=consultation, summary=data.get("summary"))
        return Response(ConsultationOutput(selectors.consultation_get(user=request.user, pk=pk)).data)


# --- Transcripts -------------------------------------------------------------------------


@extend_schema_view(
    retrieve=extend_schema(summary="One transcript", description=TRANSCRIPT_TEXT_RULES, responses=TranscriptOutput),
    update=extend_schema(
        summary="Replace the whole transcript text (older clients)",
        description=TRANSCRIPT_TEXT_RULES,
        request=TranscriptReplaceInput,
        responses={200: TranscriptOutput, 409: OpenApiResponse(description="The consultation has ended.")},
    ),
)
class TranscriptViewSet(ClinicianViewSet):
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(TranscriptOutput(selectors.transcript_get(user=request.user, pk=pk)).data)

    def update(self, request: Request, pk: str) -> Response:
        transcript = selectors.transcript_get(user=request.user, pk=pk)
        data = validated(TranscriptReplaceInput, request.data)
        services.transcript_text_replace(transcript=transcript, text=data["transcript_text"])
        return Response(TranscriptOutput(selectors.transcript_get(user=request.user, pk=pk)).data)

    @extend_schema(
        summary="Append one segment (idempotent by seq)",
        description="Segments may arrive in any order and be retried: the same `seq` with the same text "
        "again answers `200` with the stored segment; with other text `409`. "
        f"`seq` is 0-{services.SEGMENT_MAX_SEQ}, `text` at most {services.SEGMENT_MAX_CHARS} characters "
        "(else `400`).\n" + TRANSCRIPT_TEXT_RULES,
        request=SegmentInput,
        responses={
            201: SegmentOutput,
            200: OpenApiResponse(SegmentOutput, description="This seq was already stored with the same text."),
            409: OpenApiResponse(description="Other text for this seq, the consultation ended, or the text was PUT."),
        },
    )
    @action(detail=True, methods=["post"])
    def segments(self, request: Request, pk: str) -> Response:
        transcript = selectors.transcript_get(user=request.user, pk=pk)
        data = validated(SegmentInput, request.data)
        segment, created = services.segment_append(transcript=transcript, **data)
        return Response(SegmentOutput(segment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="The transcript's segments in seq order",
        description="Speaker, times and text of each segment, paginated, ordered by `seq` (the numbers a "
        "summary's evidence cites). Segments are kept after a `PUT` of the whole text.",
        responses=SegmentOutput(many=True),
    )
    @segments.mapping.get
    def segments_list(self, request: Request, pk: str) -> Response:
        transcript = selectors.transcript_get(user=request.user, pk=pk)
        return self.paginated(selectors.segment_list(transcript=transcript), SegmentOutput)

    @extend_schema(
        summary="Link a prompt to the transcript (its prompt_used)",
        description="`prompt_id`: the caller's own prompt or another clinician's shareable one (not deleted); "
        "otherwise `404`. The Node.js face's `PATCH /api/prompts/{promptId}/add-prompt/{transcriptId}`.",
        request=TranscriptPromptInput,
        responses={200: TranscriptOutput},
    )
    @action(detail=True, methods=["put"], url_path="prompt")
    def prompt(self, request: Request, pk: str) -> Response:
        transcript = selectors.transcript_get(user=request.user, pk=pk)
        data = validated(TranscriptPromptInput, request.data)
        prompt = selectors.prompt_get_usable(user=request.user, pk=data["prompt_id"])
        services.transcript_prompt_link(transcript=transcript, prompt=prompt)
        return Response(TranscriptOutput(selectors.transcript_get(user=request.user, pk=pk)).data)

    @extend_schema(
        summary="Sign a summary version (optionally with edits, stored as a new version first)",
        description="Only the newest version can be signed, and only once: otherwise `409`. The signed "
        "version is immutable and records who signed it, when, the AI draft it derives from and the "
        "per-section diff from that draft (`sign_diff`).",
        request=SummarySignInput,
        parameters=[OpenApiParameter("version", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: SummaryOutput, 409: OpenApiResponse(description="Not the newest version, or already signed.")},
    )
    @action(detail=True, methods=["post"], url_path=r"summaries/(?P<version>[0-9]{1,9})/sign")
    def sign(self, request: Request, pk: str, version: str) -> Response:
        transcript = selectors.transcript_get(user=request.user, pk=pk)
        data = validated(SummarySignInput, request.data or {})
        signed = services.summary_sign(
            transcript=transcript, version=int(version), signer=request.user, edits=data.get("edits")
        )
        return Response(SummaryOutput(signed).data)


# --- Notes -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="The caller's notes, newest first", parameters=[NoteFilterInput], responses=NoteOutput(many=True)
    ),
    create=extend_schema(summary="Add a note to a consultation", request=NoteCreateInput, responses={201: NoteOutput}),
    retrieve=extend_schema(summary="One note", responses=NoteOutput),
    update=extend_schema(summary="Replace a note's body", request=NoteUpdateInput, responses=NoteOutput),
    partial_update=extend_schema(summary="Change a note's body", request=NoteUpdateInput, responses=NoteOutput),
    destroy=extend_schema(summary="Delete a note", responses={204: None}),
)
class NoteViewSet(ClinicianViewSet):
    def list(self, request: Request) -> Response:
        filters = validated(NoteFilterInput, request.query_params)
        return self.paginated(selectors.note_list(user=request.user, **filters), NoteOutput)

    def create(self, request: Request) -> Response:
        data = validated(NoteCreateInput, request.data)
        try:
            consultation = selectors.consultation_get(user=request.user, pk=data["consultation"])
        except NotFound:
            # The same answer whether it does not exist or is another clinician's.
            raise InvalidInput(errors={"consultation": ["Consultation not found."]}) from None
        note = services.note_create(clinician=request.user, consultation=consultation, body=data["body"])
        return Response(NoteOutput(note).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(NoteOutput(selectors.note_get(user=request.user, pk=pk)).data)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        note = selectors.note_get(user=request.user, pk=pk)
        data = validated(NoteUpdateInput, request.data, partial=partial)
        if "consultation" in data and data["consultation"] != str(note.consultation_id):
            raise InvalidInput(errors={"consultation": ["A note cannot move to another consultation."]})
        if "body" in data:
            services.note_update(note=note, body=data["body"])
        return Response(NoteOutput(note).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        services.note_delete(note=selectors.note_get(user=request.user, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Prompts -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="The caller's prompts and other clinicians' shareable ones", responses=PromptOutput(many=True)
    ),
    create=extend_schema(summary="Create a prompt template", request=PromptInput, responses={201: PromptOutput}),
    retrieve=extend_schema(summary="One prompt (own, or another clinician's shareable one)", responses=PromptOutput),
    update=extend_schema(summary="Replace a prompt (owner only)", request=PromptInput, responses=PromptOutput),
    partial_update=extend_schema(summary="Change a prompt (owner only)", request=PromptInput, responses=PromptOutput),
    destroy=extend_schema(
        summary="Delete a prompt (owner only; soft delete)",
        description="The prompt leaves every list and lookup; transcripts and summaries that used it keep naming it.",
        responses={204: None},
    ),
)
class PromptViewSet(ClinicianViewSet):
    def list(self, request: Request) -> Response:
        return self.paginated(selectors.prompt_list(user=request.user), PromptOutput)

    def create(self, request: Request) -> Response:
        data = validated(PromptInput, request.data)
        prompt = services.prompt_create(
            owner=request.user, name=data["prompt_name"], text=data["prompt_text"], is_shareable=data["is_shareable"]
        )
        return Response(PromptOutput(prompt, context={"request": request}).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        prompt = selectors.prompt_get_usable(user=request.user, pk=pk)
        return Response(PromptOutput(prompt, context={"request": request}).data)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        prompt = selectors.prompt_get_editable(user=request.user, pk=pk)
        data = validated(PromptInput, request.data, partial=partial)
        if partial:
            # A partial update must not reset is_shareable to its create-time default.
            data = {key: value for key, value in data.items() if key in request.data}
        services.prompt_update(
            prompt=prompt,
            **{field: data[key] for key, field in PROMPT_FIELDS.items() if key in data},
        )
        return Response(PromptOutput(prompt, context={"request": request}).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        services.prompt_soft_delete(prompt=selectors.prompt_get_editable(user=request.user, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


PROMPT_FIELDS = {"prompt_name": "name", "prompt_text": "text", "is_shareable": "is_shareable"}
