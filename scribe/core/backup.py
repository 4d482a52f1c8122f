"""Engine-neutral backups: every model's rows, found in the app registry.

An archive is a tar file (mode 0600) holding ``manifest.json`` and one gzip-compressed part of
JSON lines per batch of rows of one model (optionally Fernet-encrypted). The manifest lists each
model's fields, row count and parts with the SHA-256 of the bytes stored. Values are written in
their plain JSON form (datetimes in full ISO 8601, ids as numbers or ObjectId strings) and read
back through each field's ``to_python``, so an archive made on SQLite restores on PostgreSQL and
the other way round. No model is named here: what a later migration adds comes along.

Restoring never relies on a transaction (MongoDB has none): every part's checksum (and the key)
is checked before the first write, a ``RestoreRun`` row is written first and marked finished
last, and a database holding any record (or an unfinished run) is refused.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import gzip
import hashlib
import io
import json
import os
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections, models
from django.utils import timezone
from django.utils.duration import duration_iso_string

FORMAT = "scribe-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KEY_CHECK = b"scribe-backup-key-check"

# Rows made by `migrate` itself (post_migrate signals) in every fresh database: matched by
# their natural key at restore, never counted as "records".
_CONTENT_TYPE = ("contenttypes", "contenttype")
_PERMISSION = ("auth", "permission")


class BackupError(Exception):
    """A backup or restore refused, with a message for the operator (no patient data)."""


# --- Which models, in which order ------------------------------------------------------------


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def backed_up_models() -> list[type[models.Model]]:
    """Every concrete, managed model (many-to-many tables too), parents before children."""
    from scribe.core.models import RestoreRun

    found = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped and m is not RestoreRun
    ]
    found.sort(key=_label)
    ordered: list[type[models.Model]] = []
    placed: set[type[models.Model]] = set()

    def place(model: type[models.Model], path: tuple = ()) -> None:
        if model in placed or model in path:
            return
        for f in model._meta.concrete_fields:
            target = f.related_model if f.is_relation and (f.many_to_one or f.one_to_one) else None
            if target is not None and target is not model and target in found:
                place(target, (*path, model))
        placed.add(model)
        ordered.append(model)

    for model in found:
        place(model)
    return ordered


def _columns(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _pk_kind() -> str:
    return "objectid" if settings.DATABASES["default"]["ENGINE"] == "django_mongodb_backend" else "integer"


# --- Encryption --------------------------------------------------------------------------------


def _fernet(keys: str):
    from cryptography.fernet import Fernet, MultiFernet

    try:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    except ValueError as exc:
        raise BackupError("BACKUP_ENCRYPTION_KEY is not a Fernet key (Fernet.generate_key()).") from exc


# --- Writing ------------------------------------------------------------------------------------


def _encode(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return str(value)  # ObjectId and other scalar engine types


@dataclass
class BackupResult:
    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    sha256: str = ""


def _check_output(path: Path) -> None:
    folder = path.parent
    if not folder.is_dir():
        raise BackupError(f"The output folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(f"The output folder {folder} is not writable.")
    if path.exists():
        raise BackupError(f"{path} exists already; backups never overwrite one.")


def backup_write(
    *, output: Path, encryption_key: str = "", batch_size: int = 5000, using: str = "default"
) -> BackupResult:
    """Write the database to ``output`` (created 0600, renamed into place when complete)."""
    output = Path(output).absolute()
    _check_output(output)
    fernet = _fernet(encryption_key) if encryption_key else None
    result = BackupResult(path=output)
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", dir=output.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            entries = []
            part_no = 0
            for model in backed_up_models():
                cols = _columns(model)
                entry = {"model": _label(model), "fields": cols, "count": 0, "parts": []}
                rows = (
                    model._base_manager.using(using).order_by("pk").values_list(*cols).iterator(chunk_size=batch_size)
                )
                batch: list = []

                def flush(batch: list = batch, entry: dict = entry) -> None:
                    nonlocal part_no
                    text = "".join(json.dumps(r, default=_encode, separators=(",", ":")) + "\n" for r in batch)
                    data = gzip.compress(text.encode(), compresslevel=6, mtime=0)
                    if fernet is not None:
                        data = fernet.encrypt(data)
                    name = f"parts/{part_no:06d}-{entry['model']}.jsonl.gz" + (".fernet" if fernet else "")
                    part_no += 1
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    info.mode = 0o600
                    tar.addfile(info, io.BytesIO(data))
                    entry["parts"].append(
                        {"name": name, "rows": len(batch), "sha256": hashlib.sha256(data).hexdigest()}
                    )
                    entry["count"] += len(batch)
                    batch.clear()

                for row in rows:
                    batch.append(row)
                    if len(batch) >= batch_size:
                        flush()
                if batch:
                    flush()
                entries.append(entry)
                result.counts[entry["model"]] = entry["count"]
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                "scribe_version": settings.SCRIBE_VERSION,
                "engine": connections[using].vendor,
                "pk_kind": _pk_kind(),
                "encrypted": fernet is not None,
                "key_check": fernet.encrypt(KEY_CHECK).decode() if fernet else None,
                "models": entries,
            }
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, output)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    result.sha256 = _file_sha256(output)
    return result


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- Reading --------------------------------------------------------------------------------------


class Archive:
    """An opened archive whose manifest, key and every part's checksum have been checked."""

    def __init__(self, path: Path, *, encryption_key: str = "") -> None:
        self.path = Path(path)
        try:
            self._tar = tarfile.open(self.path, mode="r:")  # noqa: SIM115 - held open until close()
            self.manifest = json.loads(self._tar.extractfile(MANIFEST).read())
        except (OSError, tarfile.TarError, KeyError, ValueError, AttributeError) as exc:
            raise BackupError(f"{self.path} is not a readable Scribe backup ({type(exc).__name__}).") from exc
        if self.manifest.get("format") != FORMAT or self.manifest.get("version") != FORMAT_VERSION:
            raise BackupError(f"{self.path} is not a Scribe backup of format version {FORMAT_VERSION}.")
        self._fernet = None
        if self.manifest["encrypted"]:
            if not encryption_key:
                raise BackupError("The backup is encrypted: set BACKUP_ENCRYPTION_KEY to its key.")
            from cryptography.fernet import InvalidToken

            self._fernet = _fernet(encryption_key)
            try:
                ok = self._fernet.decrypt(self.manifest["key_check"].encode()) == KEY_CHECK
            except InvalidToken:
                ok = False
            if not ok:
                raise BackupError("BACKUP_ENCRYPTION_KEY does not open this backup (wrong key).")

    def verify(self) -> None:
        for entry in self.manifest["models"]:
            for part in entry["parts"]:
                self._part_bytes(part)

    def _part_bytes(self, part: dict) -> bytes:
        try:
            data = self._tar.extractfile(part["name"]).read()
        except (KeyError, AttributeError, tarfile.TarError) as exc:
            raise BackupError(f"Part {part['name']} is missing from the backup.") from exc
        if hashlib.sha256(data).hexdigest() != part["sha256"]:
            raise BackupError(f"Part {part['name']} does not match its checksum: the backup is damaged.")
        return data

    def rows(self, entry: dict) -> Iterator[list[list]]:
        """Each part's rows, one list per part."""
        for part in entry["parts"]:
            data = self._part_bytes(part)
            if self._fernet is not None:
                data = self._fernet.decrypt(data)
            lines = gzip.decompress(data).decode().splitlines()
            if len(lines) != part["rows"]:
                raise BackupError(f"Part {part['name']} holds {len(lines)} rows, not {part['rows']}.")
            yield [json.loads(line) for line in lines]

    def close(self) -> None:
        self._tar.close()


