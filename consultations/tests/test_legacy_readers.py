"""One reader interface, two sources: a mongodump directory and a live MongoDB (here a
stand-in ``Database`` at the pymongo boundary: no MongoDB server exists in the test run)."""

from __future__ import annotations

from io import StringIO

import pytest
from bson import ObjectId
from django.core.management import CommandError, call_command

from consultations.legacy.importer import LegacyImporter
from consultations.legacy.readers import COLLECTIONS, DumpReader, LiveReader, ReaderError, open_live_reader
from consultations.tests.legacy_support import SAMPLE_DB, SAMPLE_DUMP, canonical_database, sample_docs, wipe_database
from consultations.tests.legacy_support.fake_mongo import FakeDatabase


def _live() -> LiveReader:
    return LiveReader(FakeDatabase("scribe", sample_docs()))


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_it_reads_the_same_documents_from_a_dump_and_a_live_database(collection):
    dump, live = DumpReader(SAMPLE_DUMP), _live()

    dumped, served = list(dump.iter(collection)), list(live.iter(collection))

    assert dump.count(collection) == live.count(collection) == len(dumped) > 0
    assert sorted(dumped, key=lambda d: d["_id"]) == sorted(served, key=lambda d: d["_id"])
    assert [d["_id"] for d in served] == sorted(d["_id"] for d in served)  # live reads in _id order


def test_it_finds_documents_by_id_and_ignores_missing_ones():
    ids = [*[d["_id"] for d in sample_docs()["transcripts"]][3:9], ObjectId("0123456789abcdef01234567")]
    dump, live = DumpReader(SAMPLE_DUMP), _live()

    from_dump, from_live = dump.get_many("transcripts", ids), live.get_many("transcripts", ids)

    assert set(from_dump) == set(ids[:-1])
    assert from_dump == from_live
    assert from_dump[ids[0]]["_id"] == ids[0]


def test_it_treats_a_missing_collection_as_empty(tmp_path):
    db = FakeDatabase("scribe", {"users": []})
    live = LiveReader(db)
    (tmp_path / "users.bson").write_bytes(b"")
    dump = DumpReader(tmp_path)

    for reader in (live, dump):
        assert reader.count("notes") == 0
        assert list(reader.iter("notes")) == []
        assert reader.get_many("notes", [ObjectId()]) == {}


@pytest.mark.django_db
def test_it_imports_the_same_database_from_either_source():
    LegacyImporter(DumpReader(SAMPLE_DUMP)).run()
    from_dump = canonical_database()
    wipe_database()

    report = LegacyImporter(_live()).run()

    assert report.completed
    assert canonical_database() == from_dump


def test_it_accepts_the_dump_root_or_the_database_directory():
    assert DumpReader(SAMPLE_DUMP).root == DumpReader(SAMPLE_DB).root == SAMPLE_DB


def test_it_refuses_a_truncated_dump_file(tmp_path):
    (tmp_path / "users.bson").write_bytes((SAMPLE_DB / "users.bson").read_bytes()[:-10])

    with pytest.raises(ReaderError, match="truncated"):
        list(DumpReader(tmp_path).iter("users"))


def test_it_reports_an_unreachable_server_without_its_credentials():
    with pytest.raises(ReaderError) as error:
        open_live_reader("mongodb://admin:s3cret@127.0.0.1:9/scribe", timeout_ms=200)

    assert "cannot reach MongoDB at 127.0.0.1:9" in str(error.value)
    assert "s3cret" not in str(error.value)


def test_it_needs_a_database_name_for_a_live_source():
    with pytest.raises(CommandError, match="names no database") as error:
        call_command("import_legacy", "--uri", "mongodb://127.0.0.1:9", stdout=StringIO(), stderr=StringIO())
    assert error.value.returncode == 1


def test_it_turns_a_server_lost_part_way_into_a_reader_error():
    from pymongo.errors import AutoReconnect

    from consultations.tests.legacy_support.fake_mongo import FakeCollection

    class DroppingCollection(FakeCollection):
        def find(self, *args, **kwargs):
            docs = super().find(*args, **kwargs)
            yield next(docs)
            raise AutoReconnect("connection reset by peer")

    database = FakeDatabase("scribe", sample_docs())
    database._collections["notes"] = DroppingCollection(sample_docs()["notes"])
    reader = LiveReader(database)

    with pytest.raises(ReaderError, match="the MongoDB server failed: AutoReconnect"):
        list(reader.iter("notes"))
    with pytest.raises(ReaderError):
        reader.get_many("notes", [d["_id"] for d in sample_docs()["notes"]])
