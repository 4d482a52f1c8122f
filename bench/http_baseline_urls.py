"""Views of the bare-Django baseline (``bench/http_baseline.py``): the rows an endpoint
shows, read with the same query and returned as JSON; the append is the one insert."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from consultations.models import Consultation, Segment

LIST_FIELDS = ("id", "patient_name", "patient_data", "status", "started_at", "ended_at", "transcript__id")


def _clinician(request) -> str:
    return request.GET.get("clinician", "0")


def consultations(request):
    rows = Consultation.objects.filter(clinician_id=_clinician(request)).order_by("-started_at", "-pk")
    return JsonResponse({"results": list(rows.values(*LIST_FIELDS)[:20])})


def consultation(request, pk: str):
    row = Consultation.objects.filter(pk=pk, clinician_id=_clinician(request)).values().first()
    return JsonResponse(row or {}, status=200 if row else 404)


def transcript(request, pk: str):
    segments = Segment.objects.filter(transcript_id=pk).order_by("seq")
    return JsonResponse({"id": pk, "segments": list(segments.values("seq", "text", "speaker", "start_ms", "end_ms"))})


@csrf_exempt
def segment_append(request, pk: str):
    body = json.loads(request.body)
    Segment.objects.create(transcript_id=pk, seq=body["seq"], text=body["text"], speaker=body.get("speaker", "unknown"))
    return JsonResponse({"seq": body["seq"]}, status=201)


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("api/v1/consultations/", consultations),
    path("api/v1/consultations/<str:pk>", consultation),
    path("api/v1/transcripts/<str:pk>", transcript),
    path("api/v1/transcripts/<str:pk>/segments", segment_append),
    path("health", health),
]
