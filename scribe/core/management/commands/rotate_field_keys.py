from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from scribe.core import crypto
from scribe.core.rotation import rebuild_blind_indexes, rotate_encrypted_fields, rows_not_under_newest_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field under the newest FIELD_ENCRYPTION_KEYS key (rows written "
        "before encryption included) and rebuild the blind indexes under the newest "
        "FIELD_BLIND_INDEX_KEYS key. Batched, resumable, idempotent, safe while Scribe serves."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Rows read per query (500).")
        parser.add_argument(
            "--check", action="store_true", help="Only count the rows not under the newest key; exit 1 if any."
        )

    def handle(self, *args, batch_size: int, check: bool, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            if check:
                left = {k: v for k, v in rows_not_under_newest_keys().items() if v}
                for label, count in left.items():
                    self.stdout.write(f"{label}: {count} rows not under the newest key")
                if left:
                    raise CommandError("Some rows are not under the newest key: run rotate_field_keys.")
                self.stdout.write("Every encrypted value is under the newest key.")
                return
            enc = rotate_encrypted_fields(batch_size=batch_size, progress=self.stdout.write)
            idx = rebuild_blind_indexes(batch_size=batch_size, progress=self.stdout.write)
        except crypto.FieldKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Done: {sum(enc.rewritten.values())} values re-encrypted, {sum(idx.rewritten.values())} "
            f"blind-index values rebuilt, {enc.skipped + idx.skipped} changed meanwhile by the service "
            "(already current; left as they were)."
        )
