"""manage.py audit_export: the audit trail as JSON lines, streamed to stdout."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from audit.selectors import audit_event_export


def _moment(value: str, option: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is not None:
            moment = datetime(day.year, day.month, day.day)
    if moment is None:
        raise CommandError(f"{option} must be a date (2026-01-31) or an ISO 8601 date-time, not {value!r}.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


class Command(BaseCommand):
    help = (
        "Write audit events (who accessed which patient record, when, from where; ids only) as "
        "JSON lines, oldest first, streamed. --since is inclusive, --until exclusive (UTC unless "
        "the value has an offset)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", metavar="WHEN", help="from this date or date-time (inclusive)")
        parser.add_argument("--until", metavar="WHEN", help="up to this date or date-time (exclusive)")
        parser.add_argument("--user", metavar="ID", help="only this user's events (Scribe user id)")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _moment(options["since"], "--since") if options["since"] else None
        until = _moment(options["until"], "--until") if options["until"] else None
        if since and until and until <= since:
            raise CommandError("--until must be after --since.")
        count = 0
        for row in audit_event_export(since=since, until=until, user_id=options["user"]):
            self.stdout.write(json.dumps(row, separators=(",", ":")))
            count += 1
        self.stderr.write(f"{count} audit event(s) written.")
