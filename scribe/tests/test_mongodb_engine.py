"""MongoDB settings without a server: one migration history, ObjectId keys, querysets compiled to MQL.

``scribe.testing.mongo_probe`` runs in a child process with MONGODB_URI set and
PyMongo's client and collection replaced by recording fakes; the real
django-mongodb-backend compiles Scribe's querysets and these tests read the MQL.
"""

from __future__ import annotations

import pytest
from bson import ObjectId, json_util

from scribe.testing.processes import run

CLINICIAN = ObjectId("64b7f0c2a1b2c3d4e5f60718")
CONSULTATION = ObjectId("64b7f0c2a1b2c3d4e5f60719")
TRANSCRIPT = ObjectId("64b7f0c2a1b2c3d4e5f6071a")


@pytest.fixture(scope="module")
def probe() -> dict:
    done = run(
        ["-m", "scribe.testing.mongo_probe"], DEBUG="true", MONGODB_URI="mongodb://localhost:27017/scribe_clinic"
    )
    assert done.returncode == 0, done.stderr
    return json_util.loads(done.stdout)


def calls(probe: dict, label: str) -> list[dict]:
    query = probe["queries"][label]
    assert query["error"] is None, query["error"]
    return [c for c in query["calls"] if c["op"] != "MongoClient"]


def test_it_selects_the_mongodb_backend_with_the_database_named_in_the_uri(probe):
    assert probe["engine"] == "django_mongodb_backend"
    assert probe["name"] == "scribe_clinic"
    assert probe["host"] == "mongodb://localhost:27017/scribe_clinic"
    assert probe["is_mongodb"] is True


def test_it_needs_no_new_migrations_under_mongodb(probe):
    assert probe["migration_changes"] == {}


def test_it_gives_every_model_an_objectid_primary_key(probe):
    keys = probe["primary_keys"]
    # Ours, the contrib apps', and the auto-created many-to-many through tables.
    for label in (
        "accounts.User",
        "consultations.Segment",
        "auth.Group",
        "auth.Permission",
        "contenttypes.ContentType",
        "admin.LogEntry",
        "accounts.User_groups",
        "auth.Group_permissions",
    ):
        assert label in keys
    not_objectid = {label: key for label, key in keys.items() if not key["objectid"] or key["column"] != "_id"}
    assert not_objectid == {}


def test_it_compiles_a_clinicians_consultation_page_to_one_aggregate(probe):
    (call,) = calls(probe, "consultation_page")
    assert call["collection"] == "consultations_consultation"
    assert call["op"] == "aggregate"
    pipeline = call["args"][0]
    assert pipeline[0] == {"$match": {"clinician_id": CLINICIAN}}
    assert {"$sort": {"started_at": -1, "_id": -1}} in pipeline
    assert pipeline[-2:] == [{"$skip": 20}, {"$limit": 20}]


def test_it_compiles_the_consultation_list_selector(probe):
    (call,) = calls(probe, "consultation_list_selector")
    pipeline = call["args"][0]
    assert call["collection"] == "consultations_consultation"
    text = json_util.dumps(pipeline)
    assert json_util.dumps({"clinician_id": CLINICIAN}) in text
    assert json_util.dumps({"status": "active"}) in text
    assert pipeline[-1] == {"$limit": 20}
    assert any("$sort" in stage and stage["$sort"].get("started_at") == -1 for stage in pipeline)


def test_it_finds_a_segment_by_transcript_and_seq_in_one_match(probe):
    (call,) = calls(probe, "segment_by_seq")
    assert call["collection"] == "consultations_segment"
    match = call["args"][0][0]["$match"]
    assert sorted(match["$and"], key=str) == sorted([{"seq": 3}, {"transcript_id": TRANSCRIPT}], key=str)
    assert probe["queries"]["segment_by_seq"]["result"] == 3


def test_it_compiles_a_conditional_update_to_one_update_many(probe):
    (call,) = calls(probe, "consultation_end")
    assert (call["collection"], call["op"]) == ("consultations_consultation", "update_many")
    criteria, update = call["args"]
    assert sorted(criteria["$and"], key=str) == sorted(
        [{"_id": CONSULTATION}, {"clinician_id": CLINICIAN}, {"status": "active"}], key=str
    )
    assert update[0]["$set"]["status"] == {"$literal": "ended"}
    assert "ended_at" in update[0]["$set"]
    assert probe["queries"]["consultation_end"]["result"] == 1  # matched_count, the "did I win" signal


def test_it_inserts_a_segment_and_gets_an_objectid_back(probe):
    (call,) = calls(probe, "segment_insert")
    assert (call["collection"], call["op"]) == ("consultations_segment", "insert_many")
    (document,) = call["args"][0]
    assert document["transcript_id"] == TRANSCRIPT
    assert document["seq"] == 2
    assert "_id" not in document or isinstance(document["_id"], ObjectId)
    assert ObjectId.is_valid(probe["queries"]["segment_insert"]["result"])


def test_it_turns_a_duplicate_key_into_integrity_error(probe):
    assert probe["queries"]["segment_duplicate"]["result"] == "IntegrityError"


def test_a_requests_audit_events_are_one_insert_of_ids_only(probe):
    (call,) = calls(probe, "audit_batch")
    assert (call["collection"], call["op"]) == ("audit_auditevent", "insert_many")
    documents = call["args"][0]
    assert [(d["model"], d["object_id"]) for d in documents] == [
        ("transcript", str(TRANSCRIPT)),
        ("consultation", str(CONSULTATION)),
    ]
    assert {d["user_id"] for d in documents} == {str(CLINICIAN)}
    assert all(d["at"] is not None and d["request_id"] == "req-1" for d in documents)
