"""manage.py audit_purge: delete audit events older than the retention period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from audit.services import audit_purge


class Command(BaseCommand):
    help = (
        "Delete audit events older than AUDIT_RETENTION_DAYS (or --days), in batches of "
        "conditional deletes (no transaction; safe to stop and run again). Run daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, metavar="N", help="keep N days (default AUDIT_RETENTION_DAYS)")
        parser.add_argument("--batch-size", type=int, default=1000, metavar="N", help="rows per delete (default 1000)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.AUDIT_RETENTION_DAYS
        if days < 1:
            raise CommandError("--days must be at least 1.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        before = timezone.now() - timedelta(days=days)
        deleted = audit_purge(before=before, batch_size=options["batch_size"])
        self.stdout.write(f"Deleted {deleted} audit event(s) older than {days} day(s).")
