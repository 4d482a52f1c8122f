"""Ids are opaque strings to clients: integers on SQL engines, ObjectIds on MongoDB."""

from __future__ import annotations

from django.conf import settings


def parse_pk(value: object) -> object | None:
    """Return ``value`` as a primary key of this engine, or None when it cannot be one.

    Callers treat None as "not found": a malformed id and another user's id look the same.
    """
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if settings.IS_MONGODB:
        from bson import ObjectId

        return ObjectId(text) if ObjectId.is_valid(text) else None
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    number = int(text)
    return number if number > 0 else None
