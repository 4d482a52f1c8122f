"""A test-only route guarded by each shared role permission (other apps reuse them)."""

from __future__ import annotations

from django.urls import path
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


urlpatterns = [
    path("clinician-only", ClinicianOnly.as_view()),
    path("patient-or-clinician", PatientOrClinician.as_view()),
]