# --- Restoring ------------------------------------------------------------------------------------


@contextmanager
def _explicit_timestamps(model: type[models.Model]):
    """auto_now/auto_now_add would overwrite the archived times in bulk_create's pre_save."""
    saved = []
    for f in model._meta.concrete_fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            saved.append((f, f.auto_now, f.auto_now_add))
            f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, now_add in saved:
            f.auto_now, f.auto_now_add = now, now_add


def database_records(using: str = "default") -> dict[str, int]:
    """Models holding rows other than migrate's own content types and permissions."""
    from scribe.core.models import RestoreRun

    held = {}
    for model in [*backed_up_models(), RestoreRun]:
        if (model._meta.app_label, model._meta.model_name) in (_CONTENT_TYPE, _PERMISSION):
            continue
        if model._base_manager.using(using).exists():
            held[_label(model)] = 1
    return held


@dataclass
class RestoreResult:
    counts: dict[str, int] = field(default_factory=dict)
    stopped: bool = False


class _Stop(Exception):
    pass


def restore_load(
    *,
    archive: Archive,
    batch_size: int = 1000,
    stop_after_rows: int | None = None,
    progress: Callable[[str, int], None] | None = None,
    using: str = "default",
) -> RestoreResult:
    """Load a verified archive into an empty, migrated database.

    Raises BackupError before writing anything when the database holds records (or an
    unfinished restore), the archive's ids or fields do not fit this database, or a part is
    damaged. ``stop_after_rows`` stops abruptly after that many rows (a rehearsal of a
    killed restore; the run stays unfinished).
    """
    from scribe.core.models import RestoreRun

    manifest = archive.manifest
    unfinished = RestoreRun.objects.using(using).filter(finished_at__isnull=True).first()
    if unfinished is not None:
        raise BackupError(
            f"A restore started at {unfinished.started_at.isoformat()} never finished: this database is "
            "half-restored. Drop it, migrate a fresh one and restore again."
        )
    held = database_records(using)
    if held:
        raise BackupError(
            "This database already holds records (" + ", ".join(sorted(held)) + "); restore only into a "
            "freshly migrated, empty database."
        )
    if manifest["pk_kind"] != _pk_kind():
        raise BackupError(
            f"The backup's ids are {manifest['pk_kind']} ids and this database uses {_pk_kind()} ids: restore "
            "a SQL backup into SQLite/PostgreSQL and a MongoDB backup into MongoDB."
        )
    by_label = {_label(m): m for m in backed_up_models()}
    for entry in manifest["models"]:
        model = by_label.get(entry["model"])
        if model is None:
            if entry["count"]:
                raise BackupError(f"The backup holds {entry['model']} rows but this Scribe has no such model.")
            continue
        if entry["fields"] != _columns(model) and sorted(entry["fields"]) != sorted(_columns(model)):
            raise BackupError(
                f"{entry['model']}'s fields differ from the backup's: migrate this database to the "
                "backup's Scribe version first."
            )
    archive.verify()

    run = RestoreRun.objects.using(using).create(archive_sha256=_file_sha256(archive.path), started_at=timezone.now())
    result = RestoreResult()
    written = 0
    # Archived content type / permission ids -> this database's (matched by natural key).
    remap: dict[type[models.Model], dict] = {}
    ct_model = apps.get_model(*_CONTENT_TYPE)
    perm_model = apps.get_model(*_PERMISSION)
    try:
        for entry in manifest["models"]:
            model = by_label.get(entry["model"])
            if model is None:
                continue
            cols = entry["fields"]
            fields = [_field(model, c) for c in cols]
            count = 0
            for rows in archive.rows(entry):
                if model is ct_model:
                    remap[ct_model] = remap.get(ct_model, {}) | _match_content_types(rows, cols, using)
                    count += len(rows)
                    continue
                if model is perm_model:
                    remap[perm_model] = remap.get(perm_model, {}) | _match_permissions(
                        rows, cols, remap.get(ct_model, {}), using
                    )
                    count += len(rows)
                    continue
                objs = []
                for row in rows:
                    values = {}
                    for f, c, v in zip(fields, cols, row, strict=True):
                        target = f.related_model if f.is_relation else None
                        if v is not None and target in remap:
                            v = remap[target][v]
                        values[c] = v if isinstance(f, models.JSONField) or v is None else f.to_python(v)
                    objs.append(model(**values))
                if stop_after_rows is not None and written + len(objs) > stop_after_rows:
                    objs = objs[: max(0, stop_after_rows - written)]
                    with _explicit_timestamps(model):
                        model._base_manager.using(using).bulk_create(objs, batch_size=batch_size)
                    written += len(objs)
                    raise _Stop
                with _explicit_timestamps(model):
                    model._base_manager.using(using).bulk_create(objs, batch_size=batch_size)
                written += len(objs)
                count += len(objs)
                if progress:
                    progress(entry["model"], count)
            result.counts[entry["model"]] = count
    except _Stop:
        result.stopped = True
        return result
    _reset_sequences(list(by_label.values()), using)
    RestoreRun.objects.using(using).filter(pk=run.pk, finished_at__isnull=True).update(
        finished_at=timezone.now(), rows=written
    )
    return result


