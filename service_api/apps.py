from __future__ import annotations

from django.apps import AppConfig


class ServiceApiConfig(AppConfig):
    name = "service_api"
    verbose_name = "Machine clients (API keys)"
