from __future__ import annotations

from rest_framework import serializers


class IdField(serializers.CharField):
    """A primary key as an opaque string (an integer on SQL, an ObjectId on MongoDB)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return str(value)


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know (a typo or a mass-assignment attempt is a 400)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)
