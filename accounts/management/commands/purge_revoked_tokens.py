from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts.services import revoked_tokens_purge


class Command(BaseCommand):
    help = "Delete revocation records (and login sessions) whose tokens have all expired."

    def handle(self, *args, **options) -> None:
        revoked, sessions = revoked_tokens_purge()
        self.stdout.write(f"Deleted {revoked} expired revoked token record(s) and {sessions} expired login session(s).")
