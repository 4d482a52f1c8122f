from __future__ import annotations

from django.apps import AppConfig


class LegacyApiConfig(AppConfig):
    name = "legacy_api"
    verbose_name = "Node.js compatibility"

    def ready(self) -> None:
        from legacy_api import schema  # noqa: F401  (registers the OpenAPI auth extension)
