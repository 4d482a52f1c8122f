"""OpenAPI: the Node.js face's bearer scheme (a subclass of Scribe's, so named apart)."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme

NODE_TAG = "Node.js compatibility"


class NodeJWTScheme(SimpleJWTScheme):
    target_class = "legacy_api.authentication.NodeJWTAuthentication"
    name = "nodeJwtAuth"
    priority = 1


def node_paths_without_slash(result, generator, request, public):
    """Document the Node.js routes as the frontend calls them: no trailing slash (the
    routes accept one, as Express did, which drf-spectacular renders as a slash)."""
    paths = result.get("paths", {})
    for path in list(paths):
        operations = [op for op in paths[path].values() if isinstance(op, dict)]
        if (
            path != "/"
            and path.endswith("/")
            and operations
            and all(NODE_TAG in op.get("tags", []) for op in operations)
        ):
            paths[path.rstrip("/")] = paths.pop(path)
    return result
