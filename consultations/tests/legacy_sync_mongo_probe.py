"""Import, then sync, on the MongoDB engine with no server:
``MONGODB_URI=... python -m consultations.tests.legacy_sync_mongo_probe DIR``.

Like ``legacy_mongo_probe`` (PyMongo faked at the driver boundary, the real
``import_legacy`` command and the real django-mongodb-backend running), but the fake
collections keep what is inserted and answer the backend's queries from it: a small
evaluator for the MQL the backend emits here (``$match`` with equality, ``$in``, ``$exists``,
``$and``, ``$or``, ``$expr`` of ``$eq``/``$in``; ``$project``; ``$addFields``; ``$sort``; ``$limit``; ``$skip``; ``$lookup`` and
``$unwind`` as ``select_related`` writes them; ``update_many`` with a ``$set`` stage;
``delete_many``). An operator it does not know raises, so a query the probe cannot
answer fails the test instead of answering wrongly.

Runs: import ``DIR/before``, sync ``DIR/after``, sync ``DIR/after`` again. Prints (as
extended JSON) the final collections and, per run, every write the backend made.
"""

from __future__ import annotations

import os
import sys
from io import StringIO
from typing import Any

from bson import ObjectId, json_util
from pymongo.errors import DuplicateKeyError

from scribe.testing import mongo_probe

STORE: dict[str, list[dict]] = {}
# Unique fields per collection (what the migrations' unique indexes enforce on a server).
UNIQUE = {
    "consultations_legacydocument": [("collection", "legacy_id")],
    "consultations_summary": [("transcript_id", "version")],
    "consultations_segment": [("transcript_id", "seq")],
    "accounts_revokedtoken": [("key",)],
}
WRITES: list[dict] = []