def _field(model: type[models.Model], attname: str):
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f
    raise BackupError(f"{_label(model)} has no field {attname}.")


def _match_content_types(rows: list, cols: list[str], using: str) -> dict:
    ct_model = apps.get_model(*_CONTENT_TYPE)
    mapping = {}
    for row in rows:
        values = dict(zip(cols, row, strict=True))
        ct, _ = ct_model.objects.db_manager(using).get_or_create(app_label=values["app_label"], model=values["model"])
        mapping[values["id"]] = ct.pk
    return mapping


def _match_permissions(rows: list, cols: list[str], ct_map: dict, using: str) -> dict:
    perm_model = apps.get_model(*_PERMISSION)
    mapping = {}
    for row in rows:
        values = dict(zip(cols, row, strict=True))
        perm, _ = perm_model.objects.db_manager(using).get_or_create(
            content_type_id=ct_map[values["content_type_id"]],
            codename=values["codename"],
            defaults={"name": values["name"]},
        )
        mapping[values["id"]] = perm.pk
    return mapping


def _reset_sequences(restored: list[type[models.Model]], using: str) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; set them past the restored rows.

    SQL engines only (MongoDB's ObjectIds have no sequence; SQLite follows its rows). Django's
    own ``loaddata`` does the same through the backend's ``sequence_reset_sql``: there is no
    ORM call for it, so this is the one place Scribe executes backend-generated SQL.
    """
    from django.core.management.color import no_style

    connection = connections[using]
    if connection.vendor in ("mongodb", "sqlite"):
        return
    statements = connection.ops.sequence_reset_sql(no_style(), restored)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
