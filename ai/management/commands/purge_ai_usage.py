from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ai.quota import USAGE_KEEP_DAYS, usage_purge


class Command(BaseCommand):
    help = (
        "Delete AI usage rows (the daily-quota slots) of days more than --days before today. "
        "Only today's rows count towards the quota; run daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=USAGE_KEEP_DAYS,
            metavar="N",
            help=f"keep the rows of today and the N days before it (default {USAGE_KEEP_DAYS}, at least 1)",
        )

    def handle(self, *args, **options) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        deleted = usage_purge(days=options["days"])
        self.stdout.write(f"Deleted {deleted} AI usage row(s) older than {options['days']} day(s).")
