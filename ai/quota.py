"""The per-user daily AI quotas: ``AI_DAILY_QUOTA`` calls per local day for summaries,
search, images, transcription and letters (``QUOTA_AI``), and a budget of its own,
``AI_LIVE_DAILY_QUOTA``, for live transcription's windows and final passes
(``QUOTA_LIVE``: a 4-second window is one provider call, so a clinical day of
recording is thousands of them and must not eat the other budget). 0 = no limit.
Both are the same insert-only rows, numbered per user, day and quota.

Only the rows of the current local day are ever counted; older ones are deleted
by ``manage.py purge_ai_usage`` (``usage_purge``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ai.models import AiUsage
from scribe.core import metrics
from scribe.core.asyncdb import database_sync_to_async
from scribe.core.exceptions import RateLimited


def _seconds_to_midnight() -> int:
    now = timezone.localtime()
    midnight = timezone.make_aware(datetime.combine(now.date() + timedelta(days=1), time.min))
    return max(1, int((midnight - now).total_seconds()))


QUOTA_AI = "ai"
QUOTA_LIVE = "live"
_LIMIT_SETTINGS = {QUOTA_AI: "AI_DAILY_QUOTA", QUOTA_LIVE: "AI_LIVE_DAILY_QUOTA"}


def _used_up(quota: str, limit: int) -> RateLimited:
    metrics.quota_refused(quota=quota)
    headers = {"Retry-After": str(_seconds_to_midnight())}
    if quota == QUOTA_LIVE:
        return RateLimited(
            f"You have used today's {limit} live transcription windows. The limit resets at midnight.",
            code="ai_live_quota_exceeded",
            headers=headers,
        )
    return RateLimited(
        f"You have used today's {limit} AI requests. The limit resets at midnight.",
        code="ai_quota_exceeded",
        headers=headers,
    )


def _free_slot(rows: Any, limit: int) -> int | None:
    """The lowest free slot number of ``rows`` (one user's day of one quota), or ``None``.
    Without given-back slots (the usual case) the numbers are 1..count: the next is
    count + 1, found with two small queries instead of reading every number."""
    count = rows.count()
    if count >= limit:
        return None
    highest = rows.order_by("-n").values_list("n", flat=True).first() or 0
    if highest == count:
        return count + 1
    taken = set(rows.values_list("n", flat=True))
    return next((n for n in range(1, limit + 1) if n not in taken), None)


def quota_claim(*, user: Any, operation: str, quota: str = QUOTA_AI) -> AiUsage | None:
    """Claim one of today's slots of ``quota`` for ``user``; ``RateLimited`` (429) when none is left."""
    limit = int(getattr(settings, _LIMIT_SETTINGS[quota]))
    if limit <= 0:
        return None
    day = timezone.localdate()
    rows = AiUsage.objects.filter(user=user, day=day, quota=quota)
    # Every lost race means another call took a slot, so this ends within `limit` rounds.
    for _attempt in range(limit):
        free = _free_slot(rows, limit)
        if free is None:
            break
        try:
            # A savepoint on SQL engines so a lost race does not poison an outer transaction.
            with transaction.atomic():
                return AiUsage.objects.create(user=user, day=day, quota=quota, n=free, operation=operation)
        except IntegrityError:
            continue
    raise _used_up(quota, limit)


def quota_release(usage: AiUsage | None) -> None:
    if usage is not None:
        AiUsage.objects.filter(pk=usage.pk).delete()


@contextmanager
def quota_use(*, user: Any, operation: str, quota: str = QUOTA_AI) -> Iterator[AiUsage | None]:
    """Claim a slot for the block; give it back if the block fails (nothing was delivered)."""
    usage = quota_claim(user=user, operation=operation, quota=quota)
    try:
        yield usage
    except Exception:
        quota_release(usage)
        raise


@asynccontextmanager
async def aquota_use(*, user: Any, operation: str, quota: str = QUOTA_AI) -> AsyncIterator[AiUsage | None]:
    """``quota_use`` for async views (the database work in a thread). The slot is also
    given back when the request is cancelled (the client went away before any answer)."""
    usage = await database_sync_to_async(quota_claim)(user=user, operation=operation, quota=quota)
    try:
        yield usage
    except BaseException:
        await database_sync_to_async(quota_release)(usage)
        raise


# Rows of days before today are never counted again; two more days are kept so a
# change of TIME_ZONE (or a clock step) cannot drop a slot of the local day.
USAGE_KEEP_DAYS = 2


def usage_purge(*, days: int = USAGE_KEEP_DAYS) -> int:
    """Delete the usage rows of days more than ``days`` (at least 1) before today; returns how many."""
    if days < 1:
        raise ValueError("days must be at least 1")
    cutoff = timezone.localdate() - timedelta(days=days)
    deleted, _ = AiUsage.objects.filter(day__lt=cutoff).delete()
    return deleted
