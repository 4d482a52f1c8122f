"""The Node.js backend's paths, exactly as the deployed frontend calls them. Like Express
(non-strict routing), a trailing slash is accepted too, never redirected (a redirected
POST loses its body). Mounted before everything else."""

from __future__ import annotations

from django.urls import path, re_path

from legacy_api.views import ai, records, users

urlpatterns = [
    path("", users.NodeRootView.as_view(), name="root"),
    # Users
    re_path(r"^users/register/?$", users.RegisterView.as_view(), name="node-register"),
    re_path(r"^users/login/?$", users.LoginView.as_view(), name="node-login"),
    re_path(r"^users/logout/?$", users.LogoutView.as_view(), name="node-logout"),
    re_path(r"^users/profile/?$", users.ProfileView.as_view(), name="node-profile"),
    re_path(r"^users/checkEmail/?$", users.CheckEmailView.as_view(), name="node-check-email"),
    # The path the Node.js router really had (mounted at /users, declared /users/checkEmail).
    re_path(r"^users/users/checkEmail/?$", users.CheckEmailDoubledView.as_view(), name="node-check-email-doubled"),
    # Consultations
    re_path(r"^api/consultation/start/?$", records.ConsultationStartView.as_view(), name="node-consultation-start"),
    re_path(
        r"^api/consultation/(?P<pk>[^/]+)/end/?$", records.ConsultationEndView.as_view(), name="node-consultation-end"
    ),
    re_path(
        r"^api/consultation/(?P<pk>[^/]+)/?$", records.ConsultationDetailView.as_view(), name="node-consultation-detail"
    ),
    re_path(r"^api/consultation/?$", records.ConsultationListView.as_view(), name="node-consultation-list"),
    # Transcripts
    re_path(
        r"^api/transcript/update-text/?$",
        records.TranscriptUpdateTextView.as_view(),
        name="node-transcript-update-text",
    ),
    re_path(
        r"^api/transcript/(?P<pk>[^/]+)/?$", records.TranscriptOfConsultationView.as_view(), name="node-transcript"
    ),
    # Notes (a consultation's id for POST/GET, a note's for PATCH/DELETE)
    re_path(r"^api/notes/(?P<pk>[^/]+)/?$", records.NotesView.as_view(), name="node-notes"),
    # Prompts
    re_path(r"^api/prompts/?$", records.PromptsView.as_view(), name="node-prompts"),
    re_path(
        r"^api/prompts/(?P<pk>[^/]+)/add-prompt/(?P<transcript_pk>[^/]+)/?$",
        records.PromptLinkView.as_view(),
        name="node-prompt-link",
    ),
    re_path(r"^api/prompts/(?P<pk>[^/]+)/?$", records.PromptDetailView.as_view(), name="node-prompt-detail"),
    # AI
    re_path(r"^api/ai/search/?$", ai.SearchView.as_view(), name="node-ai-search"),
    re_path(r"^api/ai/search/clinicalcodes/?$", ai.ClinicalCodesView.as_view(), name="node-ai-clinical-codes"),
    re_path(r"^api/ai/analyze/?$", ai.AnalyzeView.as_view(), name="node-ai-analyze"),
    re_path(r"^api/ai/(?P<pk>[^/]+)/summarise/?$", ai.SummariseView.as_view(), name="node-ai-summarise"),
]
