from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from scribe.core.backup import BackupError, backup_write


class Command(BaseCommand):
    help = "Write every record to an engine-neutral archive (0600; encrypted when BACKUP_ENCRYPTION_KEY is set)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", required=True, help="Archive to create (never overwritten).")
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per part (5000).")

    def handle(self, *args, output: str, batch_size: int, **options) -> None:
        try:
            result = backup_write(
                output=Path(output), encryption_key=settings.BACKUP_ENCRYPTION_KEY, batch_size=batch_size
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(result.counts.values())
        state = "encrypted" if settings.BACKUP_ENCRYPTION_KEY else "NOT encrypted"
        self.stdout.write(f"Wrote {total} rows of {len(result.counts)} models to {result.path} ({state}).")
        self.stdout.write(f"sha256 {result.sha256}")
