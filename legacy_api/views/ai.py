"""The Node.js face: /api/ai (search, clinical codes, summarise, analyze)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsPatientOrClinician
from ai.images import image_or_url
from ai.serializers import PROMPT_MAX_CHARS, QUERY_MAX_CHARS
from ai.services import aimage_analyse, asearch_answer, clinical_codes_search
from ai.summaries import SummaryJob, asummary_run, summary_prepare
from ai.terminology import SNOMED_SYSTEM
from consultations import selectors
from legacy_api.errors import NodeError, node_exception_handler, node_msg
from legacy_api.views.base import (
    CONSULTATION_NOT_FOUND,
    NODE_OBJECT,
    UPSTREAM,
    NodeAIView,
    json_body,
    node_schema,
    optional_text,
)
from scribe.core.asyncdb import database_sync_to_async
from scribe.core.exceptions import InvalidInput

# --- AI ------------------------------------------------------------------------------------


DEFAULT_IMAGE_PROMPT = "Explain this image !"
CLINICAL_CODES_NAME_PATTERN = r"^\s*\S[\s\S]{0,98}\S\s*$"


def _optional_text_field(max_chars: int) -> serializers.CharField:
    """What ``optional_text`` takes: text, blank or null (both read as absent)."""
    return serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=max_chars)


class SearchView(NodeAIView):
    permission_classes = [IsPatientOrClinician]

    @node_schema(
        "POST /api/v1/ai/search",
        request=inline_serializer("NodeSearch", {"query": serializers.CharField(required=False)}),
        parameters=[OpenApiParameter("query", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False)],
        responses={200: NODE_OBJECT, **UPSTREAM},
    )
    async def post(self, request: Request) -> Response:
        query = request.query_params.get("query")
        body = {}
        # The frontend sends the query in the query string; a body beside it is read only when it
        # is JSON (any other body is ignored, as before), and a JSON query that is not a string
        # is refused even then: a body the schema does not allow.
        if not query or request.content_type.startswith("application/json"):
            body = request.data if isinstance(request.data, dict) else {}
        if body.get("query") is not None and not isinstance(body["query"], str):
            raise InvalidInput(errors={"query": ["Must be a string."]})
        query = query or body.get("query")
        if not isinstance(query, str) or not query.strip():
            raise NodeError("Query is required", status=400, code="invalid", extra={"error": "Query is required"})
        if len(query) > QUERY_MAX_CHARS:
            raise InvalidInput(errors={"query": [f"Must be at most {QUERY_MAX_CHARS} characters."]})
        answer = await asearch_answer(user=request.user, query=query.strip())
        return Response({"query": query, "answer": answer["answer"]})


class ClinicalCodesView(NodeAIView):
    @node_schema(
        "GET /api/v1/ai/clinical-codes?term=",
        parameters=[
            OpenApiParameter(
                "name",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=True,
                # 2 to 100 characters once trimmed, as the view checks.
                pattern=CLINICAL_CODES_NAME_PATTERN,
            )
        ],
        responses={200: NODE_OBJECT, **UPSTREAM},
    )
    def get(self, request: Request) -> Response:
        name = (request.query_params.get("name") or "").strip()
        if not 2 <= len(name) <= 100:
            raise InvalidInput("name must be 2 to 100 characters.", errors={"name": ["Must be 2 to 100 characters."]})
        concepts = clinical_codes_search(term=name)
        # Node's `url` was the code system; each concept's own URI is `uri`.
        matches = [{"name": c["name"], "code": c["code"], "url": SNOMED_SYSTEM, "uri": c["url"]} for c in concepts]
        first = matches[0] if matches else {"name": None, "code": None, "url": SNOMED_SYSTEM}
        return Response({"name": first["name"], "code": first["code"], "url": first["url"], "matches": matches})


def _summarise_job(user: Any, pk: str, body: dict[str, Any]) -> SummaryJob:
    """The database steps of a Node summary, in one thread hop: the caller's consultation
    (404 with Node's sentence), the prompt read, the provider and quota checks."""
    with node_msg(CONSULTATION_NOT_FOUND):
        consultation = selectors.consultation_get(user=user, pk=pk)
    prompt_text = optional_text(body, "usedPrompt", max_chars=PROMPT_MAX_CHARS)
    return summary_prepare(user=user, transcript=consultation.transcript, prompt_text=prompt_text)


class SummariseView(NodeAIView):
    @node_schema(
        "POST /api/v1/transcripts/{id}/summarize",
        request=inline_serializer("NodeSummarise", {"usedPrompt": _optional_text_field(PROMPT_MAX_CHARS)}),
        responses={200: NODE_OBJECT, **UPSTREAM},
    )
    async def post(self, request: Request, pk: str) -> Response:
        body = json_body(request)
        job = await database_sync_to_async(_summarise_job)(request.user, pk, body)
        answer = await asummary_run(job)
        return Response(
            {
                "msg": "SOAP summary generated successfully",
                "consultationId": str(job.transcript.consultation_id),
                "soapSummary": answer["text"],
            }
        )


def _analyze_error(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Node's ``{status: "error", error: {name, type, message}}`` beside Scribe's envelope."""
    response = node_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        response.data = {
            "status": "error",
            "error": {
                "name": type(exc).__name__,
                "type": response.data.get("code"),
                "message": response.data.get("detail"),
            },
            **response.data,
        }
    return response


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": "One image reference."},
            {"type": "array", "items": {"type": "string", "pattern": r"\S"}},
        ],
        "description": "Data URLs, base64 or https URLs; one reference or a list.",
    }
)
class NodeImagesField(serializers.JSONField):
    pass


class AnalyzeView(NodeAIView):
    def get_exception_handler(self):
        return _analyze_error

    @node_schema(
        "POST /api/v1/ai/images",
        request=inline_serializer(
            "NodeAnalyze",
            {
                "prompt": _optional_text_field(PROMPT_MAX_CHARS),
                "images": NodeImagesField(required=False, allow_null=True),
            },
        ),
        responses={200: NODE_OBJECT, **UPSTREAM},
    )
    async def post(self, request: Request) -> Response:
        body = json_body(request)
        prompt = optional_text(body, "prompt", max_chars=PROMPT_MAX_CHARS) or DEFAULT_IMAGE_PROMPT
        raw = body.get("images")
        references = [] if raw in (None, "") else [raw] if isinstance(raw, str) else raw
        if not isinstance(references, list) or not all(isinstance(r, str) and r.strip() for r in references):
            raise InvalidInput(errors={"images": ["Must be a list of image references."]})
        if len(references) > settings.AI_IMAGE_MAX_COUNT:
            raise InvalidInput(errors={"images": [f"At most {settings.AI_IMAGE_MAX_COUNT} images."]})
        images = [image_or_url(reference.strip()) for reference in references]
        answer = await aimage_analyse(user=request.user, prompt=prompt, images=images)
        return Response({"status": "ok", "response": answer["answer"]})
