"""AI endpoints: ``/api/v1/ai/...`` and ``POST /api/v1/transcripts/{id}/summarize``.

Short declarations: input serializers validate, ``ai.services`` /
``ai.summaries`` do the work, every failure is an ``ApplicationError`` the
shared handler turns into the contract's JSON error (also for ``?stream=true``,
whose stream only starts once the provider has accepted the request).

The model-calling actions are async (``adrf``; see /work/wt/notes/ASYNC_PATTERN.md
and README "Deploying"): authentication, permissions and every database read or
write run in a thread (``database_sync_to_async``), the provider is awaited on the event
loop, so under ASGI a request waiting on the provider holds no thread. Sync
actions (SNOMED CT search) run in a thread as before.
"""

from __future__ import annotations

from adrf import viewsets as async_viewsets
from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from accounts.permissions import IsClinician, IsPatientOrClinician
from ai import serializers as s
from ai.images import image_check, image_or_url
from ai.services import aaudio_transcribe, aimage_analyse, asearch_answer, clinical_codes_search
from ai.summaries import SummaryJob, asummary_run, asummary_stream, summary_prepare
from ai.view_mixins import AIRequestMixin
from consultations.selectors import prompt_get_usable, transcript_get
from scribe.core.asyncdb import database_sync_to_async
from scribe.core.exceptions import InvalidInput
from scribe.core.parsers import ScribeMultiPartParser, json_parser_classes
from scribe.core.serializers import QuerySerializer, validated

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


async def _summary_response(job: SummaryJob, *, stream: bool):
    if not stream:
        return Response(await asummary_run(job))
    response = StreamingHttpResponse(await asummary_stream(job), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events on as they come
    return response


def _stream_wanted(request) -> bool:
    """``?stream=`` read first, so a bad value is a 400 before anything is looked up."""
    return validated(StreamQuerySerializer, request.query_params)["stream"]


class AsyncAIViewSet(AIRequestMixin, async_viewsets.ViewSet):
    """The base of every view that waits on the AI provider: async actions (``adrf``),
    answers in JSON whatever was accepted, and one time budget
    (``AI_REQUEST_BUDGET_SECONDS``) shared by all provider calls of the request,
    started before authentication as it always was."""

    content_negotiation_class = JSONWhateverAccepted


class AIViewSet(AsyncAIViewSet):
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
    async def search(self, request):
        data = validated(s.SearchInputSerializer, request.data)
        return Response(await asearch_answer(user=request.user, query=data["query"]))

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
    async def summary(self, request):
        stream = _stream_wanted(request)
        data = validated(s.SummaryInputSerializer, request.data)
        job = await database_sync_to_async(_summary_job)(request.user, data)
        return await _summary_response(job, stream=stream)

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
    async def images(self, request):
        prompt, images = await database_sync_to_async(_images_input)(request)
        return Response(await aimage_analyse(user=request.user, prompt=prompt, images=images))

    @extend_schema(
        request={"multipart/form-data": s.TranscribeInputSerializer},
        responses={200: s.TranscriptionSerializer, **UPSTREAM_RESPONSES},
    )
    @action(detail=False, methods=["post"], parser_classes=[ScribeMultiPartParser])
    async def transcribe(self, request):
        data, transcript, audio = await database_sync_to_async(_transcribe_input)(request)
        answer = await aaudio_transcribe(
            user=request.user, audio=audio, transcript=transcript, start_seq=data.get("start_seq")
        )
        return Response(answer)

    @extend_schema(
        parameters=[s.ClinicalCodesQuerySerializer],
        responses={200: s.ClinicalCodeSerializer(many=True), **UPSTREAM_RESPONSES},
    )
    @action(detail=False, methods=["get"], url_path="clinical-codes")
    def clinical_codes(self, request):
        query = validated(s.ClinicalCodesQuerySerializer, request.query_params)
        return Response(clinical_codes_search(term=query["term"]))


class TranscriptSummarizeViewSet(AsyncAIViewSet):
    """``POST transcripts/{id}/summarize``: summarise and keep the summary on the transcript."""

    permission_classes = [IsClinician]

    @extend_schema(
        request=s.SummarizeInputSerializer,
        parameters=[OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH), STREAM_PARAMETER],
        responses=SUMMARY_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    async def summarize(self, request, pk=None):
        stream = _stream_wanted(request)
        job = await database_sync_to_async(_summarize_job)(request, pk)
        return await _summary_response(job, stream=stream)


# --- the sync parts of the async actions (database reads, quota, multipart parsing), run in a thread


def _summary_job(user, data: dict) -> SummaryJob:
    transcript = transcript_get(user=user, pk=data["transcript_id"]) if "transcript_id" in data else None
    prompt = prompt_get_usable(user=user, pk=data["prompt_id"]) if "prompt_id" in data else None
    return summary_prepare(
        user=user,
        transcript=transcript,
        text=data.get("transcript_text"),
        prompt=prompt,
        prompt_text=data.get("prompt_text"),
    )


def _summarize_job(request, pk) -> SummaryJob:
    transcript = transcript_get(user=request.user, pk=pk)
    data = validated(s.SummarizeInputSerializer, request.data or {})
    prompt = prompt_get_usable(user=request.user, pk=data["prompt_id"]) if "prompt_id" in data else None
    return summary_prepare(user=request.user, transcript=transcript, prompt=prompt)


def _images_input(request) -> tuple[str, list[tuple[str, bytes] | str]]:
    if request.content_type.startswith("multipart/"):
        return _images_from_upload(request)
    data = validated(s.ImagesInputSerializer, request.data)
    return data["prompt"], [image_or_url(ref) for ref in data["images"]]


def _transcribe_input(request) -> tuple[dict, object, bytes]:
    data = validated(s.TranscribeInputSerializer, request.data)
    transcript = transcript_get(user=request.user, pk=data["transcript_id"]) if "transcript_id" in data else None
    upload = data["audio"]
    if upload.size > settings.AI_AUDIO_MAX_BYTES:
        message = f"The audio file may be at most {settings.AI_AUDIO_MAX_BYTES} bytes."
        raise InvalidInput(message, errors={"audio": [message]})
    return data, transcript, upload.read()


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
