from __future__ import annotations

from documents import views
from scribe.core.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("consultations", views.ConsultationDocumentViewSet, basename="consultation-documents")

urlpatterns = router.urls
