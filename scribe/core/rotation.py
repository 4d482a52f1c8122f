"""Re-encrypt stored values under the newest key and rebuild blind indexes (issue 14).

One pass per encrypted field and per registered blind index: the rows not yet under the
newest key are found by a query (their stored value does not start with the newest key's
prefix), read in primary-key batches, and each is written back with a conditional update
``filter(pk=..., field=<the value read>).update(field=<new value>)``: a row changed by the
service in between is left as the service wrote it (already under the newest key), never
overwritten with older data. No transaction or lock, so it runs the same on every engine
while Scribe serves; stopping it at any point and running it again carries on.
Rows written before encryption existed (plain values) are encrypted by the same pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Q

from scribe.core import crypto
from scribe.core.crypto_fields import Ciphertext, EncryptedJSONField, blind_indexes, encrypted_fields, stored_values


@dataclass
class RotationResult:
    # "app.Model.field" -> rows rewritten
    rewritten: dict[str, int] = field(default_factory=dict)
    # rows changed by someone else between the read and the write (left as they were)
    skipped: int = 0


def _reencrypt(raw, *, json_field: bool) -> str:
    if isinstance(raw, str):
        # A ciphertext under an older key, or plain text / JSON text from before encryption.
        return crypto.encrypt(crypto.decrypt(raw)) if crypto.is_encrypted(raw) else crypto.encrypt(raw)
    # MongoDB documents written before encryption hold the JSON value itself.
    return crypto.encrypt_json(raw) if json_field else crypto.encrypt(str(raw))


def _batches(qs, name: str, batch_size: int, extra: tuple[str, ...] = ()):
    last = None
    while True:
        page = qs.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        rows = list(page[:batch_size]) if extra else list(page.values_list("pk", name)[:batch_size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk if extra else rows[-1][0]


def rotate_encrypted_fields(
    *, batch_size: int = 500, progress: Callable[[str], None] | None = None, using: str = "default"
) -> RotationResult:
    result = RotationResult()
    prefix = crypto.current_prefix()
    for model, f in encrypted_fields():
        label = f"{model._meta.label}.{f.name}"
        todo = (
            model._base_manager.using(using)
            .exclude(**{f"{f.name}__startswith": prefix})
            .exclude(**{f"{f.name}__isnull": True})
            .exclude(**{f.name: Ciphertext("")})
        )
        done = 0
        with stored_values():
            for rows in _batches(todo, f.name, batch_size):
                for pk, raw in rows:
                    new = Ciphertext(_reencrypt(raw, json_field=isinstance(f, EncryptedJSONField)))
                    same = model._base_manager.using(using).filter(pk=pk)
                    if isinstance(raw, str):
                        same = same.filter(**{f.name: Ciphertext(raw)})
                    else:
                        same = same.exclude(**{f"{f.name}__startswith": crypto.PREFIX})
                    if same.update(**{f.name: new}):
                        done += 1
                    else:
                        result.skipped += 1
                if progress:
                    progress(f"{label}: {done} re-encrypted")
        result.rewritten[label] = done
    return result


def rebuild_blind_indexes(
    *, batch_size: int = 500, progress: Callable[[str], None] | None = None, using: str = "default"
) -> RotationResult:
    result = RotationResult()
    for index in blind_indexes():
        model = apps.get_model(index.model)
        label = f"{model._meta.label}.{index.field}"
        todo = model._base_manager.using(using).filter(~Q(**{f"{index.field}__startswith": index.current_prefix()}))
        if index.select_related:
            todo = todo.select_related(*index.select_related)
        done = 0
        for rows in _batches(todo, index.field, batch_size, extra=("row",)):
            for row in rows:
                stored = getattr(row, index.field)
                new = index.compute(row)
                if new == stored:
                    continue
                updated = (
                    model._base_manager.using(using)
                    .filter(pk=row.pk, **{index.field: stored})
                    .update(**{index.field: new})
                )
                if updated:
                    done += 1
                else:
                    result.skipped += 1
            if progress:
                progress(f"{label}: {done} rebuilt")
        result.rewritten[label] = done
    return result


def rows_not_under_newest_keys(using: str = "default") -> dict[str, int]:
    """Per field, the rows a rotation still has to rewrite (0 everywhere: the old keys can go)."""
    out = {}
    prefix = crypto.current_prefix()
    for model, f in encrypted_fields():
        out[f"{model._meta.label}.{f.name}"] = (
            model._base_manager.using(using)
            .exclude(**{f"{f.name}__startswith": prefix})
            .exclude(**{f"{f.name}__isnull": True})
            .exclude(**{f.name: Ciphertext("")})
            .count()
        )
    return out
