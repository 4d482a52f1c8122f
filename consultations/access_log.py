"""GET /api/v1/consultations/{id}/access-log: who accessed a consultation (its owner only).

The selector, output and view of one small feature together, in a module of their own
rather than spread over views/selectors/serializers that other work changes often. The
consultation is looked up through ``consultation_get`` (ownership in the query: another
clinician gets 404, a patient 403 from ``IsClinician``); the events are those naming the
consultation, its transcript or its notes, by Scribe id or Node.js ``_id``. A questionnaire
opened by its own id (``/questionnaires/{id}``) is in the trail but not listed here.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from audit.models import AuditEvent
from audit.selectors import audit_event_list_for_records
from consultations import selectors
from consultations.models import Consultation, Note
from consultations.views import ClinicianViewSet


def consultation_access_log(*, consultation: Consultation) -> QuerySet[AuditEvent]:
    transcript = consultation.transcript
    notes = Note.objects.filter(consultation=consultation).values_list("pk", "legacy_id")
    return audit_event_list_for_records(
        consultation_ids=[str(consultation.pk), consultation.legacy_id or ""],
        objects={
            "transcript": [str(transcript.pk), transcript.legacy_id or ""],
            "note": [str(value) for row in notes for value in row if value],
        },
    )


class AccessLogOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    user_id = serializers.CharField(help_text="Scribe id of who made the request (empty: not signed in).")
    role = serializers.CharField()
    action = serializers.CharField(help_text="read, list, create, update, delete, sign, ai or export.")
    model = serializers.CharField(help_text="consultation, transcript, note, document, questionnaire, ...")
    object_id = serializers.CharField()
    source = serializers.CharField(help_text="The route (or admin page, or command) used.")
    status = serializers.IntegerField(allow_null=True, help_text="The HTTP status answered.")
    request_id = serializers.CharField()
    ip = serializers.CharField()


class ConsultationAccessLogViewSet(ClinicianViewSet):
    @extend_schema(
        summary="Who accessed this consultation (its audit trail), newest first",
        description="Every request that read or changed the consultation or its transcript, notes, "
        "documents and questionnaires, from either API or the admin, whatever its outcome "
        "(refused ones included, with their status). Ids only. Owner only.",
        parameters=[OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses=AccessLogOutput(many=True),
    )
    @action(detail=True, methods=["get"], url_path="access-log")
    def access_log(self, request: Request, pk: str) -> Response:
        consultation = selectors.consultation_get(user=request.user, pk=pk)
        return self.paginated(consultation_access_log(consultation=consultation), AccessLogOutput)
