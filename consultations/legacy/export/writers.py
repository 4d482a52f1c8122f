"""Where an export goes: a mongodump-style directory or a live MongoDB.

Both apply a document the same way: users and prompts are merged into an existing
document with the same ``_id`` (fields Scribe does not hold stay as Node.js has them),
consultations, transcripts and notes replace it whole, and anything new is inserted
(see ``render``).

The directory is what ``mongodump`` writes (``DIR/<database>/<collection>.bson`` plus
``<collection>.metadata.json``), so ``mongorestore`` takes it. ``mongorestore`` only
inserts, never updates a document that exists, so the directory is restored into a
staging database and ``DIR/apply-rollback.js`` (mongosh) merges it into the Node.js
database with ``$merge`` and deletes what was deleted in Scribe (README, "Cutover").
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import bson
from bson import ObjectId

from consultations.legacy.export.render import MERGED, Rendered
from consultations.legacy.mongo import connect, server_errors

# The order documents are applied in (parents first), as the importer reads them.
ORDER = ("users", "prompts", "consultations", "transcripts", "notes")
APPLY_SCRIPT = "apply-rollback.js"


class ExportError(Exception):
    """The target cannot be written (not a directory, an unreachable server, a failed write)."""


class ExportWriter(Protocol):
    description: str

    def write(self, rendered: list[Rendered]) -> None: ...

    def delete(self, collection: str, ids: list[ObjectId]) -> None: ...

    def read_back(self, collection: str, ids: list[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
        """The documents as they now are in the target (merged ones differ from what was sent)."""

    def close(self) -> None: ...


def _metadata(collection: str) -> dict[str, Any]:
    indexes: list[dict[str, Any]] = [{"v": 2, "key": {"_id": 1}, "name": "_id_"}]
    if collection == "users":
        indexes.append({"v": 2, "key": {"email": 1}, "name": "email_1", "unique": True})
    return {"indexes": indexes, "uuid": "", "collectionName": collection, "type": "collection"}


class DumpWriter:
    """Writes ``directory/<database>/<collection>.bson`` (concatenated BSON documents)."""

    def __init__(self, directory: str | Path, *, database: str = "scribe", staging: str | None = None) -> None:
        self.directory = Path(directory)
        self.database = database
        self.staging = staging or f"{database}_rollback"
        self.root = self.directory / database
        if self.directory.exists() and not self.directory.is_dir():
            raise ExportError(f"{self.directory} is not a directory")
        if self.root.is_dir() and any(self.root.glob("*.bson")):
            raise ExportError(f"{self.root} already holds an export; give an empty directory")
        self.description = str(self.root)
        self._handles: dict[str, BinaryIO] = {}
        self._deleted: dict[str, list[str]] = {}
        self.written: dict[str, int] = {}

    def write(self, rendered: list[Rendered]) -> None:
        for item in rendered:
            handle = self._handles.get(item.collection)
            if handle is None:
                self.root.mkdir(parents=True, exist_ok=True)
                handle = self._handles[item.collection] = (self.root / f"{item.collection}.bson").open("wb")
            handle.write(bson.encode(item.doc))
            self.written[item.collection] = self.written.get(item.collection, 0) + 1

    def delete(self, collection: str, ids: list[ObjectId]) -> None:
        self._deleted.setdefault(collection, []).extend(str(i) for i in ids)

    def read_back(self, collection: str, ids: list[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
        return {}  # not applied yet: what was written is all there is to know

    def close(self) -> None:
        for name, handle in self._handles.items():
            handle.close()
            (self.root / f"{name}.metadata.json").write_text(json.dumps(_metadata(name)))
        self._handles.clear()
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / APPLY_SCRIPT).write_text(self.apply_script())

    def apply_script(self) -> str:
        how = {name: ("merge" if name in MERGED else "replace") for name in ORDER}
        return (
            "// Apply a Scribe rollback export to the Node.js database (mongosh).\n"
            f"// 1. mongorestore --uri \"$NODE_URI\" --nsFrom '{self.database}.*' --nsTo '{self.staging}.*' "
            f"{self.directory}\n"
            f'// 2. mongosh "$NODE_URI" --file {self.directory / APPLY_SCRIPT}\n'
            "// users/prompts are merged (fields Scribe does not hold are kept), the rest replaced.\n"
            f"const target = {json.dumps(self.database)};\n"
            f"const staging = db.getSiblingDB({json.dumps(self.staging)});\n"
            f"const how = {json.dumps(how)};\n"
            f"const deleted = {json.dumps(self._deleted, sort_keys=True)};\n"
            "const present = staging.getCollectionNames();\n"
            "for (const [name, whenMatched] of Object.entries(how)) {\n"
            "  if (!present.includes(name)) continue;\n"
            '  staging.getCollection(name).aggregate([{$merge: {into: {db: target, coll: name}, on: "_id",\n'
            '    whenMatched: whenMatched, whenNotMatched: "insert"}}]);\n'
            "  print(`${name}: ${staging.getCollection(name).countDocuments()} written`);\n"
            "}\n"
            "for (const [name, ids] of Object.entries(deleted)) {\n"
            "  const result = db.getSiblingDB(target).getCollection(name)\n"
            "    .deleteMany({_id: {$in: ids.map((id) => ObjectId(id))}});\n"
            "  print(`${name}: ${result.deletedCount} deleted`);\n"
            "}\n"
            "staging.dropDatabase();\n"
        )


class LiveWriter:
    """Writes into a running MongoDB with pymongo.

    One upsert per document (``update_one`` with ``$set`` to merge, ``replace_one`` to
    replace), parents first: an export carries what changed since the last one, and each
    write stands alone, so a run that stops part-way leaves only whole documents and the
    next run writes the rest.
    """

    def __init__(self, database: Any, *, description: str = "", client: Any = None) -> None:
        self.database = database
        self.description = description or f"mongodb database {database.name}"
        self._client = client
        self.written: dict[str, int] = {}

    def write(self, rendered: list[Rendered]) -> None:
        for item in rendered:
            doc = item.doc
            collection = self.database[item.collection]
            with _server_errors():
                if item.collection in MERGED and not item.new:
                    fields = {key: value for key, value in doc.items() if key != "_id"}
                    collection.update_one({"_id": doc["_id"]}, {"$set": fields}, upsert=True)
                else:
                    collection.replace_one({"_id": doc["_id"]}, doc, upsert=True)
            self.written[item.collection] = self.written.get(item.collection, 0) + 1

    def delete(self, collection: str, ids: list[ObjectId]) -> None:
        if ids:
            with _server_errors():
                self.database[collection].delete_many({"_id": {"$in": list(ids)}})

    def read_back(self, collection: str, ids: list[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
        with _server_errors():
            return {doc["_id"]: doc for doc in self.database[collection].find({"_id": {"$in": list(ids)}})}

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _server_errors() -> AbstractContextManager[None]:
    """A server lost part-way is the target failing (``ExportError``), named without credentials."""
    return server_errors(ExportError)


def open_live_writer(uri: str, *, database: str | None = None, timeout_ms: int = 5000) -> LiveWriter:
    """Connect to ``uri`` (the database in its path, or ``database``) and check it answers."""
    client, db, description = connect(uri, database=database, timeout_ms=timeout_ms, error=ExportError)
    return LiveWriter(db, description=description, client=client)
