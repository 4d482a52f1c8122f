import logging

from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"
    label = "ai"
    default_auto_field = "scribe.core.fields.PortableAutoField"

    def ready(self) -> None:
        # The SDK and HTTP libraries log request bodies and URLs at DEBUG; those can
        # carry transcript text. Scribe's own ai_call lines are the AI log.
        for name in ("openai", "httpx", "httpx2", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
