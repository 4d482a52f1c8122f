from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from scribe.core.backup import Archive, BackupError, restore_load

EXIT_STOPPED = 4


class Command(BaseCommand):
    help = "Load an archive written by `manage.py backup` into a freshly migrated, empty database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help="The archive written by manage.py backup.")
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows per insert (1000).")
        parser.add_argument(
            "--stop-after-rows", type=int, default=None, help="Stop abruptly after N rows (rehearses a killed restore)."
        )

    def handle(self, *args, archive: str, batch_size: int, stop_after_rows: int | None, **options) -> None:
        try:
            opened = Archive(Path(archive), encryption_key=settings.BACKUP_ENCRYPTION_KEY)
            try:
                result = restore_load(archive=opened, batch_size=batch_size, stop_after_rows=stop_after_rows)
            finally:
                opened.close()
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if result.stopped:
            self.stderr.write("Stopped on purpose (--stop-after-rows); the restore is unfinished.")
            sys.exit(EXIT_STOPPED)
        total = sum(result.counts.values())
        self.stdout.write(f"Restored {total} rows of {len(result.counts)} models from {archive}.")
