from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "scribe.core"
    label = "core"
    default_auto_field = "scribe.core.fields.PortableAutoField"

    def ready(self) -> None:
        from django.core import checks

        # Registers the OpenAPI extension for Scribe's authentication.
        from scribe.core import schema  # noqa: F401
        from scribe.core.crypto_fields import field_keys_check

        # Stored patient data must decrypt with the configured keys (issue 14).
        checks.register(field_keys_check, checks.Tags.database)
