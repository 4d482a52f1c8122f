from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "questionnaires"
    default_auto_field = "scribe.core.fields.PortableAutoField"
