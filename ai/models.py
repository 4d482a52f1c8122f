"""AI usage rows: the per-user daily quota without transactions.

Each AI call claims the next free slot ``n`` (1..AI_DAILY_QUOTA, or
1..AI_LIVE_DAILY_QUOTA for live transcription: ``quota``) of the user's
day; the unique (user, day, quota, n) constraint decides between concurrent callers
(the loser of a race takes the next number), so the quota holds on every engine,
MongoDB included, with no lock or counter. A call the provider failed gives
its slot back (the row is deleted). The rows hold ids, the operation and the
time only, never what was asked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AiUsage(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    # Which daily budget the slot belongs to (ai.quota: "ai" or "live"); slots are
    # numbered per user, day and quota.
    quota = models.CharField(max_length=8, default="ai")
    n = models.PositiveIntegerField()
    operation = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day", "quota", "n"], name="ai_usage_unique_quota_slot")]

    def __str__(self) -> str:
        return f"AiUsage {self.pk} ({self.operation})"
