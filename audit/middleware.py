"""Records every request to a patient-data route (audit.routes) in the audit trail.

Sits just inside ``RequestIdMiddleware``. The request's events (this route's, plus any a
service added with ``audit_record``) are written in one insert in a ``finally``, after the
view and whatever it raised: Django has already turned an exception into a 4xx/5xx answer
by then, so every outcome, refusals included, leaves its record with its status. If the
insert itself fails the request fails (500): no answer without its record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from audit.models import AuditEvent
from audit.routes import rule_for
from audit.services import Caller, audit_batch_begin, audit_batch_end, audit_event_build
from scribe.core.clientip import client_ip


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.AUDIT_ENABLED:
            return self.get_response(request)
        token = audit_batch_begin()
        response: HttpResponse | None = None
        try:
            response = self.get_response(request)
            return response
        finally:
            audit_batch_end(token, extra=_route_events(request, response))


def _route_events(request: HttpRequest, response: HttpResponse | None) -> list[AuditEvent]:
    match = getattr(request, "resolver_match", None)
    if match is None or request.method == "OPTIONS":
        return []
    found = rule_for(match.url_name, match.namespace, request.method or "")
    if found is None:
        return []
    rule, action = found
    kwargs = match.kwargs
    object_id = kwargs.get(rule.object_kwarg, "") if rule.object_kwarg else ""
    if not object_id and action in ("create", "update") and response is not None:
        object_id = _answered_id(response)
    caller = Caller.of(
        request.__dict__.get("user"),  # set by DRF's or the session's authentication, if any ran
        ip=client_ip(request),
        request_id=getattr(request, "request_id", ""),
        source=f"{match.namespace}:{match.url_name}" if match.namespace else (match.url_name or ""),
    )
    consultation_id = kwargs.get(rule.consultation_kwarg, "") if rule.consultation_kwarg else ""
    if rule.model == "consultation" and not consultation_id:
        consultation_id = object_id
    return [
        audit_event_build(
            caller=caller,
            model=rule.model,
            action=action,
            object_id=object_id,
            consultation_id=consultation_id,
            status=response.status_code if response is not None else 500,
        )
    ]


def _answered_id(response: Any) -> str:
    """A created object's id from a DRF answer (``id`` or Node's ``_id``): ids only."""
    data = getattr(response, "data", None)
    if not isinstance(data, dict) or not 200 <= response.status_code < 300:
        return ""
    inner = data.get("data") if isinstance(data.get("data"), dict) else {}  # Node's {"msg", "data"}
    for container in (
        data,
        inner,
        data.get("consultation"),
        inner.get("consultation"),
        data.get("note"),
        inner.get("note"),
    ):
        if isinstance(container, dict):
            for key in ("id", "_id"):
                value = container.get(key)
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    return str(value)
    return ""
