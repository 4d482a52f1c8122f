from django.apps import AppConfig


class AiConfig(AppConfig):
    # The SDK's and HTTP clients' loggers (URLs with query strings, prompts at DEBUG) are
    # held at WARNING by settings.LOGGING, whatever LOG_LEVEL says.
    name = "ai"
    label = "ai"
    default_auto_field = "scribe.core.fields.PortableAutoField"
