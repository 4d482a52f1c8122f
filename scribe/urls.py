from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from scribe.core import docs, metrics, views

handler400 = "scribe.core.exceptions.handler400"
handler403 = "scribe.core.exceptions.handler403"
handler404 = "scribe.core.exceptions.handler404"
handler500 = "scribe.core.exceptions.handler500"

urlpatterns = [
    # The Node.js backend's surface (GET / included: Scribe's welcome plus Node's `msg`).
    path("", include("legacy_api.urls")),
    path("health", views.HealthView.as_view(), name="health"),
    path("health/ready", views.ReadyView.as_view(), name="health-ready"),
    # Prometheus metrics, for allowed networks or METRICS_TOKEN only (README "Metrics").
    path("metrics", metrics.metrics_view, name="metrics"),
    # JSON always (the generic view answers YAML unless asked otherwise).
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-schema"),
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="openapi-schema"), name="docs"),
    # Scribe's ReDoc page: the stock one fetches Google Fonts (no internet, and the CSP says no).
    path("redoc/redoc.standalone.js", docs.redoc_bundle, name="redoc-bundle"),
    path(
        "redoc",
        SpectacularRedocView.as_view(url_name="openapi-schema", template_name="scribe/redoc.html"),
        name="redoc",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/users/", include("accounts.urls")),
    # Machine clients with an API key: read-only (service_api/views.py).
    path("api/v1/service/", include("service_api.urls")),
    path("api/v1/", include("ai.transcript_urls")),
    path("api/v1/", include("questionnaires.urls")),
    path("api/v1/", include("documents.urls")),
    path("api/v1/", include("consultations.urls")),
    path("api/v1/ai/", include("ai.urls")),
    # Last: anything else is a JSON 404 (with DEBUG on too).
    re_path(r"^", views.not_found, name="not-found"),
]
