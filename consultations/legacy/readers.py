"""Where legacy documents come from: a ``mongodump`` directory or a live MongoDB.

Both readers answer the same small interface (:class:`LegacyReader`), so the
importer never knows which one it has. Documents are plain dicts exactly as
pymongo's ``bson`` decodes them (ObjectIds, datetimes, nested dicts).

Memory stays bounded on big dumps: collections are streamed, and the dump
reader finds documents by ``_id`` through an index of file offsets rather than
holding the documents.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

import bson
from bson import ObjectId

from consultations.legacy.mongo import connect, server_errors

# The collections of the Node.js backend, in the order the importer needs them.
COLLECTIONS = ("users", "prompts", "consultations", "transcripts", "notes", "blacktokens")

Document = dict[str, Any]


class ReaderError(Exception):
    """The source cannot be read (missing directory, unreachable server, corrupt file)."""


class LegacyReader(Protocol):
    """What the importer needs from a source of legacy documents."""

    #: Printed in the report: a path or a URI without its credentials.
    description: str

    def count(self, collection: str) -> int:
        """How many documents the collection holds (0 when it does not exist)."""

    def iter(self, collection: str) -> Iterator[Document]:
        """Every document of the collection, streamed, in a stable order."""

    def get_many(self, collection: str, ids: Iterable[ObjectId]) -> dict[ObjectId, Document]:
        """The documents with these ``_id``s that exist (missing ones are simply absent)."""

    def close(self) -> None: ...


# --- mongodump directory ---------------------------------------------------------------

_LENGTH = struct.Struct("<i")
# Datetimes come back timezone-aware (UTC) from both readers.
_CODEC = bson.CodecOptions(tz_aware=True)


class DumpReader:
    """Reads ``<collection>.bson`` files (concatenated BSON documents) as ``mongodump`` writes them.

    ``path`` may be the dump's root (holding one database directory, e.g.
    ``dump/scribe/``) or the database directory itself.
    """

    def __init__(self, path: str | Path) -> None:
        self.root = self._database_directory(Path(path))
        self.description = str(self.root)
        self._offsets: dict[str, dict[ObjectId, int]] = {}

    @staticmethod
    def _database_directory(path: Path) -> Path:
        if not path.is_dir():
            raise ReaderError(f"{path} is not a directory")
        if any(path.glob("*.bson")):
            return path
        candidates = [child for child in sorted(path.iterdir()) if child.is_dir() and any(child.glob("*.bson"))]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise ReaderError(f"{path} holds no .bson files (expected a mongodump directory)")
        names = ", ".join(child.name for child in candidates)
        raise ReaderError(f"{path} holds several databases ({names}); pass the one to import")

    def _file(self, collection: str) -> Path:
        return self.root / f"{collection}.bson"

    def _raw(self, collection: str) -> Iterator[tuple[int, bytes]]:
        path = self._file(collection)
        if not path.exists():
            return
        with path.open("rb") as handle:
            offset = 0
            while True:
                head = handle.read(4)
                if not head:
                    return
                if len(head) < 4:
                    raise ReaderError(f"{path.name}: truncated document at byte {offset}")
                (size,) = _LENGTH.unpack(head)
                body = handle.read(size - 4)
                if size < 5 or len(body) != size - 4:
                    raise ReaderError(f"{path.name}: truncated document at byte {offset}")
                yield offset, head + body
                offset += size

    def count(self, collection: str) -> int:
        return sum(1 for _ in self._raw(collection))

    def iter(self, collection: str) -> Iterator[Document]:
        for offset, raw in self._raw(collection):
            try:
                yield bson.decode(raw, codec_options=_CODEC)
            except bson.errors.InvalidBSON as exc:
                raise ReaderError(f"{collection}.bson: undecodable document at byte {offset}: {exc}") from exc

    def get_many(self, collection: str, ids: Iterable[ObjectId]) -> dict[ObjectId, Document]:
        index = self._offsets.get(collection)
        if index is None:
            index = self._offsets[collection] = self._build_index(collection)
        wanted = sorted({index[i] for i in ids if i in index})
        found: dict[ObjectId, Document] = {}
        if not wanted:
            return found
        with self._file(collection).open("rb") as handle:
            for offset in wanted:
                handle.seek(offset)
                (size,) = _LENGTH.unpack(handle.read(4))
                handle.seek(offset)
                doc = bson.decode(handle.read(size), codec_options=_CODEC)
                found[doc["_id"]] = doc
        return found

    def _build_index(self, collection: str) -> dict[ObjectId, int]:
        index: dict[ObjectId, int] = {}
        for offset, raw in self._raw(collection):
            # Only the _id is decoded; the index holds offsets, never documents.
            doc_id = bson.decode(raw).get("_id")
            index.setdefault(doc_id, offset)
        return index

    def close(self) -> None:
        self._offsets.clear()


def write_dump(directory: str | Path, collections: dict[str, Iterable[Document]]) -> Path:
    """Write documents as a ``mongodump`` database directory (tests and the benchmark use it)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, docs in collections.items():
        with (directory / f"{name}.bson").open("wb") as handle:
            for doc in docs:
                handle.write(bson.encode(doc))
    return directory


# --- live database -------------------------------------------------------------------------


class LiveReader:
    """Reads a running MongoDB through pymongo.

    ``database`` is a ``pymongo.database.Database``; :func:`open_live_reader`
    makes one from a URI. Documents are read in ``_id`` order so an interrupted
    import sees the same sequence when started again.
    """

    batch_size = 1000

    def __init__(self, database: Any, *, description: str = "", client: Any = None) -> None:
        self.database = database
        self.description = description or f"mongodb database {database.name}"
        self._client = client
        self._names: set[str] | None = None

    def _exists(self, collection: str) -> bool:
        if self._names is None:
            with _server_errors():
                self._names = set(self.database.list_collection_names())
        return collection in self._names

    def count(self, collection: str) -> int:
        if not self._exists(collection):
            return 0
        with _server_errors():
            return self.database[collection].count_documents({})

    def iter(self, collection: str) -> Iterator[Document]:
        if not self._exists(collection):
            return
        with _server_errors():
            yield from self.database[collection].find({}, sort=[("_id", 1)], batch_size=self.batch_size)

    def get_many(self, collection: str, ids: Iterable[ObjectId]) -> dict[ObjectId, Document]:
        wanted = list(dict.fromkeys(ids))
        if not wanted or not self._exists(collection):
            return {}
        found: dict[ObjectId, Document] = {}
        with _server_errors():
            for start in range(0, len(wanted), self.batch_size):
                chunk = wanted[start : start + self.batch_size]
                for doc in self.database[collection].find({"_id": {"$in": chunk}}):
                    found[doc["_id"]] = doc
        return found

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _server_errors() -> AbstractContextManager[None]:
    """A server lost part-way is the source failing (``ReaderError``), named without credentials."""
    return server_errors(ReaderError)


def open_live_reader(uri: str, *, database: str | None = None, timeout_ms: int = 5000) -> LiveReader:
    """Connect to ``uri`` (the database named in its path, or ``database``) and check it answers."""
    client, db, description = connect(uri, database=database, timeout_ms=timeout_ms, error=ReaderError)
    return LiveReader(db, description=description, client=client)
