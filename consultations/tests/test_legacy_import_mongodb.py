"""On the MongoDB engine every imported document keeps its original ``_id`` as primary key,
and every reference between them is that ObjectId.

No MongoDB server exists here: ``consultations.tests.legacy_mongo_probe`` runs the real
``import_legacy`` command and the real django-mongodb-backend in a child process with
PyMongo's client and collection faked at the driver boundary, and reports every
document the backend handed to ``insert_many``.
"""

from __future__ import annotations

import pytest
from bson import ObjectId, json_util

from consultations.tests.legacy_support import MANIFEST, sample_docs
from scribe.testing.processes import run

SKIPPED_NOTE = next(a["id"] for a in MANIFEST["anomalies"] if a["kind"] == "dangling_reference")


@pytest.fixture(scope="module")
def inserted() -> dict[str, list[dict]]:
    done = run(
        ["-m", "consultations.tests.legacy_mongo_probe"],
        DEBUG="true",
        MONGODB_URI="mongodb://localhost:27017/scribe_clinic",
    )
    assert done.returncode == 0, done.stderr
    probe = json_util.loads(done.stdout)
    assert "Imported: 476 rows written." in probe["output"]
    return probe["inserted"]


def by_id(documents: list[dict]) -> dict[ObjectId, dict]:
    return {document["_id"]: document for document in documents}


@pytest.mark.parametrize(
    ("table", "collection"),
    [
        ("accounts_user", "users"),
        ("consultations_prompt", "prompts"),
        ("consultations_consultation", "consultations"),
        ("consultations_transcript", "transcripts"),
        ("consultations_note", "notes"),
    ],
)
def test_it_keeps_each_documents_original_id_as_its_primary_key(inserted, table, collection):
    rows = inserted[table]
    assert all(row["_id"] == ObjectId(row["legacy_id"]) for row in rows)

    expected = {doc["_id"] for doc in sample_docs()[collection]}
    if collection == "users":
        expected = {ObjectId(user["id"]) for user in MANIFEST["users"]}  # the case-duplicate joined its first
    if collection == "notes":
        expected.discard(ObjectId(SKIPPED_NOTE))
    assert set(by_id(rows)) == expected


def test_it_points_every_reference_at_the_original_ids(inserted):
    docs = {name: by_id(sample_docs()[name]) for name in ("consultations", "transcripts", "notes")}
    consultations = by_id(inserted["consultations_consultation"])
    transcripts = by_id(inserted["consultations_transcript"])

    for pk, row in consultations.items():
        assert row["clinician_id"] == docs["consultations"][pk]["clinician"]
    for pk, row in transcripts.items():
        assert row["consultation_id"] == docs["transcripts"][pk]["consultation"]
        assert row["consultation_id"] in consultations
    for row in inserted["consultations_note"]:
        legacy = docs["notes"][row["_id"]]
        assert (row["consultation_id"], row["transcript_id"]) == (legacy["consultation"], legacy["transcript"])
    assert {row["transcript_id"] for row in inserted["consultations_segment"]} <= set(transcripts)
    for row in inserted["consultations_summary"]:
        assert row["transcript_id"] == ObjectId(row["legacy_id"])
