"""Test-only routes: each shared role permission, and django-ratelimit's decorators."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsClinician, IsPatientOrClinician


class ClinicianOnly(APIView):
    permission_classes = [IsClinician]

    def get(self, request):
        return Response({"ok": True})


class PatientOrClinician(APIView):
    permission_classes = [IsPatientOrClinician]

    def get(self, request):
        return Response({"ok": True})


# As in scribe/urls.py: a plain Django view's PermissionDenied/Ratelimited goes here.
handler403 = "scribe.core.exceptions.handler403"

urlpatterns = [
    path("clinician-only", ClinicianOnly.as_view()),
    path("patient-or-clinician", PatientOrClinician.as_view()),
]


# django-ratelimit's own decorators (block=True raises Ratelimited): still a 429, never a 403.
@method_decorator(ratelimit(key="ip", rate="1/m", block=True), name="get")
class DecoratedApiView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


@ratelimit(key="ip", rate="1/m", block=True)
def decorated_django_view(request):
    return JsonResponse({"ok": True})


urlpatterns += [
    path("decorated-api", DecoratedApiView.as_view()),
    path("decorated-django", decorated_django_view),
]
