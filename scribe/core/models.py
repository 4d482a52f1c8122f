"""Platform records that belong to no clinical app."""

from __future__ import annotations

from django.db import models


class RestoreRun(models.Model):
    """One `manage.py restore` into this database.

    Written *before* the first archived row and marked finished after the last one, with no
    transaction (MongoDB has none): a row with ``finished_at`` empty is the sign of a restore
    that stopped half-way, and a database holding one is refused by the next restore.
    """

    archive_sha256 = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"RestoreRun {self.pk}"
