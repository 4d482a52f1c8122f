from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "scribe.core"
    label = "core"
    default_auto_field = "scribe.core.fields.PortableAutoField"

    def ready(self) -> None:
        # Registers the OpenAPI extension for Scribe's authentication.
        from scribe.core import schema  # noqa: F401
