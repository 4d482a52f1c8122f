"""The engine-neutral primary key.

On SQL engines it is a ``BigAutoField``; under ``django_mongodb_backend`` it is an
``ObjectIdAutoField`` (stored as ``_id``). Either way it deconstructs to this
module's path with no engine-specific arguments, so one migration history
serves SQLite, PostgreSQL and MongoDB.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


def _uses_mongodb() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django_mongodb_backend"


if _uses_mongodb():
    from django_mongodb_backend.fields import ObjectIdAutoField as _EngineAutoField
else:
    _EngineAutoField = models.BigAutoField


class PortableAutoField(_EngineAutoField):
    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        # ObjectIdAutoField pins db_column="_id"; that is an engine detail, not schema.
        kwargs.pop("db_column", None)
        return name, "scribe.core.fields.PortableAutoField", args, kwargs
