from __future__ import annotations

from django.urls import path

from scribe.core.routers import OptionalSlashRouter
from service_api import views

router = OptionalSlashRouter()
router.register("summaries", views.SignedSummaryViewSet, basename="service-summary")

urlpatterns = [
    path("health", views.ServiceHealthView.as_view(), name="service-health"),
    *router.urls,
]
