"""A stand-in for ``pymongo.database.Database`` holding documents in memory.

It implements only the calls ``LiveReader`` makes, with pymongo's semantics, and
refuses anything else, so a reader that starts relying on another query shape
fails here instead of passing by accident. Documents come back as a fresh BSON
decode each time (``tz_aware=True``, as ``open_live_reader`` configures the client).
"""

from __future__ import annotations

from typing import Any

import bson
from bson.codec_options import CodecOptions

_CODEC = CodecOptions(tz_aware=True)


class FakeCollection:
    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self._raw = [bson.encode(doc) for doc in docs]
        self.queries: list[dict[str, Any]] = []

    def _docs(self) -> list[dict[str, Any]]:
        return [bson.decode(raw, codec_options=_CODEC) for raw in self._raw]

    def count_documents(self, filter: dict[str, Any]) -> int:
        assert filter == {}, f"unsupported filter {filter!r}"
        return len(self._raw)

    def find(self, filter: dict[str, Any] | None = None, *, sort=None, batch_size: int | None = None):
        filter = filter or {}
        self.queries.append(filter)
        docs = self._docs()
        if filter:
            assert set(filter) == {"_id"}, f"unsupported filter {filter!r}"
            assert set(filter["_id"]) == {"$in"}, f"unsupported filter {filter!r}"
            wanted = set(filter["_id"]["$in"])
            docs = [doc for doc in docs if doc["_id"] in wanted]
        if sort is not None:
            assert sort == [("_id", 1)], f"unsupported sort {sort!r}"
            docs.sort(key=lambda doc: doc["_id"])
        return iter(docs)


class FakeDatabase:
    def __init__(self, name: str, collections: dict[str, list[dict[str, Any]]]) -> None:
        self.name = name
        self._collections = {key: FakeCollection(docs) for key, docs in collections.items()}

    def list_collection_names(self) -> list[str]:
        return list(self._collections)

    def __getitem__(self, name: str) -> FakeCollection:
        # pymongo hands out an empty collection for any name; the reader checks names first.
        assert name in self._collections, f"reader asked for missing collection {name!r}"
        return self._collections[name]
