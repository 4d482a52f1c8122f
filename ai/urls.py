from __future__ import annotations

from ai.views import AIViewSet
from scribe.core.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("", AIViewSet, basename="ai")

urlpatterns = router.urls
