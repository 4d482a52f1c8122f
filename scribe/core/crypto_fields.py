"""Model fields that store their value encrypted (``scribe.core.crypto``) and read it back plain.

Serializers, the admin, exports, the AI and the Node face see plain values; only the database
holds ciphertext (a text column on every engine). ``None`` stays NULL and ``""`` stays ``""``
(an empty value tells nothing about a patient; lookups such as ``isnull`` keep working).
Equality lookups on an encrypted field match nothing (the ciphertext is randomised): search
through the blind index instead (``scribe.core.crypto``). ``Ciphertext`` passes a value
already encrypted through unchanged: ``manage.py rotate_field_keys``' conditional updates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import models

from scribe.core import crypto


class Ciphertext(str):
    """A value already in stored form: written and compared as it is."""

    __slots__ = ()


_raw = ContextVar("scribe_crypto_raw", default=False)


@contextmanager
def stored_values() -> Iterator[None]:
    """Within this block, encrypted fields read back what is stored (for rotation and tests)."""
    token = _raw.set(True)
    try:
        yield
    finally:
        _raw.reset(token)


class EncryptedTextField(models.TextField):
    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, str) and value and not _raw.get():
            return crypto.decrypt(value)
        return value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Ciphertext):
            return str(value)
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)


class EncryptedJSONField(models.JSONField):
    """A JSON value stored as encrypted JSON text (a text column, not json/jsonb)."""

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection: Any) -> str | None:
        return models.TextField().db_type(connection)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or _raw.get():
            return value
        if isinstance(value, str):
            return crypto.decrypt_json(value)
        # MongoDB documents written before encryption hold the object itself.
        return value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Ciphertext):
            return str(value)
        if value is None and self.null:
            return None
        return crypto.encrypt_json(value)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        return value if prepared else self.get_prep_value(value)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        if hasattr(value, "as_sql"):
            return value
        return self.get_db_prep_value(value, connection)


ENCRYPTED_FIELD_TYPES = (EncryptedTextField, EncryptedJSONField)


def encrypted_fields() -> list[tuple[type[models.Model], models.Field]]:
    """Every (model, field) stored encrypted, found in the app registry."""
    from django.apps import apps

    return [
        (model, f)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, ENCRYPTED_FIELD_TYPES)
    ]


# --- Blind indexes: registered by their apps, rebuilt by `manage.py rotate_field_keys` -------


@dataclass(frozen=True)
class BlindIndex:
    """``model.field`` holds a blind index computed from the row by ``compute(row) -> str``
    (under the newest index key); ``current_prefix()`` is what an up-to-date value starts with."""

    model: str
    field: str
    compute: Callable[[Any], str]
    current_prefix: Callable[[], str]
    select_related: tuple[str, ...] = ()


_blind_indexes: list[BlindIndex] = []


def blind_index_register(index: BlindIndex) -> None:
    if all((i.model, i.field) != (index.model, index.field) for i in _blind_indexes):
        _blind_indexes.append(index)


def blind_indexes() -> list[BlindIndex]:
    return list(_blind_indexes)


# --- The start-up key check ------------------------------------------------------------------

SAMPLE = 3


def key_problems(using: str = "default") -> list[str]:
    """Encrypted values that this process cannot read: the newest rows of every encrypted field
    are decrypted, so a wrong or missing key is found before the first request (no patient
    data in the messages: model, field and key id only)."""
    problems = []
    for model, f in encrypted_fields():
        with stored_values():
            values = list(
                model._base_manager.using(using)
                .exclude(**{f"{f.name}__isnull": True})
                .order_by("-pk")
                .values_list(f.name, flat=True)[:SAMPLE]
            )
        for value in values:
            if not isinstance(value, str) or not crypto.is_encrypted(value):
                continue
            try:
                crypto.decrypt(value)
            except crypto.FieldKeyError as exc:
                problems.append(f"{model._meta.label}.{f.name}: {exc}")
                break
    return problems


def startup_key_check() -> None:
    """Refuse to serve (ImproperlyConfigured) when stored values do not decrypt with the
    configured keys. A database that is not reachable or not migrated yet is left to the
    rest of the start-up (its own clear error); only a key problem stops here."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    try:
        problems = key_problems()
    except (DatabaseError, RuntimeError):
        return
    if problems:
        raise ImproperlyConfigured(
            "Stored patient data does not decrypt with FIELD_ENCRYPTION_KEYS: " + "; ".join(problems)
        )


def field_keys_check(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    """System check (database tag: `migrate`, `check --database default`): stored values
    decrypt with the configured keys."""
    from django.core import checks
    from django.db import DatabaseError

    errors = []
    for alias in databases or []:
        try:
            problems = key_problems(alias)
        except DatabaseError:
            continue  # not migrated yet: nothing stored to check
        errors += [
            checks.Error(p, hint="Set FIELD_ENCRYPTION_KEYS (README 'Encryption at rest').", id="scribe.E014")
            for p in problems
        ]
    return errors
