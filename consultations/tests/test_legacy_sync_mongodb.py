"""Import and sync on the MongoDB engine: the same results, with every write conditional.

No MongoDB server exists here: ``consultations.tests.legacy_sync_mongo_probe`` runs the
real ``import_legacy`` (an import, a sync of the scripted changes, a second sync) on the
real django-mongodb-backend in a child process, with PyMongo faked at the driver boundary
by collections that keep what is inserted and answer the backend's queries from it.
"""

from __future__ import annotations

import pytest
from bson import ObjectId, json_util

from consultations.tests.legacy_support.node_changes import NEW_CONSULTATION, _picks, script
from consultations.tests.legacy_support.node_dump import changed_node_dump, node_docs
from scribe.core import crypto
from scribe.testing.processes import run

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySUQiOiJ4In0.c2lnbmF0dXJl"


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    directory = tmp_path_factory.mktemp("mongo-sync")
    changed_node_dump(directory / "before")
    changed_node_dump(directory / "after", script(TOKEN))
    done = run(
        ["-m", "consultations.tests.legacy_sync_mongo_probe", str(directory)],
        timeout=600,
        DEBUG="true",
        MONGODB_URI="mongodb://localhost:27017/scribe_clinic",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json_util.loads(done.stdout)


def _rows(probe, table):
    return probe["store"].get(table, [])


def test_it_records_the_ledger_with_object_ids_on_import(probe):
    imported, _, _ = probe["runs"]
    assert imported["status"] == 0
    assert "Fingerprints recorded for 222 documents" in imported["output"]
    ledger = _rows(probe, "consultations_legacydocument")
    assert all(isinstance(row["_id"], ObjectId) for row in ledger)
    assert len({(row["collection"], row["legacy_id"]) for row in ledger}) == len(ledger)
    for row in _rows(probe, "consultations_consultation"):
        assert row["_id"] == ObjectId(row["legacy_id"])  # generation-1 ones too


def test_it_syncs_the_scripted_changes(probe):
    _, synced, _ = probe["runs"]
    picks = _picks(node_docs())
    notes = {row["legacy_id"]: row for row in _rows(probe, "consultations_note")}
    prompts = {row["legacy_id"]: row for row in _rows(probe, "consultations_prompt")}
    consultations = {row["legacy_id"]: row for row in _rows(probe, "consultations_consultation")}

    assert synced["status"] == 0
    assert "Synced:" in synced["output"]
    # Stored encrypted (issue 14); the probe ran with the same development key.
    assert crypto.decrypt(notes[str(picks["edited_note"]["_id"])]["body"]) == "Edited in Node.js after the import"
    assert str(picks["deleted_note"]["_id"]) not in notes
    assert prompts[str(picks["prompt"]["_id"])]["is_deleted"] is True
    assert consultations[str(picks["ending"]["_id"])]["status"] == "ended"
    assert consultations[str(NEW_CONSULTATION)]["_id"] == NEW_CONSULTATION
    saved = next(r for r in _rows(probe, "consultations_transcript") if r["legacy_id"] == str(picks["saved"]["_id"]))
    assert crypto.decrypt(saved["edited_text"]) == "Clinician: How is the cough?\nPatient: Better, thank you."


def test_every_sync_write_is_conditional_on_what_it_read(probe):
    _, synced, _ = probe["runs"]
    writes = synced["writes"]
    updates = [w for w in writes if w["op"] == "update_many"]
    deletes = [w for w in writes if w["op"] == "delete_many"]

    assert updates
    for write in updates:
        guards = {key for clause in write["filter"].get("$and", [write["filter"]]) for key in clause}
        assert "_id" in guards
        assert guards - {"_id"}, write  # never a blind overwrite by primary key alone
        if write["collection"] == "consultations_legacydocument":
            assert {"source_fingerprint", "scribe_fingerprint"} <= guards
    note_deletes = [w for w in deletes if w["collection"] == "consultations_note"]
    assert [w["deleted"] for w in note_deletes] == [1]
    # Guarded by updated_at: the body is encrypted, and ciphertexts match no equality lookup.
    assert "updated_at" in {key for clause in note_deletes[0]["filter"]["$and"] for key in clause}


def test_a_second_sync_writes_nothing_on_mongodb(probe):
    _, _, again = probe["runs"]

    assert again["status"] == 0
    # Only the run's own audit event (audit trail: one per import run), no clinical write.
    assert [w for w in again["writes"] if w["collection"] != "audit_auditevent"] == []
    assert [w["count"] for w in again["writes"] if w["collection"] == "audit_auditevent"] == [1]
    assert "Nothing changed" in again["output"]
