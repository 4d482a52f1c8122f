"""The one place request JSON is parsed: depth limit and NUL check for every JSON body.

``ScribeJSONParser`` is REST framework's ``DEFAULT_PARSER_CLASSES`` JSON parser, so
every viewset (and every endpoint added later) gets it without asking. A view that
lists its own ``parser_classes`` takes ``json_parser_classes()`` plus, for uploads,
``ScribeMultiPartParser``.

- Nesting deeper than ``JSON_MAX_DEPTH`` is refused *before* ``json.loads`` runs:
  Python's parser recurses per level, and a 2 KB body of 1,000 brackets used to end
  in a RecursionError (a 500 with a traceback in the log, for anyone, unauthenticated).
- A NUL character (``\\u0000``) in any string value or object key is refused, naming
  where it is (``patient_data.notes.0``): PostgreSQL's text and JSON columns cannot hold
  it and BSON keys end at it. Text fields read by serializers (query parameters,
  multipart fields) are covered by REST framework's ``CharField``, which refuses NUL too,
  and multipart bodies by ``ScribeMultiPartParser`` (for views that read fields by hand).
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.utils import json

JSON_MAX_DEPTH = 64
NUL_MESSAGE = "Must not contain the NUL character (\\u0000)."

# Strings (with their escapes) are skipped when counting brackets: "[[[" inside a
# string is text, not nesting.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def json_depth_exceeds(text: str, limit: int = JSON_MAX_DEPTH) -> bool:
    """True when ``text`` opens more than ``limit`` arrays/objects inside each other.

    A linear scan that never recurses; malformed JSON is left to the parser to refuse.
    """
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def nul_errors(data: Any, *, prefix: str = "") -> dict[str, list[str]]:
    """Where NUL characters are in parsed JSON: ``{"a.b.0": [message]}`` (empty: none).

    Iterative (no recursion), so it is safe on any document the depth check let through.
    """
    errors: dict[str, list[str]] = {}
    stack: list[tuple[str, Any]] = [(prefix, data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                errors[path or "non_field_errors"] = [NUL_MESSAGE]
        elif isinstance(value, dict):
            for key, item in value.items():
                key_path = f"{path}.{key}" if path else str(key)
                if "\x00" in str(key):
                    # The key itself cannot be echoed as a field name; say where it is.
                    errors[f"{path}.<key>" if path else "<key>"] = [NUL_MESSAGE]
                    continue
                stack.append((key_path, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    return errors


class ScribeJSONParser(parsers.JSONParser):
    """REST framework's JSON parser with a nesting limit and a NUL check (module docstring)."""

    max_depth = JSON_MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, ValueError) as exc:
            raise ParseError("JSON parse error - the body is not valid UTF-8.") from exc
        if json_depth_exceeds(text, self.max_depth):
            raise ParseError(f"JSON parse error - nested deeper than {self.max_depth} levels.")
        try:
            parse_constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        errors = nul_errors(data)
        if errors:
            raise ValidationError(errors)
        return data


class ScribeMultiPartParser(parsers.MultiPartParser):
    """REST framework's multipart parser with the same NUL check on every form field."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        errors: dict[str, list[str]] = {}
        for key in parsed.data:
            if "\x00" in key:
                errors["<key>"] = [NUL_MESSAGE]
            elif nul_errors(parsed.data.getlist(key)):
                errors[key] = [NUL_MESSAGE]
        if errors:
            raise ValidationError(errors)
        return parsed


def json_parser_classes() -> list[type[parsers.BaseParser]]:
    """The configured JSON parser(s), for views that add e.g. multipart to them."""
    from rest_framework.settings import api_settings

    return [cls for cls in api_settings.DEFAULT_PARSER_CLASSES if issubclass(cls, parsers.JSONParser)]
