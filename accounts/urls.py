from __future__ import annotations

from accounts.views import AccountViewSet
from scribe.core.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("", AccountViewSet, basename="users")

urlpatterns = router.urls
