"""Shared pieces of the Node.js face's views: base classes (authentication, Node's error
envelope, AI time budget), the OpenAPI decorator naming each route's /api/v1 twin, and
small body readers."""

from __future__ import annotations

import functools
from typing import Any

from adrf.views import APIView as AsyncAPIView
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.permissions import IsClinician
from ai import client
from ai.view_mixins import AIRequestMixin
from legacy_api.authentication import NodeJWTAuthentication
from legacy_api.errors import node_exception_handler
from legacy_api.schema import NODE_TAG
from scribe.core.exceptions import InvalidInput
from scribe.core.serializers import StrictSerializer, validated

CONSULTATION_NOT_FOUND = "Consultation not found"
NODE_OBJECT = OpenApiResponse(OpenApiTypes.OBJECT, description="A Node.js-shaped JSON document.")
UPSTREAM = {
    502: OpenApiResponse(description="The upstream service failed."),
    503: OpenApiResponse(description="Not configured, busy or unreachable."),
    504: OpenApiResponse(description="The upstream service timed out."),
}


@functools.cache
def node_input(serializer_class: type[StrictSerializer]) -> type[StrictSerializer]:
    """``serializer_class`` as the Node.js face reads it: fields it does not know are
    ignored, as Express did (the frontend may send more), and its schema says so."""
    return type(f"Node{serializer_class.__name__}", (serializer_class,), {"ignore_unknown": True})


def node_schema(twin: str, *, request: Any = None, responses: dict | None = None, **kwargs: Any):
    """The OpenAPI entry of a Node.js route: its own tag, and its ``/api/v1`` twin named."""
    if isinstance(request, type) and issubclass(request, StrictSerializer):
        request = node_input(request)

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


def json_body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise InvalidInput("The body must be a JSON object.", errors={"non_field_errors": ["Must be a JSON object."]})
    return request.data


def picked(serializer_class: type[serializers.Serializer], data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Validate only the fields the serializer knows: the frontend may send more (Node ignored them)."""
    return validated(node_input(serializer_class), data, **kwargs)


def optional_text(data: dict[str, Any], key: str, *, max_chars: int) -> str | None:
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


class NodeAIView(AIRequestMixin, NodeView, AsyncAPIView):
    """The Node views that wait on the AI provider: ``adrf`` views, so an ``async def``
    handler awaits the provider on the event loop (under ASGI, where production routes
    ``/api/ai/`` and ``/api/consultation/{id}/end``) and holds no thread; a sync handler
    (clinical codes) runs as before. Every provider call of a request shares one time
    budget (``AI_REQUEST_BUDGET_SECONDS``), started before authentication."""

    def sync_dispatch(self, request, *args, **kwargs):
        with client.request_budget():
            return super().sync_dispatch(request, *args, **kwargs)
