"""ReDoc's bundle without its one external asset.

The sidecar's ``redoc.standalone.js`` always renders an "API docs by Redocly" link whose
logo it loads from Redocly's CDN: with no internet it never arrives, and the page's
Content-Security-Policy (``img-src 'self' data:``) refuses it anyway, with a console
error on every visit. This view serves the same bundle with that image URL replaced by
an empty SVG data URL (the link stays, logo-less). Read once per process.
"""

from __future__ import annotations

import functools

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
EXTERNAL_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@functools.lru_cache(maxsize=1)
def _bundle() -> bytes:
    path = finders.find(REDOC_BUNDLE)
    if not path:
        raise FileNotFoundError(REDOC_BUNDLE)
    with open(path, "rb") as bundle:
        return bundle.read().replace(EXTERNAL_LOGO.encode(), EMPTY_SVG.encode())


def redoc_bundle(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_bundle(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
