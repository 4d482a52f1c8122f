from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "scribe.core"
    label = "core"
    default_auto_field = "scribe.core.fields.PortableAutoField"

    def ready(self) -> None:
        from django.core import checks

        # schema registers the OpenAPI extension for Scribe's authentication.
        # Health checks only for idle persistent connections (after Django's receivers).
        from django.core.signals import request_finished, request_started

        from scribe.core import (
            dbhealth,
            schema,  # noqa: F401
        )
        from scribe.core.crypto_fields import field_keys_check

        request_finished.connect(dbhealth.note_connections_used, dispatch_uid="scribe.core.dbhealth.finished")
        request_started.connect(dbhealth.skip_fresh_health_checks, dispatch_uid="scribe.core.dbhealth.started")
        # Stored patient data must decrypt with the configured keys (issue 14).
        checks.register(field_keys_check, checks.Tags.database)
