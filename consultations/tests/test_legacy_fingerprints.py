from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bson import ObjectId
from bson.int64 import Int64

from consultations.legacy.fingerprints import scribe_fingerprint, source_fingerprint
from consultations.models import LegacyDocument
from consultations.tests.factories import consultation_for


def test_it_ignores_key_order_int_width_and_date_awareness():
    oid = ObjectId("68e226a411e81818f8c99d5d")
    when = datetime(2025, 10, 1, 9, 30, 0, 123000, tzinfo=UTC)
    a = {"_id": oid, "body": "x", "created_at": when, "__v": 0, "patient": {"name": "A", "age": 3}}
    b = {
        "patient": {"age": 3, "name": "A"},
        "__v": Int64(0),
        "created_at": when.replace(tzinfo=None),
        "body": "x",
        "_id": oid,
    }
    assert source_fingerprint(a) == source_fingerprint(b)
    assert len(source_fingerprint(a)) == 64


def test_it_changes_when_any_stored_value_changes():
    doc = {"_id": ObjectId(), "body": "x", "tags": ["a", "b"]}
    assert source_fingerprint(doc) != source_fingerprint({**doc, "body": "y"})
    assert source_fingerprint(doc) != source_fingerprint({**doc, "tags": ["b", "a"]})
    assert source_fingerprint(doc) != source_fingerprint({**doc, "extra": None})


@pytest.mark.django_db
def test_it_fingerprints_a_consultation_by_its_legacy_relevant_state(clinician):
    consultation = consultation_for(clinician)
    before = scribe_fingerprint("consultations", consultation)
    consultation.summary = "closing words are Scribe-only"
    assert scribe_fingerprint("consultations", consultation) == before
    consultation.status = "ended"
    assert scribe_fingerprint("consultations", consultation) != before
    assert scribe_fingerprint("notes", consultation.notes.model(body="a")) != scribe_fingerprint(
        "notes", consultation.notes.model(body="b")
    )


@pytest.mark.django_db
def test_it_keeps_one_row_per_legacy_document():
    from django.db import IntegrityError

    LegacyDocument.objects.create(
        collection="notes", legacy_id="a" * 24, source_fingerprint="0" * 64, scribe_fingerprint="1" * 64
    )
    with pytest.raises(IntegrityError):
        LegacyDocument.objects.create(
            collection="notes", legacy_id="a" * 24, source_fingerprint="0" * 64, scribe_fingerprint="1" * 64
        )
