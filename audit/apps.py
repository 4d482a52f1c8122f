from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    label = "audit"
    default_auto_field = "scribe.core.fields.PortableAutoField"
