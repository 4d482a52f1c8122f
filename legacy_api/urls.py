"""The Node.js backend's paths, exactly as the deployed frontend calls them: no trailing
slash, no redirect (a redirected POST loses its body). Mounted before everything else."""

from __future__ import annotations

from django.urls import path

from legacy_api import views

urlpatterns = [
    path("", views.NodeRootView.as_view(), name="root"),
    # Users
    path("users/register", views.RegisterView.as_view(), name="node-register"),
    path("users/login", views.LoginView.as_view(), name="node-login"),
    path("users/logout", views.LogoutView.as_view(), name="node-logout"),
    path("users/profile", views.ProfileView.as_view(), name="node-profile"),
    path("users/checkEmail", views.CheckEmailView.as_view(), name="node-check-email"),
    # The path the Node.js router really had (mounted at /users, declared /users/checkEmail).
    path("users/users/checkEmail", views.CheckEmailDoubledView.as_view(), name="node-check-email-doubled"),
    # Consultations
    path("api/consultation/start", views.ConsultationStartView.as_view(), name="node-consultation-start"),
    path("api/consultation/<str:pk>/end", views.ConsultationEndView.as_view(), name="node-consultation-end"),
    path("api/consultation/<str:pk>", views.ConsultationDetailView.as_view(), name="node-consultation-detail"),
    path("api/consultation", views.ConsultationListView.as_view(), name="node-consultation-list"),
    # Transcripts
    path("api/transcript/update-text", views.TranscriptUpdateTextView.as_view(), name="node-transcript-update-text"),
    path("api/transcript/<str:pk>", views.TranscriptOfConsultationView.as_view(), name="node-transcript"),
    # Notes (a consultation's id for POST/GET, a note's for PATCH/DELETE)
    path("api/notes/<str:pk>", views.NotesView.as_view(), name="node-notes"),
    # Prompts
    path("api/prompts", views.PromptsView.as_view(), name="node-prompts"),
    path("api/prompts/<str:pk>/add-prompt/<str:transcript_pk>", views.PromptLinkView.as_view(), name="node-prompt-link"),
    path("api/prompts/<str:pk>", views.PromptDetailView.as_view(), name="node-prompt-detail"),
    # AI
    path("api/ai/search", views.SearchView.as_view(), name="node-ai-search"),
    path("api/ai/search/clinicalcodes", views.ClinicalCodesView.as_view(), name="node-ai-clinical-codes"),
    path("api/ai/analyze", views.AnalyzeView.as_view(), name="node-ai-analyze"),
    path("api/ai/<str:pk>/summarise", views.SummariseView.as_view(), name="node-ai-summarise"),
]
