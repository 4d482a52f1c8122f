"""ASGI entry point: Django's HTTP application and the live-transcription WebSocket.

``manage.py runserver`` (daphne's, first in INSTALLED_APPS) and any ASGI server
(``daphne scribe.asgi:application``) serve both from one process.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scribe.settings")
# Django is set up before anything imports models (the consumer does).
django_asgi_app = get_asgi_application()

# A wrong or missing FIELD_ENCRYPTION_KEYS stops the server here, not at a patient's first read.
from scribe.core.crypto_fields import startup_key_check  # noqa: E402

startup_key_check()

# This process answers the AI endpoints: the provider SDK is loaded here, once, not by the first
# AI request on a worker's event loop (the REST process, scribe.wsgi, never loads it).
from ai.client import provider_sdk_preload  # noqa: E402

provider_sdk_preload()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import WebsocketDenier  # noqa: E402
from django.conf import settings  # noqa: E402

from ai.live.routing import websocket_urlpatterns  # noqa: E402


def _origin(value: str) -> tuple[str, str]:
    parts = urlsplit(value.strip().lower())
    return parts.scheme, parts.netloc


def origin_allowed(scope) -> bool:
    """A browser's socket must come from an origin the REST API allows (``CORS_ALLOWED_ORIGINS``)
    or from the server's own host. Clients that are not browsers send no ``Origin`` and pass:
    the token, not the origin, is what authenticates; the origin check stops another site's
    page from using a clinician's browser."""
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin")
    if origin is None:
        return True
    sent = _origin(origin.decode("latin-1"))
    host = headers.get(b"host", b"").decode("latin-1").lower()
    if host and sent[1] == host and sent[0] in ("http", "https"):
        return True
    return sent in {_origin(allowed) for allowed in settings.CORS_ALLOWED_ORIGINS}


class OriginCheck:
    """Refuse the handshake (403) of a socket whose origin is not allowed."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginCheck(URLRouter(websocket_urlpatterns)),
    }
)
