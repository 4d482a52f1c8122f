"""The client's IP address, for rate limits and logs.

``REMOTE_ADDR`` unless ``TRUSTED_PROXY_COUNT`` says how many reverse proxies in
front of Scribe append to ``X-Forwarded-For``; then the address that the
outermost trusted proxy saw. Hops a client wrote itself are never trusted.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < trusted:
        # Fewer hops than proxies: the request did not come through them all.
        return remote
    return hops[-trusted]
