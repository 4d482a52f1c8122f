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


# Operation groups of /docs and /redoc, in this order (issue 12). An /api/v1 path is
# grouped by its first segment (a new app's paths get their own group with no further
# work); the AI actions under other paths (transcripts/{id}/summarize) join "AI".
TAGS = {
    "users": "Registration, login, tokens and the caller's profile.",
    "consultations": "Consultations: start, list, end. Each has one transcript.",
    "transcripts": "A consultation's transcript and its numbered segments.",
    "notes": "The clinician's notes on a consultation.",
    "prompts": "Prompt templates for summaries (own and shared).",
    "AI": "Summaries, medical search, images, transcription and SNOMED CT codes (the AI provider).",
    "service": "Welcome, liveness and readiness.",
}
_AI_ACTIONS = ("/summarize",)


def _tag_for(path: str) -> str | None:
    if path in ("/", "") or path.startswith("/health"):
        return "service"
    if not path.startswith("/api/v1/"):
        return None
    if any(path.rstrip("/").endswith(action) for action in _AI_ACTIONS):
        return "AI"
    first = path[len("/api/v1/") :].split("/", 1)[0]
    return "AI" if first == "ai" else first or None


def tag_operations(result, generator, request, public):
    """Group every operation under one tag (users, consultations, ... AI, service)."""
    used: list[str] = []
    for path, path_item in result.get("paths", {}).items():
        tag = _tag_for(path)
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if tag is not None:
                operation["tags"] = [tag]
            used += [t for t in operation.get("tags", []) if t not in used]
    known = [{"name": name, "description": text} for name, text in TAGS.items() if name in used]
    result["tags"] = known + [{"name": name} for name in used if name not in TAGS]
    return result
