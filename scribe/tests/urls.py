"""A test-only urlconf: Scribe's real routes plus a few probe views.

Used with ``@override_settings(ROOT_URLCONF="scribe.tests.urls")`` by the tests of
framework behaviour (errors, body limits, logging) that need a view to misbehave.
"""

from __future__ import annotations

import logging

from django.http import StreamingHttpResponse
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from scribe.urls import handler400, handler403, handler404, handler500  # noqa: F401 (Django reads them here)

logger = logging.getLogger("scribe.tests.probe")

# Stands in for patient data that must never reach a log line.
PATIENT_NAME = "Winifred Quagmire-Pemberton"


class EchoView(APIView):
    """POST JSON: answers how much it received (the body was parsed, not dropped)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        return Response({"received": request.data})


class CrashView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        logger.info("probe is about to fail")
        raise RuntimeError(f"could not file the note for {PATIENT_NAME}")


class ChattyView(APIView):
    """Logs from inside the request, as services do."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        logger.info("first line from the view")
        logger.warning("second line from the view")
        return Response({"ok": True})


def streaming_view(request):
    def body():
        yield b"first,"
        logger.info("line from inside the stream")
        yield b"second"

    return StreamingHttpResponse(body(), content_type="text/plain")


def _database_error(kind: str) -> Exception:
    """What each engine raises when its database is out of reach (chained as the drivers do)."""
    from django.db import DatabaseError, InterfaceError, OperationalError
    from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

    if kind == "operational":
        return OperationalError(f"connection to server failed for {PATIENT_NAME}")
    if kind == "interface":
        return InterfaceError("connection already closed")
    if kind == "selection":
        return ServerSelectionTimeoutError("mongodb:27017: timed out")
    # django-mongodb-backend wraps PyMongo's errors: DatabaseError from AutoReconnect.
    try:
        raise AutoReconnect("connection reset by peer")
    except AutoReconnect as exc:
        wrapped = DatabaseError("query failed")
        wrapped.__cause__ = exc
        return wrapped


class DatabaseDownView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request, kind):
        raise _database_error(kind)


def database_down_plain_view(request, kind):
    raise _database_error(kind)


class WhoAmIView(APIView):
    """Authenticated with the project's default (JWT) authentication."""

    def get(self, request):
        return Response({"id": str(request.user.pk)})


urlpatterns = [
    path("probe/whoami", WhoAmIView.as_view()),
    path("probe/stream", streaming_view),
    path("probe/echo", EchoView.as_view()),
    path("probe/upload/echo", EchoView.as_view()),
    path("probe/crash", CrashView.as_view()),
    path("probe/database-down/<str:kind>", DatabaseDownView.as_view()),
    path("probe/plain/database-down/<str:kind>", database_down_plain_view),
    path("probe/chatty", ChattyView.as_view()),
    path("", include("scribe.urls")),
]
