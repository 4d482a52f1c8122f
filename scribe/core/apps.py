from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "scribe.core"
    label = "core"
    default_auto_field = "scribe.core.fields.PortableAutoField"
