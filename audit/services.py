"""Writing the audit trail: ``audit_record`` (one insert now) and the request's batch.

Within an HTTP request (``audit.middleware.AuditMiddleware``) events are collected and
written in one insert when the request ends, in a ``finally``: a view that reads and
then fails (a 4xx, an exception turned into a 500, an upstream AI error) still leaves
its record, and no transaction is involved (MongoDB has none). Outside a request
(management commands, the live-transcription socket) ``audit_record`` inserts at once.
Ids only: callers pass model names, ids and actions, never the data.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent

_batch: contextvars.ContextVar[list[AuditEvent] | None] = contextvars.ContextVar("audit_batch", default=None)


@dataclass(frozen=True)
class Caller:
    """Who is acting: what a service needs to audit, instead of the request."""

    user_id: str = ""
    role: str = ""
    ip: str = ""
    request_id: str = ""
    source: str = ""

    @classmethod
    def of(cls, user: Any, *, ip: str = "", request_id: str = "", source: str = "") -> Caller:
        """From any user object: clinicians, staff and API-key service accounts alike."""
        authenticated = user is not None and getattr(user, "is_authenticated", False)
        return cls(
            user_id=str(user.pk) if authenticated else "",
            role=str(getattr(user, "role", "") or "") if authenticated else "",
            ip=ip,
            request_id=request_id,
            source=source,
        )

    @classmethod
    def command(cls, name: str) -> Caller:
        """A management command run by an operator on the host (no user, no address)."""
        return cls(role="operator", source=f"manage.py {name}")


def audit_event_build(
    *,
    caller: Caller,
    model: str,
    action: str,
    object_id: object = "",
    consultation_id: object = "",
    status: int | None = None,
) -> AuditEvent:
    return AuditEvent(
        at=timezone.now(),
        user_id=caller.user_id,
        role=caller.role,
        model=model,
        object_id=_id(object_id),
        consultation_id=_id(consultation_id),
        action=action,
        source=caller.source[:100],
        status=status,
        request_id=caller.request_id[:128],
        ip=caller.ip[:64],
    )


def audit_record(
    *, caller: Caller, model: str, action: str, object_id: object = "", consultation_id: object = ""
) -> None:
    """Records one access: into the current request's batch, or at once outside a request."""
    if not settings.AUDIT_ENABLED:
        return
    event = audit_event_build(
        caller=caller, model=model, action=action, object_id=object_id, consultation_id=consultation_id
    )
    batch = _batch.get()
    if batch is not None:
        batch.append(event)
    else:
        AuditEvent.objects.create(**_fields(event))


def audit_batch_begin() -> contextvars.Token:
    return _batch.set([])


def audit_batch_end(token: contextvars.Token, *, extra: list[AuditEvent]) -> None:
    """Writes the request's events (one insert) and closes the batch, whatever happened."""
    events = (_batch.get() or []) + extra
    _batch.reset(token)
    if events:
        # One plain INSERT of every row in autocommit, asking nothing back: the manager's
        # ``_insert`` is what ``save()`` and ``bulk_create`` both end in, without
        # ``bulk_create``'s BEGIN/COMMIT or ``save()``'s signals and RETURNING of the new id
        # (nothing reads it). About 0.1 ms less per request (bench/bench_audit.py).
        AuditEvent._base_manager._insert(events, fields=_insert_fields(), returning_fields=None)


@lru_cache(maxsize=1)
def _insert_fields() -> list[Any]:
    return [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {f.attname: getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields if not f.primary_key}


def _id(value: object) -> str:
    return "" if value is None else str(value)[:64]


def audit_purge(*, before: datetime, batch_size: int = 1000) -> int:
    """Deletes events older than ``before``, ``batch_size`` at a time; returns how many.

    No transaction: each batch is a conditional delete of the ids just read that are
    still older than ``before``, so two purges at once (or a purge during writes) delete
    each row at most once and never a newer one. Safe to stop and run again.
    """
    deleted = 0
    while True:
        ids = list(
            AuditEvent.objects.filter(at__lt=before).order_by("at", "pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        count, _ = AuditEvent.objects.filter(pk__in=ids, at__lt=before).delete()
        deleted += count
