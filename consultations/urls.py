from __future__ import annotations

from consultations import views
from scribe.core.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("consultations", views.ConsultationViewSet, basename="consultation")
router.register("transcripts", views.TranscriptViewSet, basename="transcript")
router.register("notes", views.NoteViewSet, basename="note")
router.register("prompts", views.PromptViewSet, basename="prompt")

urlpatterns = router.urls
