"""export_legacy on the MongoDB engine, into a live (``--uri``) Node.js database, with no server.

``consultations.tests.legacy_export_mongo_probe`` runs the real import and export commands
and the real django-mongodb-backend in a child process, both databases being mongomock's
in-memory ones put in at the driver boundary.
"""

from __future__ import annotations

import pytest
from bson import ObjectId, json_util

from scribe.testing.processes import run


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    done = run(
        ["-m", "consultations.tests.legacy_export_mongo_probe"],
        timeout=300,
        DEBUG="true",
        MONGODB_URI="mongodb://localhost:27017/scribe_clinic",
        PROBE_TMP=str(tmp_path_factory.mktemp("probe")),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json_util.loads(done.stdout)


def test_a_record_made_in_scribe_keeps_its_objectid_primary_key_as_its_node_id(probe):
    consultation, transcript = probe["new_consultation"], probe["new_transcript"]
    assert consultation["legacy_id"] == str(consultation["pk"])
    assert transcript["legacy_id"] == str(transcript["pk"])
    assert probe["legacy_rows"] == ["consultations"]


def test_it_writes_generation_3_documents_into_the_live_node_database(probe):
    consultation, transcript = probe["node_consultation"], probe["node_transcript"]
    assert consultation["transcript"] == probe["new_transcript"]["pk"]
    assert consultation["patient"] == {"name": "Ada Lovelace"}
    assert consultation["status"] == "active"
    assert transcript["consultation"] == probe["new_consultation"]["pk"]
    assert transcript["transcript_text"] == ""
    assert probe["node_edited_note"]["body"] == "Reviewed on MongoDB."
    assert probe["first"]["counts"]["consultations"]["created"] == 1


def test_it_deletes_from_node_what_was_deleted_in_scribe(probe):
    assert probe["node_deleted_note"] is None
    assert probe["first"]["deleted"] == {"notes": [probe["deleted_note"]]}
    assert ObjectId.is_valid(probe["deleted_note"])


def test_a_second_export_writes_nothing(probe):
    assert probe["second"]["documents_written"] == 0
    assert all(counts["created"] == counts["changed"] == 0 for counts in probe["second"]["counts"].values())
