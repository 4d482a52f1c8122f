"""AI actions that live under the consultations' paths (``transcripts/{id}/summarize``)."""

from __future__ import annotations

urlpatterns: list = []
