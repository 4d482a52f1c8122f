from __future__ import annotations

from consultations import access_log, views
from scribe.core.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("consultations", views.ConsultationViewSet, basename="consultation")
router.register("consultations", access_log.ConsultationAccessLogViewSet, basename="consultation-access")
router.register("transcripts", views.TranscriptViewSet, basename="transcript")
router.register("notes", views.NoteViewSet, basename="note")
router.register("prompts", views.PromptViewSet, basename="prompt")

urlpatterns = router.urls
