"""AI endpoints: ``/api/v1/ai/...`` and ``POST /api/v1/transcripts/{id}/summarize``.

Short declarations: input serializers validate, ``ai.services`` /
``ai.summaries`` do the work, every failure is an ``ApplicationError`` the
shared handler turns into the contract's JSON error (also for ``?stream=true``,
whose stream only starts once the provider has accepted the request).
"""

from __future__ import annotations

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from accounts.permissions import IsClinician, IsPatientOrClinician
from ai import client
from ai import serializers as s
from ai.images import image_check, image_or_url
from ai.services import audio_transcribe, clinical_codes_search, image_analyse, search_answer
from ai.summaries import SummaryJob, summary_prepare, summary_run, summary_stream
from consultations.selectors import prompt_get_usable, transcript_get
from scribe.core.exceptions import InvalidInput
from scribe.core.parsers import ScribeMultiPartParser, json_parser_classes
from scribe.core.serializers import QuerySerializer

# A 1x1 PNG: lets the schema's explicit examples (and the fuzzer) reach the model.
PNG_1X1_DATA_URL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)


class JSONWhateverAccepted(DefaultContentNegotiation):
    """Answers (and errors) are JSON even when the client asked for text/event-stream:
    a stream is requested with ``?stream=true``, never by content negotiation."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StreamQuerySerializer(QuerySerializer):
    stream = serializers.BooleanField(required=False, default=False)


STREAM_PARAMETER = OpenApiParameter(
    "stream",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description="true: answer text/event-stream (`text` events with the note as it arrives, then one "
    "`summary` event with the stored summary, or an `error` event).",
)
# One event of the stream: `text` {"text"}, then `summary` (the JSON answer) or `error`
# ({detail, code, request_id, status}); `data` is always a JSON document.
SSE_EVENT_SCHEMA = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["text", "summary", "error"]},
        "data": {"type": "string", "description": "A JSON document."},
    },
}
SUMMARY_RESPONSES = {
    (200, "application/json"): s.AISummarySerializer,
    (200, "text/event-stream"): OpenApiResponse(
        SSE_EVENT_SCHEMA,
        description="Server-sent events (with ?stream=true); the schema describes one event.",
    ),
    (502, "application/json"): OpenApiResponse(description="The AI provider failed or answered nonsense."),
    (503, "application/json"): OpenApiResponse(description="AI not configured, busy or unreachable (Retry-After)."),
    (504, "application/json"): OpenApiResponse(description="The AI provider timed out."),
}
UPSTREAM_RESPONSES = {
    502: OpenApiResponse(description="The upstream service failed or answered nonsense."),
    503: OpenApiResponse(description="Not configured, busy or unreachable (Retry-After)."),
    504: OpenApiResponse(description="The upstream service timed out."),
}


def _summary_response(job: SummaryJob, *, stream: bool):
    if not stream:
        return Response(summary_run(job))
    response = StreamingHttpResponse(summary_stream(job), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events on as they come
    return response


def _stream_wanted(request) -> bool:
    """``?stream=`` read first, so a bad value is a 400 before anything is looked up."""
    return _valid(StreamQuerySerializer, request.query_params)["stream"]


class _AIViewSet(viewsets.ViewSet):
    """Answers are JSON whatever was accepted; all provider calls of one request share
    one time budget (``AI_REQUEST_BUDGET_SECONDS``)."""

    content_negotiation_class = JSONWhateverAccepted

    def dispatch(self, request, *args, **kwargs):
        with client.request_budget():
            return super().dispatch(request, *args, **kwargs)


class AIViewSet(_AIViewSet):

    def get_permissions(self):
        if self.action == "search":
            return [IsPatientOrClinician()]
        return [IsClinician()]

    @extend_schema(
        request=s.SearchInputSerializer,
        responses={200: s.AnswerSerializer, **UPSTREAM_RESPONSES},
        examples=[OpenApiExample("question", value={"query": "What are the symptoms of asthma?"}, request_only=True)],
    )
    @action(detail=False, methods=["post"])
    def search(self, request):
        data = _valid(s.SearchInputSerializer, request.data)
        return Response(search_answer(user=request.user, query=data["query"]))

    @extend_schema(
        request=s.SummaryInputSerializer,
        parameters=[STREAM_PARAMETER],
        responses=SUMMARY_RESPONSES,
        examples=[
            OpenApiExample(
                "free text",
                value={"transcript_text": "Patient: cough for three days.\nClinician: chest is clear."},
                request_only=True,
            )
        ],
    )
    @action(detail=False, methods=["post"])
    def summary(self, request):
        stream = _stream_wanted(request)
        data = _valid(s.SummaryInputSerializer, request.data)
        transcript = (
            transcript_get(user=request.user, pk=data["transcript_id"]) if "transcript_id" in data else None
        )
        prompt = prompt_get_usable(user=request.user, pk=data["prompt_id"]) if "prompt_id" in data else None
        job = summary_prepare(
            user=request.user,
            transcript=transcript,
            text=data.get("transcript_text"),
            prompt=prompt,
            prompt_text=data.get("prompt_text"),
        )
        return _summary_response(job, stream=stream)

    @extend_schema(
        request={"application/json": s.ImagesInputSerializer, "multipart/form-data": s.ImagesUploadSerializer},
        responses={200: s.AnswerSerializer, **UPSTREAM_RESPONSES},
        examples=[
            OpenApiExample(
                "data URL",
                value={"prompt": "Describe this image.", "images": [PNG_1X1_DATA_URL]},
                request_only=True,
                media_type="application/json",
            )
        ],
    )
    @action(detail=False, methods=["post"], parser_classes=[*json_parser_classes(), ScribeMultiPartParser])
    def images(self, request):
        if request.content_type.startswith("multipart/"):
            prompt, images = _images_from_upload(request)
        else:
            data = _valid(s.ImagesInputSerializer, request.data)
            prompt, images = data["prompt"], [image_or_url(ref) for ref in data["images"]]
        return Response(image_analyse(user=request.user, prompt=prompt, images=images))

    @extend_schema(
        request={"multipart/form-data": s.TranscribeInputSerializer},
        responses={200: s.TranscriptionSerializer, **UPSTREAM_RESPONSES},
    )
    @action(detail=False, methods=["post"], parser_classes=[ScribeMultiPartParser])
    def transcribe(self, request):
        data = _valid(s.TranscribeInputSerializer, request.data)
        transcript = (
            transcript_get(user=request.user, pk=data["transcript_id"]) if "transcript_id" in data else None
        )
        upload = data["audio"]
        if upload.size > settings.AI_AUDIO_MAX_BYTES:
            message = f"The audio file may be at most {settings.AI_AUDIO_MAX_BYTES} bytes."
            raise InvalidInput(message, errors={"audio": [message]})
        answer = audio_transcribe(
            user=request.user, audio=upload.read(), transcript=transcript, start_seq=data.get("start_seq")
        )
        return Response(answer)

    @extend_schema(
        parameters=[s.ClinicalCodesQuerySerializer],
        responses={200: s.ClinicalCodeSerializer(many=True), **UPSTREAM_RESPONSES},
    )
    @action(detail=False, methods=["get"], url_path="clinical-codes")
    def clinical_codes(self, request):
        query = _valid(s.ClinicalCodesQuerySerializer, request.query_params)
        return Response(clinical_codes_search(term=query["term"]))


class TranscriptSummarizeViewSet(_AIViewSet):
    """``POST transcripts/{id}/summarize``: summarise and keep the summary on the transcript."""

    permission_classes = [IsClinician]

    @extend_schema(
        request=s.SummarizeInputSerializer,
        parameters=[OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH), STREAM_PARAMETER],
        responses=SUMMARY_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def summarize(self, request, pk=None):
        stream = _stream_wanted(request)
        transcript = transcript_get(user=request.user, pk=pk)
        data = _valid(s.SummarizeInputSerializer, request.data or {})
        prompt = prompt_get_usable(user=request.user, pk=data["prompt_id"]) if "prompt_id" in data else None
        job = summary_prepare(user=request.user, transcript=transcript, prompt=prompt)
        return _summary_response(job, stream=stream)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _images_from_upload(request) -> tuple[str, list[tuple[str, bytes]]]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(request.data) - {"prompt", "images"})
    for name in unknown:
        errors[name] = ["Unknown field."]
    prompt = str(request.data.get("prompt") or "").strip()
    if not prompt:
        errors["prompt"] = ["This field is required."]
    elif len(prompt) > s.PROMPT_MAX_CHARS:
        errors["prompt"] = [f"Ensure this field has no more than {s.PROMPT_MAX_CHARS} characters."]
    files = request.FILES.getlist("images")
    if not files:
        errors["images"] = ["Upload at least one image file."]
    elif len(files) > settings.AI_IMAGE_MAX_COUNT:
        errors["images"] = [f"At most {settings.AI_IMAGE_MAX_COUNT} images."]
    if errors:
        raise InvalidInput(errors=errors)
    images = []
    for upload in files:
        if upload.size > settings.AI_IMAGE_MAX_BYTES:
            message = f"Each image may be at most {settings.AI_IMAGE_MAX_BYTES} bytes."
            raise InvalidInput(message, errors={"images": [message]})
        images.append(image_check(upload.read(), claimed_type=upload.content_type))
    return prompt, images
