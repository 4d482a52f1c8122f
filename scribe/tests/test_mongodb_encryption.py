"""Field encryption on MongoDB without a server (issue 14): ``scribe.testing.mongo_crypto_probe``
runs the real django-mongodb-backend against recording fakes; these tests read the MQL."""

from __future__ import annotations

import json

import pytest
from bson import json_util

from scribe.testing.processes import run


@pytest.fixture(scope="module")
def probe() -> dict:
    done = run(
        ["-m", "scribe.testing.mongo_crypto_probe"],
        DEBUG="true",
        MONGODB_URI="mongodb://localhost:27017/scribe_clinic",
    )
    assert done.returncode == 0, done.stderr
    return json_util.loads(done.stdout)


def _mql(probe: dict, label: str) -> str:
    query = probe["queries"][label]
    assert query["error"] is None, query["error"]
    return json.dumps(json_util.loads(json_util.dumps(query["calls"])), default=str)


@pytest.mark.parametrize("label", ["consultation_start", "segment_insert", "summary_insert", "note_insert"])
def test_it_sends_only_ciphertext_to_mongodb(probe, label):
    mql = _mql(probe, label)
    assert "insert_many" in mql
    assert probe["prefix"] in mql
    for plain in probe["plain"]:
        assert plain not in mql, f"{plain!r} sent in plain"


def test_it_searches_the_blind_index_by_name_prefix_and_nhs_number(probe):
    mql = _mql(probe, "search")
    assert "patient_name" in mql
    assert probe["token_nhs"] in mql
    assert "zebedee" not in mql.lower()
    assert "9434765919" not in mql


def test_it_reads_a_stored_document_back_plain(probe):
    assert probe["queries"]["read_back"]["result"] == {
        "name": "Zebedee Quartermaine",
        "age": 47,
        "nhs_number": "943 476 5919",
    }


def test_it_compiles_a_rotation_step_to_one_conditional_update_many(probe):
    (call,) = [c for c in probe["queries"]["rotation_update"]["calls"] if c["op"] != "MongoClient"]
    criteria, update = call["args"]
    assert call["op"] == "update_many"
    assert {"text"} <= {k for c in criteria["$and"] for k in c}  # matched on the value read
    assert "enc1:00000000:new" in json.dumps(update, default=str)
