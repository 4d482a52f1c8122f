"""AI actions that live under the consultations' paths (``transcripts/{id}/summarize``)."""

from __future__ import annotations

from ai.views import TranscriptSummarizeViewSet
from scribe.core.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("transcripts", TranscriptSummarizeViewSet, basename="transcript-ai")

urlpatterns = router.urls
