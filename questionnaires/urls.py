from __future__ import annotations

from django.urls import re_path

from questionnaires import views
from scribe.core.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("consultations", views.ConsultationQuestionnaireViewSet, basename="consultation-questionnaires")
router.register("questionnaires", views.QuestionnaireViewSet, basename="questionnaire")

urlpatterns = [
    re_path(
        r"^questionnaire-links/(?P<token>[A-Za-z0-9_\-]{1,200})/?$",
        views.QuestionnaireLinkView.as_view(),
        name="questionnaire-link",
    ),
    *router.urls,
]
