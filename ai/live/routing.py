"""WebSocket routes (mounted by ``scribe.asgi``)."""

from __future__ import annotations

from django.urls import re_path

from ai.live.consumer import LiveTranscriptionConsumer

websocket_urlpatterns = [
    # The Node.js backend's path, with or without a trailing slash.
    re_path(r"^transcription-stream/?$", LiveTranscriptionConsumer.as_asgi()),
]
