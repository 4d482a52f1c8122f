"""Questionnaire API.

Clinician routes (``IsClinician``; another clinician's consultation or response
is a 404, a patient gets 403):
``/consultations/{id}/questionnaires`` (GET, POST), ``/consultations/{id}/questionnaire-links``
(POST), ``/questionnaires`` (list, retrieve, ``awaiting-review``, ``history``, ``{id}/review``).
The public route ``/questionnaire-links/{token}`` (GET, POST) takes no account and
is rate limited per client IP.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimits
from accounts.permissions import IsClinician
from consultations.selectors import consultation_get
from questionnaires import selectors, services
from questionnaires import serializers as s
from questionnaires.instruments import INSTRUMENTS, instrument_describe
from scribe.core.clientip import client_ip
from scribe.core.serializers import validated

ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)


def _link_rate_limit(request: Request) -> None:
    ratelimits.hit(
        request,
        group="questionnaires.link.ip",
        value=client_ip(request),
        rate=settings.RATELIMIT_QUESTIONNAIRE_LINK_IP,
    )


def _link_url(request: Request, token: str) -> str:
    base = settings.QUESTIONNAIRE_LINK_BASE_URL
    if base:
        return base + token
    return request.build_absolute_uri(f"/api/v1/questionnaire-links/{token}")


class ConsultationQuestionnaireViewSet(viewsets.ViewSet):
    permission_classes = [IsClinician]
    lookup_value_regex = "[^/]+"

    @extend_schema(
        summary="A consultation's questionnaires (GET: all of them, oldest first; POST: the clinician enters one)",
        description="Scores, severity bands and flags are computed by the server. PHQ-9 item 9 above 0 "
        'flags the response (`flags: ["phq9_item9_self_harm"]`, `urgent: true`). An unanswered or '
        'out-of-range item is a `400` naming it (`errors: {"answers.9": [...]}`).',
        parameters=[ID_PARAMETER],
        request=s.AnswerInput,
        responses={200: s.ResponseOutput(many=True), 201: s.ResponseOutput},
    )
    @action(detail=True, methods=["get", "post"])
    def questionnaires(self, request: Request, pk: str) -> Response:
        consultation = consultation_get(user=request.user, pk=pk)
        if request.method == "GET":
            rows = selectors.questionnaire_for_consultation(consultation=consultation)
            return Response(s.ResponseOutput(rows, many=True).data)
        data = validated(s.AnswerInput, request.data)
        response = services.questionnaire_answer(
            consultation=consultation, instrument=data["instrument"], answers=data["answers"]
        )
        return Response(s.ResponseOutput(response).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Create a one-time link for the patient to answer a questionnaire",
        description="The token is shown once (only its hash is stored), expires after "
        "`QUESTIONNAIRE_LINK_TTL_SECONDS` and takes one set of answers.",
        parameters=[ID_PARAMETER],
        request=s.LinkCreateInput,
        responses={201: s.LinkOutput},
    )
    @action(detail=True, methods=["post"], url_path="questionnaire-links")
    def questionnaire_links(self, request: Request, pk: str) -> Response:
        consultation = consultation_get(user=request.user, pk=pk)
        data = validated(s.LinkCreateInput, request.data)
        link, token = services.questionnaire_link_create(consultation=consultation, instrument=data["instrument"])
        body = {"token": token, "url": _link_url(request, token), "expires_at": link.expires_at}
        return Response(s.LinkOutput(body).data, status=status.HTTP_201_CREATED)


class QuestionnaireViewSet(viewsets.GenericViewSet):
    permission_classes = [IsClinician]
    lookup_value_regex = "[^/]+"

    @extend_schema(
        summary="The caller's questionnaire responses, newest first",
        description="Flagged responses awaiting review are listed whole, never paged, by `awaiting-review`.",
        parameters=[s.ListFilterInput],
        responses=s.ResponseOutput(many=True),
    )
    def list(self, request: Request) -> Response:
        filters = validated(s.ListFilterInput, request.query_params)
        page = self.paginate_queryset(selectors.questionnaire_list(user=request.user, urgent=filters["urgent"]))
        return self.get_paginated_response(s.ResponseOutput(page, many=True).data)

    @extend_schema(summary="One questionnaire response", responses=s.ResponseOutput)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.ResponseOutput(selectors.questionnaire_get(user=request.user, pk=pk)).data)

    @extend_schema(
        summary="Every flagged response not yet reviewed (urgent; never paged)",
        responses=s.AwaitingReviewOutput,
    )
    @action(detail=False, methods=["get"], url_path="awaiting-review")
    def awaiting_review(self, request: Request) -> Response:
        rows = list(selectors.questionnaire_awaiting_review(user=request.user))
        return Response({"count": len(rows), "results": s.ResponseOutput(rows, many=True).data})

    @extend_schema(
        summary="Mark a flagged response as reviewed",
        responses={200: s.ResponseOutput, 409: OpenApiResponse(description="Not flagged, or already reviewed.")},
        request=None,
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        response = services.questionnaire_review(response=selectors.questionnaire_get(user=request.user, pk=pk))
        return Response(s.ResponseOutput(response).data)

    @extend_schema(
        summary="A patient's scores over time (by NHS number, within the caller's records) with the trend",
        parameters=[s.HistoryFilterInput],
        responses={200: OpenApiResponse(description="`{phq9|gad7: {responses: [...], trend: {...}}}`")},
    )
    @action(detail=False, methods=["get"])
    def history(self, request: Request) -> Response:
        filters = validated(s.HistoryFilterInput, request.query_params)
        history = selectors.questionnaire_history(
            user=request.user,
            nhs_number=filters["nhs_number"].replace(" ", ""),
            instrument=filters.get("instrument"),
        )
        return Response({key: s.InstrumentHistoryOutput(value).data for key, value in history.items()})


class QuestionnaireLinkView(APIView):
    """No account: the token is the credential. Rate limited per client IP."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The questions a one-time link asks (no account)",
        responses={
            200: s.FormOutput,
            404: OpenApiResponse(description="Unknown token."),
            410: OpenApiResponse(description="Expired or already used."),
        },
        auth=[],
    )
    def get(self, request: Request, token: str) -> Response:
        _link_rate_limit(request)
        link = services.questionnaire_link_get(token=token)
        return Response({**instrument_describe(INSTRUMENTS[link.instrument]), "expires_at": link.expires_at})

    @extend_schema(
        summary="Answer through a one-time link (no account; once)",
        request=s.LinkAnswerInput,
        responses={
            201: s.LinkAnsweredOutput,
            400: OpenApiResponse(description="An item unanswered or out of range."),
            404: OpenApiResponse(description="Unknown token."),
            410: OpenApiResponse(description="Expired or already used."),
        },
        auth=[],
    )
    def post(self, request: Request, token: str) -> Response:
        _link_rate_limit(request)
        data = validated(s.LinkAnswerInput, request.data)
        services.questionnaire_link_answer(token=token, answers=data["answers"])
        # The patient sees no score: the clinician interprets it.
        return Response({"detail": "Thank you. Your answers were sent to your clinician."}, status=201)
