from __future__ import annotations

from scribe.core.routers import OptionalSlashRouter

router = OptionalSlashRouter()

urlpatterns = router.urls
