"""OpenAPI post-processing: every operation documents the shared error shape."""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)


class ScribeJWTScheme(SimpleJWTScheme):
    """Documents Scribe's bearer tokens, so /docs offers "Authorize" and operations list their security."""

    target_class = "accounts.authentication.ScribeJWTAuthentication"
    match_subclasses = True


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Machine clients' API keys (accounts.api_keys): only the read-only /api/v1/service/ routes."""

    target_class = "accounts.api_keys.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key scribe_<prefix>.<secret>`: a key staff created in the admin "
            "for a service account. Accepted only by the read-only `/api/v1/service/` routes.",
        }


class NonBlankTextSchema(OpenApiSerializerFieldExtension):
    """A request's text field that is trimmed and may not be blank needs a character that
    is not whitespace (``"\\v"`` is blank once trimmed): the schema says so with a pattern."""

    target_class = "rest_framework.fields.CharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        if (
            direction == "request"
            and getattr(field, "trim_whitespace", False)
            and not getattr(field, "allow_blank", True)
            and schema.get("type") == "string"
            and "pattern" not in schema
            and "format" not in schema
            and "enum" not in schema
            and not any(isinstance(validator, RegexValidator) for validator in field.validators)
        ):
            schema["pattern"] = r"\S"
        return schema


class StrictSerializerSchema(OpenApiSerializerExtension):
    """Request bodies of every ``StrictSerializer`` say what the server enforces: no other
    properties, and the serializer's one-of / mutually exclusive field groups."""

    target_class = "scribe.core.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction != "request":
            return schema
        if not self.target.ignore_unknown:
            schema["additionalProperties"] = False
        one_of = self.target.one_of_required
        if one_of:
            schema["oneOf"] = [{"required": [name]} for name in one_of]
        variants = getattr(self.target, "schema_variants", None)
        if variants:
            schema.setdefault("allOf", []).append({"oneOf": list(variants)})
        exclusive = [group for group in self.target.mutually_exclusive if len(group) > 1]
        if exclusive:
            schema.setdefault("allOf", []).extend(
                {"not": {"required": [first, other]}}
                for group in exclusive
                for first in group[:1]
                for other in group[1:]
            )
        return schema


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


def _require_bodies_that_need_a_field(result) -> None:
    # drf-spectacular marks a body optional when no single property is required; a body
    # whose schema demands one of several (oneOf) cannot be left out either.
    schemas = result.get("components", {}).get("schemas", {})
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if not body:
                continue
            for media in body.get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                if schemas.get(ref.rsplit("/", 1)[-1], {}).get("oneOf"):
                    body["required"] = True


def add_error_responses(result, generator, request, public):
    _require_bodies_that_need_a_field(result)
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
    "service": "Welcome, liveness and readiness; under /api/v1/service/, the read-only routes for "
    "machine clients with an API key.",
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
