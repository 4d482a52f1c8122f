"""The Node.js face: the routes the deployed frontend calls, over Scribe's own services.

Each view parses the Node.js body, calls the same selectors and services as its
``/api/v1`` twin (named in its OpenAPI description), and reshapes the answer
(``legacy_api.shapes``). No rule lives here: who may see what is in the selectors'
queries (another clinician's record is a 404, a patient gets 403), every write is a
service, every model call an ``ai`` service. Errors add Node's ``msg``
(``legacy_api.errors``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimits
from accounts import services as account_services
from accounts.messages import INCORRECT_LOGIN, USER_EXISTS
from accounts.permissions import IsClinician, IsPatientOrClinician
from accounts.selectors import user_email_available
from accounts.serializers import EmailCheckInput, LoginInput, RegisterInput
from ai import client
from ai.consultation_end import consultation_end_with_summary
from ai.images import image_or_url
from ai.serializers import PROMPT_MAX_CHARS, QUERY_MAX_CHARS
from ai.services import clinical_codes_search, image_analyse, search_answer
from ai.summaries import summary_prepare, summary_run
from ai.terminology import SNOMED_SYSTEM
from consultations import selectors, services
from consultations.serializers import NOTE_BODY_MAX_CHARS, ConsultationStartInput, PromptInput
from legacy_api import shapes
from legacy_api.authentication import NodeJWTAuthentication
from legacy_api.errors import NodeError, node_exception_handler, node_msg
from legacy_api.schema import NODE_TAG
from scribe.core.exceptions import ApplicationError, InvalidInput
from scribe.core.views import RootView

DEFAULT_IMAGE_PROMPT = "Explain this image !"
NODE_OBJECT = OpenApiResponse(OpenApiTypes.OBJECT, description="A Node.js-shaped JSON document.")
UPSTREAM = {
    502: OpenApiResponse(description="The upstream service failed."),
    503: OpenApiResponse(description="Not configured, busy or unreachable."),
    504: OpenApiResponse(description="The upstream service timed out."),
}


def node_schema(twin: str, *, request: Any = None, responses: dict | None = None, **kwargs: Any):
    """The OpenAPI entry of a Node.js route: its own tag, and its ``/api/v1`` twin named."""

    def decorate(method):
        view_name, verb = method.__qualname__.split(".")
        return extend_schema(
            operation_id=f"node_{view_name.removesuffix('View')}_{verb}",
            tags=[NODE_TAG],
            description=f"Legacy (Node.js) face of `{twin}`: same services and ownership rules, "
            "Node.js paths, bodies and keys (`_id`, `msg`). Path ids may be Scribe ids or legacy 24-hex `_id`s.",
            request=request,
            responses=responses or {200: NODE_OBJECT},
            **kwargs,
        )(method)

    return decorate


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise InvalidInput("The body must be a JSON object.", errors={"non_field_errors": ["Must be a JSON object."]})
    return request.data


def _picked(serializer_class: type[serializers.Serializer], data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Validate only the fields the serializer knows: the frontend may send more (Node ignored them)."""
    fields = serializer_class().fields
    serializer = serializer_class(data={k: v for k, v in data.items() if k in fields}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _text(data: dict[str, Any], key: str, *, max_chars: int) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise InvalidInput(errors={key: ["Must be text."]})
    if len(value) > max_chars:
        raise InvalidInput(errors={key: [f"Must be at most {max_chars} characters."]})
    return value


class NodeView(APIView):
    authentication_classes = [NodeJWTAuthentication]
    permission_classes = [IsClinician]

    def get_exception_handler(self):
        return node_exception_handler


class NodePublicView(NodeView):
    # No bearer token read: a stale one must not block a login.
    authentication_classes: list = []
    permission_classes = [AllowAny]


class NodeAIView(NodeView):
    def dispatch(self, request, *args, **kwargs):
        with client.request_budget():  # every provider call of the request shares one budget
            return super().dispatch(request, *args, **kwargs)


# --- Service -------------------------------------------------------------------------------


class NodeRootView(RootView):
    @extend_schema(
        operation_id="service_root",
        description="Scribe's welcome, with the Node.js backend's `msg` beside it.",
        responses=inline_serializer(
            "Welcome",
            {"msg": serializers.CharField(), "message": serializers.CharField(), "version": serializers.CharField()},
        ),
    )
    def get(self, request: Request) -> Response:
        response = super().get(request)
        response.data = {"msg": "welcome to the server", **response.data}
        return response


# --- Users ---------------------------------------------------------------------------------

REGISTER_BODY = inline_serializer(
    "NodeRegister",
    {
        "username": serializers.CharField(),
        "email": serializers.EmailField(),
        "password": serializers.CharField(),
        "role": serializers.CharField(help_text="`clinician` or `patient`."),
    },
)


class RegisterView(NodePublicView):
    @node_schema("POST /api/v1/users/register", request=REGISTER_BODY, responses={200: NODE_OBJECT, 401: NODE_OBJECT}, auth=[])
    def post(self, request: Request) -> Response:
        ratelimits.register_ip(request)
        data = _picked(RegisterInput, _body(request))
        try:
            account_services.user_register(**data)
        except InvalidInput as error:
            if error.detail == USER_EXISTS:
                # Node's status for a taken email.
                raise NodeError(USER_EXISTS, status=401, code="user_exists") from None
            raise
        return Response({"msg": "User has been registered"})


class LoginView(NodePublicView):
    @node_schema(
        "POST /api/v1/users/login",
        request=inline_serializer("NodeLogin", {"email": serializers.EmailField(), "password": serializers.CharField()}),
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = _picked(LoginInput, _body(request))
        with node_msg(INCORRECT_LOGIN, account_services.NotAuthenticated):
            _user, access, refresh = account_services.user_login(request=request, **data)
        return Response({"msg": "login successful", "token": str(access), "refresh_token": str(refresh)})


class LogoutView(NodeView):
    permission_classes = [IsPatientOrClinician]

    @node_schema("POST /api/v1/users/logout", request=None)
    def post(self, request: Request) -> Response:
        account_services.user_logout(request=request, user=request.user, token=request.auth, raw_refresh=None)
        return Response({"msg": "user logged out successfully"})


class ProfileView(NodeView):
    permission_classes = [IsPatientOrClinician]

    @node_schema("GET /api/v1/users/profile")
    def get(self, request: Request) -> Response:
        return Response({"success": True, "data": shapes.user_profile(request.user)})


class CheckEmailView(NodePublicView):
    @node_schema("GET /api/v1/users/check-email", parameters=[EmailCheckInput], auth=[])
    def get(self, request: Request) -> Response:
        ratelimits.check_email_ip(request)
        serializer = EmailCheckInput(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return Response({"available": user_email_available(email=serializer.validated_data["email"])})


class CheckEmailDoubledView(CheckEmailView):
    """The path the Node.js router really had (``/users`` + ``/users/checkEmail``)."""

    @node_schema("GET /api/v1/users/check-email", parameters=[EmailCheckInput], auth=[])
    def get(self, request: Request) -> Response:
        return super().get(request)


# --- Consultations -------------------------------------------------------------------------

CONSULTATION_NOT_FOUND = "Consultation not found"


class ConsultationStartView(NodeView):
    @node_schema("POST /api/v1/consultations/start", request=ConsultationStartInput)
    def post(self, request: Request) -> Response:
        data = _picked(ConsultationStartInput, _body(request))
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


class ConsultationEndView(NodeAIView):
    @node_schema(
        "POST /api/v1/consultations/{id}/end (+ POST /api/v1/transcripts/{id}/summarize)",
        request=inline_serializer("NodeConsultationEnd", {"prompt_used": serializers.CharField(required=False)}),
        responses={200: NODE_OBJECT, 409: OpenApiResponse(description="Already ended.")},
    )
    def post(self, request: Request, pk: str) -> Response:
        body = _body(request)
        with node_msg(CONSULTATION_NOT_FOUND):
            consultation = selectors.consultation_get(user=request.user, pk=pk)
        prompt = None
        if body.get("prompt_used") not in (None, ""):
            with node_msg("Prompt not found"):
                prompt = selectors.prompt_get_usable(user=request.user, pk=body["prompt_used"])
        ended = consultation_end_with_summary(user=request.user, consultation=consultation, prompt=prompt)
        transcript = selectors.transcript_get(user=request.user, pk=consultation.transcript.pk)
        return Response(
            {
                "msg": "Consultation ended successfully",
                "transcript": shapes.transcript_doc(transcript, populated=True),
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
        body = _body(request)
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
            consultation = selectors.consultation_get(user=request.user, pk=pk)
            transcript = selectors.transcript_get(user=request.user, pk=consultation.transcript.pk)
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
            "NodeNoteCreate", {"body": serializers.CharField(), "transcriptId": serializers.CharField(required=False)}
        ),
        responses={201: NODE_OBJECT},
    )
    def post(self, request: Request, pk: str) -> Response:
        body = _body(request)
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
        notes = [shapes.note_doc(n, populated=True) for n in selectors.note_list(user=request.user, consultation=consultation.pk)]
        return Response({"count": len(notes), "notes": notes})

    @node_schema("PATCH /api/v1/notes/{id}", request=inline_serializer("NodeNoteUpdate", {"body": serializers.CharField()}))
    def patch(self, request: Request, pk: str) -> Response:
        body = _body(request)
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
        data = _picked(PromptInput, _body(request))
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
        body = _body(request)
        with node_msg(PROMPT_NOT_ACCESSIBLE):
            prompt = selectors.prompt_get_owned(user=request.user, pk=pk)
        # Only the three fields; anything else a Node.js body carried (clinician, is_deleted) is ignored.
        data = _picked(PromptInput, body, partial=True)
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
            {"msg": "Prompt linked to transcript successfully", "data": shapes.transcript_doc(transcript, populated=True)}
        )


# --- AI ------------------------------------------------------------------------------------


class SearchView(NodeAIView):
    permission_classes = [IsPatientOrClinician]

    @node_schema(
        "POST /api/v1/ai/search",
        request=inline_serializer("NodeSearch", {"query": serializers.CharField(required=False)}),
        parameters=[OpenApiParameter("query", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False)],
        responses={200: NODE_OBJECT, **UPSTREAM},
    )
    def post(self, request: Request) -> Response:
        query = request.query_params.get("query")
        if not query and isinstance(request.data, dict):
            query = request.data.get("query")
        if not isinstance(query, str) or not query.strip():
            raise NodeError("Query is required", status=400, code="invalid", extra={"error": "Query is required"})
        if len(query) > QUERY_MAX_CHARS:
            raise InvalidInput(errors={"query": [f"Must be at most {QUERY_MAX_CHARS} characters."]})
        answer = search_answer(user=request.user, query=query.strip())
        return Response({"query": query, "answer": answer["answer"]})


class ClinicalCodesView(NodeAIView):
    @node_schema(
        "GET /api/v1/ai/clinical-codes?term=",
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True)],
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


class SummariseView(NodeAIView):
    @node_schema(
        "POST /api/v1/transcripts/{id}/summarize",
        request=inline_serializer("NodeSummarise", {"usedPrompt": serializers.CharField(required=False)}),
        responses={200: NODE_OBJECT, **UPSTREAM},
    )
    def post(self, request: Request, pk: str) -> Response:
        body = _body(request)
        with node_msg(CONSULTATION_NOT_FOUND):
            consultation = selectors.consultation_get(user=request.user, pk=pk)
        prompt_text = _text(body, "usedPrompt", max_chars=PROMPT_MAX_CHARS)
        job = summary_prepare(user=request.user, transcript=consultation.transcript, prompt_text=prompt_text)
        answer = summary_run(job)
        return Response(
            {
                "msg": "SOAP summary generated successfully",
                "consultationId": str(consultation.pk),
                "soapSummary": answer["text"],
            }
        )


def _analyze_error(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Node's ``{status: "error", error: {name, type, message}}`` beside Scribe's envelope."""
    response = node_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        response.data = {
            "status": "error",
            "error": {"name": type(exc).__name__, "type": response.data.get("code"), "message": response.data.get("detail")},
            **response.data,
        }
    return response


class AnalyzeView(NodeAIView):
    def get_exception_handler(self):
        return _analyze_error

    @node_schema(
        "POST /api/v1/ai/images",
        request=inline_serializer(
            "NodeAnalyze",
            {
                "prompt": serializers.CharField(required=False),
                "images": serializers.ListField(child=serializers.CharField(), required=False),
            },
        ),
        responses={200: NODE_OBJECT, **UPSTREAM},
    )
    def post(self, request: Request) -> Response:
        body = _body(request)
        prompt = _text(body, "prompt", max_chars=PROMPT_MAX_CHARS) or DEFAULT_IMAGE_PROMPT
        raw = body.get("images") or []
        references = [raw] if isinstance(raw, str) else raw
        if not isinstance(references, list) or not all(isinstance(r, str) and r.strip() for r in references):
            raise InvalidInput(errors={"images": ["Must be a list of image references."]})
        if len(references) > settings.AI_IMAGE_MAX_COUNT:
            raise InvalidInput(errors={"images": [f"At most {settings.AI_IMAGE_MAX_COUNT} images."]})
        images = [image_or_url(reference.strip()) for reference in references]
        answer = image_analyse(user=request.user, prompt=prompt, images=images)
        return Response({"status": "ok", "response": answer["answer"]})

