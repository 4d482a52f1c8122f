from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers


class IdField(serializers.CharField):
    """A primary key as an opaque string (an integer on SQL, an ObjectId on MongoDB)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return str(value)


def _json_types(field: serializers.Field) -> tuple[type, ...] | None:
    """The JSON types a field takes in a JSON body (None: the field checks for itself).

    A field may say so itself with a ``json_types`` attribute (an id accepted as a
    string or an integer, say).
    """
    declared = getattr(field, "json_types", None)
    if declared is not None:
        return tuple(declared)
    if isinstance(field, serializers.BooleanField):
        return (bool,)
    if isinstance(field, serializers.IntegerField):
        return (int,)
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return (int, float)
    if isinstance(field, serializers.ChoiceField):
        return (str,) if all(isinstance(key, str) for key in field.choices) else None
    if isinstance(field, serializers.CharField | serializers.DateTimeField | serializers.DateField):
        return (str,)
    return None


_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
}


def _wrong_type(field: serializers.Field, value: Any) -> str | None:
    """The message when ``value`` (from a JSON body) is not of a type ``field`` takes."""
    if value is None:
        return None  # allow_null is the field's own decision
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        for item in value:
            message = _wrong_type(field.child, item)
            if message:
                return message
        return None
    allowed = _json_types(field)
    if allowed is None:
        return None
    if isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed):
        return None
    return "Must be " + " or ".join(_TYPE_NAMES.get(kind, kind.__name__) for kind in allowed) + "."


class StrictSerializer(serializers.Serializer):
    # The base of every input serializer: what the OpenAPI schema promises, enforced.
    # (Comments, not a docstring: drf-spectacular would show it on every request body.)
    # - Fields it does not know are refused (a typo or a mass-assignment attempt is a
    #   400); the schema says ``additionalProperties: false`` (scribe.core.schema).
    # - In a JSON body every field takes its JSON type only: 0 is not text, "5" is not a
    #   number, "true" is not a boolean (REST framework would coerce them). Multipart and
    #   query values are text by nature and are left to the fields.
    # - ``one_of_required``: field names of which exactly one must be sent, and
    #   ``mutually_exclusive``: groups of which at most one may be; both are validated
    #   here and written into the schema (oneOf / not), so a subclass declares them once.

    # - ``schema_variants``: JSON Schemas of which the body must match exactly one, for a
    #   rule between fields that the serializer's validation (or its service) enforces,
    #   such as a list's length set by another field; written into the schema as oneOf.
    # - ``ignore_unknown``: fields it does not know are dropped instead of refused (the
    #   Node.js face: Express ignored them), and the schema leaves other properties open.

    ignore_unknown: ClassVar[bool] = False
    one_of_required: ClassVar[tuple[str, ...]] = ()
    mutually_exclusive: ClassVar[tuple[tuple[str, ...], ...]] = ()
    schema_variants: ClassVar[list[dict[str, Any]]] = []

    def to_internal_value(self, data):
        if isinstance(data, dict):
            if self.ignore_unknown and not hasattr(data, "getlist"):
                data = {name: value for name, value in data.items() if name in self.fields}
            unknown = [] if self.ignore_unknown else sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
            if not hasattr(data, "getlist"):  # a JSON object, not form or query data
                wrong = {
                    name: [message]
                    for name, field in self.fields.items()
                    if name in data and not field.read_only and (message := _wrong_type(field, data[name]))
                }
                if wrong:
                    raise serializers.ValidationError(wrong)
            self._check_groups(data)
        return super().to_internal_value(data)

    def _check_groups(self, data: dict[str, Any]) -> None:
        if self.one_of_required and sum(name in data for name in self.one_of_required) != 1:
            names = " or ".join(self.one_of_required)
            raise serializers.ValidationError({self.one_of_required[0]: [f"Send exactly one of {names}."]})
        for group in self.mutually_exclusive:
            if sum(name in data for name in group) > 1:
                raise serializers.ValidationError({group[-1]: [f"Send at most one of {', '.join(group)}."]})


class QuerySerializer(serializers.Serializer):
    # The base of query-string serializers: a parameter sent empty (?consultation=) is
    # refused rather than ignored, unless its field allows blank values.

    def to_internal_value(self, data):
        empty = {
            name: ["Must not be empty."]
            for name, field in self.fields.items()
            if hasattr(data, "getlist")
            and any(value == "" for value in data.getlist(name))
            and not getattr(field, "allow_blank", False)
        }
        if empty:
            raise serializers.ValidationError(empty)
        return super().to_internal_value(data)


def validated(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    """``data`` run through ``serializer_class``; a 400 (the contract's envelope) when invalid."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
