"""Service endpoints: welcome, liveness and readiness."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger("scribe.health")

# The access log's route for paths no pattern matches.
UNMATCHED_ROUTE = "<unmatched>"


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """The last route: an unknown path answers the contract's JSON 404 even with DEBUG
    on, where Django would render its HTML debug page listing every route."""
    from scribe.core.exceptions import handler404

    return handler404(request)


class PublicAPIView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class RootView(PublicAPIView):
    @extend_schema(
        operation_id="service_root",
        responses=inline_serializer(
            "Welcome", {"message": serializers.CharField(), "version": serializers.CharField()}
        ),
    )
    def get(self, request: Request) -> Response:
        return Response({"message": "Welcome to Scribe API v2.0", "version": settings.SCRIBE_VERSION})


class HealthView(PublicAPIView):
    @extend_schema(
        operation_id="service_health",
        responses=inline_serializer("Health", {"status": serializers.CharField()}),
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "healthy"})


def _check_database() -> str:
    # An ORM query on every engine (no cursor: MongoDB has none).
    ContentType.objects.only("pk").first()
    return "ok"


def _check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was written")
    cache.delete(key)
    return "ok"


class ReadyView(PublicAPIView):
    checks = {"database": _check_database, "cache": _check_cache}

    @extend_schema(
        operation_id="service_ready",
        responses={
            200: inline_serializer(
                "Readiness",
                {"status": serializers.CharField(), "checks": serializers.DictField(child=serializers.CharField())},
            ),
            503: inline_serializer(
                "NotReady",
                {"status": serializers.CharField(), "checks": serializers.DictField(child=serializers.CharField())},
            ),
        },
    )
    def get(self, request: Request) -> Response:
        results: dict[str, str] = {}
        for name, check in self.checks.items():
            try:
                results[name] = check()
            except Exception as exc:  # a readiness probe reports, it does not raise
                logger.warning("dependency not ready", extra={"dependency": name, "error": type(exc).__name__})
                results[name] = "unavailable"
        ready = all(value == "ok" for value in results.values())
        return Response(
            {"status": "ready" if ready else "unavailable", "checks": results},
            status=200 if ready else 503,
        )
