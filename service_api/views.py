"""The read-only face for machine clients: ``/api/v1/service/`` with an API key.

These views, and only these, accept ``Authorization: Api-Key ...``
(``accounts.api_keys.ApiKeyAuthentication``); every route elsewhere authenticates with
bearer tokens only, so a key is never a credential where patient data is written. Each
view names the one scope it needs; what a service account may read is decided in
``consultations.service_selectors``.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_keys import ApiKeyAuthentication, HasApiKeyScope
from accounts.models import ApiKeyScope
from consultations import service_selectors
from consultations.models import Summary
from scribe.core.serializers import IdField, QuerySerializer, validated
from scribe.core.views import ReadyView


class SignedSummaryFilterInput(QuerySerializer):
    signed_after = serializers.DateTimeField(
        required=False, help_text="Only versions signed after this instant (ISO 8601): the last one filed."
    )


class SignedSummaryOutput(serializers.ModelSerializer):
    """One signed summary version and the consultation it files into."""

    id = IdField()
    consultation = IdField(source="transcript.consultation_id")
    consultation_legacy_id = serializers.CharField(source="transcript.consultation.legacy_id", allow_null=True)
    clinician = IdField(source="transcript.consultation.clinician_id")
    patient_data = serializers.JSONField(source="transcript.consultation.patient_data")
    started_at = serializers.DateTimeField(source="transcript.consultation.started_at")
    signed_by = IdField(source="signed_by_id")

    class Meta:
        model = Summary
        fields = [
            "id",
            "consultation",
            "consultation_legacy_id",
            "clinician",
            "patient_data",
            "started_at",
            "version",
            "content",
            "text",
            "signed_by",
            "signed_at",
        ]


READINESS = inline_serializer(
    "ServiceReadiness",
    {"status": serializers.CharField(), "checks": serializers.DictField(child=serializers.CharField())},
)


class ApiKeyView:
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKeyScope]
    required_scope: str = ""


@extend_schema_view(
    list=extend_schema(
        summary="Signed summaries (API key, scope consultations:read), oldest signature first",
        parameters=[SignedSummaryFilterInput],
        responses=SignedSummaryOutput(many=True),
    ),
    retrieve=extend_schema(summary="One signed summary version", responses=SignedSummaryOutput),
)
class SignedSummaryViewSet(ApiKeyView, viewsets.GenericViewSet):
    required_scope = ApiKeyScope.CONSULTATIONS_READ
    lookup_value_regex = "[^/]+"

    def list(self, request: Request) -> Response:
        filters = validated(SignedSummaryFilterInput, request.query_params)
        page = self.paginate_queryset(service_selectors.summary_signed_list(user=request.user, **filters))
        return self.get_paginated_response(SignedSummaryOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(SignedSummaryOutput(service_selectors.summary_signed_get(user=request.user, pk=pk)).data)


class ServiceHealthView(ApiKeyView, ReadyView):
    """Readiness for a monitoring probe holding a key with ``health:read`` (the public
    ``/health/ready`` answers the same; this one also proves the probe's key works)."""

    required_scope = ApiKeyScope.HEALTH_READ

    @extend_schema(
        operation_id="service_api_health",
        summary="Readiness (API key, scope health:read)",
        responses={200: READINESS, 503: READINESS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)
