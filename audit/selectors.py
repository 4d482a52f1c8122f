"""Reading the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from audit.models import AuditEvent

EXPORT_FIELDS = [
    "id",
    "at",
    "user_id",
    "role",
    "action",
    "model",
    "object_id",
    "consultation_id",
    "source",
    "status",
    "request_id",
    "ip",
]


def audit_event_list_for_records(
    *, consultation_ids: Iterable[str], objects: dict[str, Iterable[str]]
) -> QuerySet[AuditEvent]:
    """Events naming a consultation (by any of its ids) or one of its records, newest first.

    ``objects`` maps a model name to the ids (pk and Node.js ``_id``) of the consultation's
    records of that model (its transcript, notes, questionnaires).
    """
    query = Q(consultation_id__in=[i for i in consultation_ids if i])
    for model, ids in objects.items():
        wanted = [i for i in ids if i]
        if wanted:
            query |= Q(model=model, object_id__in=wanted)
    return AuditEvent.objects.filter(query).order_by("-at", "-pk")


def audit_event_export(
    *, since: datetime | None, until: datetime | None, user_id: str | None, chunk_size: int = 2000
) -> Iterator[dict[str, Any]]:
    """Events in time order, streamed in chunks (constant memory whatever the range)."""
    qs = AuditEvent.objects.all()
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    if user_id:
        qs = qs.filter(user_id=user_id)
    for row in qs.order_by("at", "pk").values(*EXPORT_FIELDS).iterator(chunk_size=chunk_size):
        row["id"] = str(row["id"])
        row["at"] = row["at"].isoformat()
        yield row
