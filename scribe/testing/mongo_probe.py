"""Run under MONGODB_URI with no server: ``python -m scribe.testing.mongo_probe``.

PyMongo's ``MongoClient`` and ``Collection`` (as django-mongodb-backend imports
them) are replaced by fakes that record every call and answer canned results,
so the real backend compiles Scribe's querysets to MQL and we can read it. Prints
one JSON document (bson's extended JSON) for ``scribe/tests/test_mongodb_engine.py``.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime

from bson import ObjectId, json_util

CALLS: list[dict] = []
# Canned answers, consumed in order by aggregate(); empty when exhausted.
AGGREGATE_ANSWERS: list[list[dict]] = []


class FakeResult:
    def __init__(self, **fields) -> None:
        self.__dict__.update(fields)


class FakeCollection:
    def __init__(self, database, name, **kwargs) -> None:
        self.database = database
        self.name = name

    def _record(self, op: str, *args) -> None:
        CALLS.append({"collection": self.name, "op": op, "args": list(args)})

    def aggregate(self, pipeline, session=None, **kwargs):
        self._record("aggregate", pipeline)
        return iter(AGGREGATE_ANSWERS.pop(0) if AGGREGATE_ANSWERS else [])

    def insert_many(self, documents, session=None, **kwargs):
        from pymongo.errors import DuplicateKeyError

        self._record("insert_many", documents)
        if self.name == "consultations_segment" and any(d.get("seq") == 1 for d in documents):
            raise DuplicateKeyError("E11000 duplicate key error collection: consultations_segment")
        return FakeResult(inserted_ids=[ObjectId() for _ in documents])

    def update_many(self, criteria, update, session=None, **kwargs):
        self._record("update_many", criteria, update)
        return FakeResult(matched_count=1, modified_count=1)

    def delete_many(self, criteria, session=None, **kwargs):
        self._record("delete_many", criteria)
        return FakeResult(deleted_count=0)


class FakeDatabase:
    def __init__(self, client, name: str) -> None:
        self.client = client
        self.name = name

    def get_collection(self, name, **kwargs):
        return FakeCollection(self, name)

    def list_collection_names(self, **kwargs):
        return []


class FakeMongoClient:
    def __init__(self, host=None, **kwargs) -> None:
        CALLS.append({"op": "MongoClient", "args": [host]})

    def __getitem__(self, name: str) -> FakeDatabase:
        return FakeDatabase(self, name)

    def server_info(self) -> dict:
        return {"versionArray": [7, 0, 0, 0], "version": "7.0.0"}

    def close(self) -> None:
        pass


def main() -> None:
    assert os.environ.get("MONGODB_URI"), "run with MONGODB_URI set"
    import django_mongodb_backend.base as backend_base

    backend_base.MongoClient = FakeMongoClient
    backend_base.Collection = FakeCollection

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scribe.settings")
    import django

    django.setup()

    from django.apps import apps
    from django.conf import settings
    from django.db import IntegrityError
    from django.db.migrations.autodetector import MigrationAutodetector
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.state import ProjectState
    from django_mongodb_backend.fields import ObjectIdAutoField

    from accounts.models import User
    from consultations.models import Consultation, Segment
    from consultations.selectors import consultation_list

    out: dict = {
        "engine": settings.DATABASES["default"]["ENGINE"],
        "name": settings.DATABASES["default"]["NAME"],
        "host": settings.DATABASES["default"]["HOST"],
        "is_mongodb": settings.IS_MONGODB,
    }

    loader = MigrationLoader(None, ignore_no_migrations=True)
    detector = MigrationAutodetector(loader.project_state(), ProjectState.from_apps(apps))
    out["migration_changes"] = {app: [m.name for m in ms] for app, ms in detector.changes(graph=loader.graph).items()}

    out["primary_keys"] = {
        model._meta.label: {
            "objectid": isinstance(model._meta.pk, ObjectIdAutoField),
            "class": type(model._meta.pk).__name__,
            "column": model._meta.pk.column,
        }
        for model in apps.get_models(include_auto_created=True)
    }

    clinician = User(pk=ObjectId("64b7f0c2a1b2c3d4e5f60718"), email="dr@example.nhs.uk", role="clinician")
    consultation_id = ObjectId("64b7f0c2a1b2c3d4e5f60719")
    transcript_id = ObjectId("64b7f0c2a1b2c3d4e5f6071a")
    queries: dict = {}

    def run(label: str, action) -> None:
        start = len(CALLS)
        try:
            result = action()
            error = None
        except Exception as exc:  # reported to the test, which asserts on it
            result, error = None, f"{type(exc).__module__}.{type(exc).__name__}"
        queries[label] = {"calls": CALLS[start:], "result": result, "error": error}

    run(
        "consultation_page",
        lambda: len(list(Consultation.objects.filter(clinician=clinician).order_by("-started_at", "-pk")[20:40])),
    )
    run("consultation_list_selector", lambda: len(list(consultation_list(user=clinician, status="active")[:20])))
    AGGREGATE_ANSWERS.append(
        [
            {
                "_id": ObjectId(),
                "transcript_id": transcript_id,
                "seq": 3,
                "text": "t",
                "speaker": "unknown",
                "start_ms": None,
                "end_ms": None,
                "created_at": datetime(2025, 1, 1),
            }
        ]  # PyMongo returns naive UTC
    )
    run("segment_by_seq", lambda: Segment.objects.get(transcript_id=transcript_id, seq=3).seq)
    run(
        "consultation_end",
        lambda: Consultation.objects.filter(pk=consultation_id, clinician=clinician, status="active").update(
            status="ended", ended_at=datetime(2025, 1, 1, 12, tzinfo=UTC)
        ),
    )
    run("segment_insert", lambda: str(Segment.objects.create(transcript_id=transcript_id, seq=2, text="hello").pk))

    def duplicate_segment():
        try:
            Segment.objects.create(transcript_id=transcript_id, seq=1, text="again")
        except IntegrityError:
            return "IntegrityError"
        return "no error"

    run("segment_duplicate", duplicate_segment)

    def audit_batch():
        # What AuditMiddleware does at the end of a request: one insert of the batch.
        from audit.services import Caller, audit_batch_begin, audit_batch_end, audit_event_build, audit_record

        caller = Caller(user_id=str(clinician.pk), role="clinician", ip="10.0.0.1", request_id="req-1", source="probe")
        token = audit_batch_begin()
        audit_record(caller=caller, model="transcript", action="read", object_id=transcript_id)
        extra = audit_event_build(caller=caller, model="consultation", action="read", object_id=consultation_id)
        audit_batch_end(token, extra=[extra])

    run("audit_batch", audit_batch)
    out["queries"] = queries
    sys.stdout.write(json_util.dumps(out, json_options=json_util.RELAXED_JSON_OPTIONS))


if __name__ == "__main__":
    main()
