from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"
    label = "ai"
    default_auto_field = "scribe.core.fields.PortableAutoField"
