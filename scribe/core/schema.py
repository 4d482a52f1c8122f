"""OpenAPI post-processing: every operation documents the shared error shape."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class ScribeJWTScheme(SimpleJWTScheme):
    """Documents Scribe's bearer tokens, so /docs offers "Authorize" and operations list their security."""

    target_class = "accounts.authentication.ScribeJWTAuthentication"
    match_subclasses = True

ERROR_SCHEMA = {
    "type": "object",
    "required": ["detail", "code", "request_id"],
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "request_id": {"type": "string", "nullable": True},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}

_COMMON = {
    "400": "Invalid input.",
    "401": "Not authenticated, or the token is invalid, expired or revoked.",
    "403": "Authenticated but not allowed for this role.",
    "404": "Not found (also another user's object).",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "413": "Request body is too large.",
    "415": "Unsupported media type.",
    "429": "Rate limited; see Retry-After.",
}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, description in _COMMON.items():
                operation["responses"].setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
    return result
