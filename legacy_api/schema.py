"""OpenAPI: the Node.js face's bearer scheme (a subclass of Scribe's, so named apart)."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class NodeJWTScheme(SimpleJWTScheme):
    target_class = "legacy_api.authentication.NodeJWTAuthentication"
    name = "nodeJwtAuth"
    priority = 1