def _get(doc: dict, path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _value(doc: dict, expression: Any) -> Any:
    if isinstance(expression, str) and expression.startswith("$"):
        return _get(doc, expression[1:])
    if isinstance(expression, dict) and set(expression) == {"$literal"}:
        return expression["$literal"]
    if isinstance(expression, dict) and any(k.startswith("$") for k in expression):
        raise NotImplementedError(f"expression {expression}")
    return expression


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "$eq":
        return left == right
    if op == "$ne":
        return left != right
    if op == "$in":
        return left in right
    if op == "$nin":
        return left not in right
    if left is None or right is None:
        return False
    return {"$gt": left > right, "$gte": left >= right, "$lt": left < right, "$lte": left <= right}[op]


def _matches(doc: dict, criteria: dict) -> bool:
    for key, condition in criteria.items():
        if key == "$and":
            if not all(_matches(doc, c) for c in condition):
                return False
        elif key == "$or":
            if not any(_matches(doc, c) for c in condition):
                return False
        elif key == "$expr":
            [(op, (left, right))] = condition.items()
            if op not in ("$eq", "$in"):
                raise NotImplementedError(f"$expr operator {op}")
            if not _compare(
                _value(doc, left), op, [_value(doc, r) for r in right] if op == "$in" else _value(doc, right)
            ):
                return False
        elif key.startswith("$"):
            raise NotImplementedError(f"filter operator {key}: {criteria}")
        elif isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
            for op, operand in condition.items():
                if op == "$exists":
                    present = _get(doc, key) is not None or key in doc
                    if present != bool(operand):
                        return False
                    continue
                if op not in ("$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte"):
                    raise NotImplementedError(f"filter operator {op}")
                if not _compare(_get(doc, key), op, operand):
                    return False
        elif _get(doc, key) != condition:
            return False
    return True


def _sort_key(value: Any) -> tuple:
    return (value is not None, str(type(value)), value if value is not None else 0)


def _run(pipeline: list[dict], docs: list[dict]) -> list[dict]:
    for stage in pipeline:
        [(name, spec)] = stage.items()
        if name == "$match":
            docs = [d for d in docs if _matches(d, spec)]
        elif name == "$project":
            projected = []
            for d in docs:
                row = {"_id": d.get("_id")} if spec.get("_id", 1) else {}
                for key, how in spec.items():
                    if key != "_id":
                        row[key] = _get(d, key) if how in (1, True) else _value(d, how)
                projected.append(row)
            docs = projected
        elif name in ("$addFields", "$set"):
            docs = [
                {**d, **{k: _value(d, v) for k, v in spec.items()}}
                if not any(isinstance(v, dict) and "$cond" in v for v in spec.values())
                else _lookup_default(d, spec)
                for d in docs
            ]
        elif name == "$sort":
            for key, direction in reversed(list(spec.items())):
                docs = sorted(docs, key=lambda d, k=key: _sort_key(_get(d, k)), reverse=direction == -1)
        elif name == "$limit":
            docs = docs[:spec]
        elif name == "$skip":
            docs = docs[spec:]
        elif name == "$lookup":
            if spec.get("pipeline"):
                raise NotImplementedError("$lookup with a pipeline")
            foreign = STORE.get(spec["from"], [])
            docs = [
                {**d, spec["as"]: [f for f in foreign if f.get(spec["foreignField"]) == d.get(spec["localField"])]}
                for d in docs
            ]
        elif name == "$unwind":
            path = spec if isinstance(spec, str) else spec["path"]
            field = path[1:]
            docs = [{**d, field: item} for d in docs for item in (d.get(field) or [])]
        elif name == "$count":
            docs = [{spec: len(docs)}]
        else:
            raise NotImplementedError(f"stage {name}")
    return docs


def _lookup_default(doc: dict, spec: dict) -> dict:
    # select_related's "[{}] when nothing joined" so the $unwind keeps the row.
    row = dict(doc)
    for key in spec:
        row[key] = doc.get(key) or [{}]
    return row


class MemoryCollection(mongo_probe.FakeCollection):
    def _rows(self) -> list[dict]:
        return STORE.setdefault(self.name, [])

    def aggregate(self, pipeline, session=None, **kwargs):
        return iter([dict(d) for d in _run(pipeline, list(self._rows()))])

    def _check_unique(self, candidate: dict, ignore: dict | None = None) -> None:
        for fields in UNIQUE.get(self.name, []):
            key = tuple(candidate.get(f) for f in fields)
            for row in self._rows():
                if row is not ignore and tuple(row.get(f) for f in fields) == key:
                    raise DuplicateKeyError(f"E11000 duplicate key error collection: {self.name}")
        if candidate.get("legacy_id") is not None:
            for row in self._rows():
                if (
                    row is not ignore
                    and row.get("legacy_id") == candidate["legacy_id"]
                    and self.name != ("consultations_legacydocument")
                ):
                    raise DuplicateKeyError(f"E11000 duplicate key error collection: {self.name} legacy_id")

    def insert_many(self, documents, session=None, **kwargs):
        for document in documents:
            document.setdefault("_id", ObjectId())
            self._check_unique(document)
            self._rows().append(dict(document))
        WRITES.append({"op": "insert_many", "collection": self.name, "count": len(documents)})
        return mongo_probe.FakeResult(inserted_ids=[d["_id"] for d in documents])

    def insert_one(self, document, session=None, **kwargs):
        self.insert_many([document])
        return mongo_probe.FakeResult(inserted_id=document["_id"])

    def update_many(self, criteria, update, session=None, **kwargs):
        matched = [d for d in self._rows() if _matches(d, criteria)]
        for row in matched:
            for stage in update if isinstance(update, list) else [update]:
                [(name, spec)] = stage.items()
                if name != "$set":
                    raise NotImplementedError(f"update stage {name}")
                changed = {**row, **{k: _value(row, v) for k, v in spec.items()}}
                self._check_unique(changed, ignore=row)
                row.update(changed)
        WRITES.append({"op": "update_many", "collection": self.name, "filter": criteria, "matched": len(matched)})
        return mongo_probe.FakeResult(matched_count=len(matched), modified_count=len(matched))

    def delete_many(self, criteria, session=None, **kwargs):
        rows = self._rows()
        keep = [d for d in rows if not _matches(d, criteria)]
        deleted = len(rows) - len(keep)
        rows[:] = keep
        WRITES.append({"op": "delete_many", "collection": self.name, "filter": criteria, "deleted": deleted})
        return mongo_probe.FakeResult(deleted_count=deleted)


def main() -> None:
    assert os.environ.get("MONGODB_URI"), "run with MONGODB_URI set"
    import django_mongodb_backend.base as backend_base

    backend_base.MongoClient = mongo_probe.FakeMongoClient
    backend_base.Collection = MemoryCollection

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scribe.settings")
    import django

    django.setup()

    from django.core.management import CommandError, call_command

    directory = sys.argv[1]
    runs = []
    for args in (
        ["--dump", f"{directory}/before"],
        ["--sync", "--dump", f"{directory}/after"],
        ["--sync", "--dump", f"{directory}/after"],
    ):
        out = StringIO()
        start = len(WRITES)
        try:
            call_command("import_legacy", *args, "--allow-skips", "--progress", "off", stdout=out, stderr=StringIO())
            status = 0
        except CommandError as exc:
            status = exc.returncode
        runs.append({"args": args, "status": status, "output": out.getvalue(), "writes": WRITES[start:]})
    sys.stdout.write(json_util.dumps({"runs": runs, "store": STORE}))


if __name__ == "__main__":
    main()
