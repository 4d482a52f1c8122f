"""Rules for messier dumps than the sample: each repaired or skipped document is reported
with its collection, _id and reason, and nothing half-made reaches the database."""

from __future__ import annotations

import pytest
from bson import ObjectId

from accounts.models import User
from accounts.tests.factories import UserFactory
from consultations.models import Consultation, Note, Transcript
from consultations.tests.legacy_support import modified_dump, run_import

pytestmark = pytest.mark.django_db

PRIYA = ObjectId("6b030b30a6a5ecbbd9af7a23")


def _doc(docs, collection, hex_id):
    return next(d for d in docs[collection] if str(d["_id"]) == hex_id)


def _issue(report, collection, hex_id):
    found = [i for i in report["issues"] if i["collection"] == collection and i["id"] == hex_id]
    assert found, (collection, hex_id, report["issues"])
    return found


def test_it_applies_the_stated_rule_to_each_kind_of_mess(tmp_path):
    ids = {}

    def mess(docs):
        consultations, transcripts = docs["consultations"], docs["transcripts"]
        # A user without an email: nobody could log in.
        docs["users"].append({"_id": ObjectId("6b030b30a6a5ecbbd9af7f01"), "username": "ghost", "password": "x"})
        # A consultation whose clinician does not exist: skipped, and so is its transcript.
        consultations[3]["clinician"] = ObjectId("6b030b30a6a5ecbbd9af7f02")
        transcripts[3]["clinician"] = ObjectId("6b030b30a6a5ecbbd9af7f02")
        ids["orphaned"] = str(consultations[3]["_id"]), str(transcripts[3]["_id"])
        # A consultation naming a missing transcript, while its transcript names it back.
        consultations[4]["transcript"] = ObjectId("6b030b30a6a5ecbbd9af7f03")
        ids["relinked"] = str(consultations[4]["_id"]), str(transcripts[4]["_id"])
        # A consultation with no transcript at all: given an empty one.
        lonely = {**consultations[5], "_id": ObjectId("6b030b30a6a5ecbbd9af7f04"), "transcript": None, "notes": []}
        consultations.append(lonely)
        # Missing started_at and status.
        del consultations[6]["started_at"]
        del consultations[6]["status"]
        ids["undated"] = str(consultations[6]["_id"])
        # A dangling prompt_used is dropped.
        transcripts[7]["prompt_used"] = ObjectId("6b030b30a6a5ecbbd9af7f05")
        ids["bad_prompt"] = str(transcripts[7]["_id"])
        # A note whose consultation is gone but whose transcript was imported: attached to it.
        note = docs["notes"][0]
        note["consultation"] = ObjectId("6b030b30a6a5ecbbd9af7f06")
        ids["note"] = str(note["_id"]), str(note["transcript"])

    dump = modified_dump(tmp_path, mess)
    report, _, status = run_import("--dump", str(dump), tmp_path=tmp_path)

    assert status == 3
    [issue] = _issue(report, "users", "6b030b30a6a5ecbbd9af7f01")
    assert (issue["action"], issue["rule"]) == ("skipped", "missing_field")
    assert not User.objects.filter(legacy_id="6b030b30a6a5ecbbd9af7f01").exists()

    consultation_id, transcript_id = ids["orphaned"]
    assert _issue(report, "consultations", consultation_id)[0]["action"] == "skipped"
    assert _issue(report, "transcripts", transcript_id)[0]["action"] == "skipped"
    assert not Consultation.objects.filter(legacy_id=consultation_id).exists()
    assert not Transcript.objects.filter(legacy_id=transcript_id).exists()

    consultation_id, transcript_id = ids["relinked"]
    assert _issue(report, "consultations", consultation_id)[0]["rule"] == "dangling_reference"
    assert Transcript.objects.get(legacy_id=transcript_id).consultation.legacy_id == consultation_id

    [issue] = _issue(report, "consultations", "6b030b30a6a5ecbbd9af7f04")
    assert issue["rule"] == "missing_transcript"
    empty = Transcript.objects.get(consultation__legacy_id="6b030b30a6a5ecbbd9af7f04")
    assert empty.legacy_id is None
    assert empty.segments.count() == 0

    undated = Consultation.objects.get(legacy_id=ids["undated"])
    assert undated.started_at == undated.transcript.created_at
    assert undated.status == "ended"
    assert {i["rule"] for i in _issue(report, "consultations", ids["undated"])} == {"missing_field"}

    assert _issue(report, "transcripts", ids["bad_prompt"])[0]["rule"] == "dangling_reference"
    assert Transcript.objects.get(legacy_id=ids["bad_prompt"]).prompt_used is None

    note_id, transcript_id = ids["note"]
    assert _issue(report, "notes", note_id)[0]["action"] == "repaired"
    assert Note.objects.get(legacy_id=note_id).transcript.legacy_id == transcript_id

    assert not Consultation.objects.filter(transcript__isnull=True).exists()
    for collection, counts in report["collections"].items():
        skipped = [i for i in report["issues"] if i["collection"] == collection and i["action"] == "skipped"]
        assert counts["skipped"] == len(skipped), collection


def test_it_never_merges_into_an_account_made_outside_the_import(tmp_path):
    UserFactory(email="dr_ravi2@example-clinic.nhs.uk", role="clinician")

    report, _, _ = run_import("--dump", str(modified_dump(tmp_path)), "--allow-skips", tmp_path=tmp_path)

    [issue] = _issue(report, "users", "6b030b30a6a5ecbbd9af7a25")
    assert (issue["action"], issue["rule"]) == ("skipped", "email_taken")
    assert User.objects.get(email="dr_ravi2@example-clinic.nhs.uk").legacy_id is None
    # Dr Ravi's records are not handed to the other account: they are reported instead.
    assert not Consultation.objects.filter(clinician__email="dr_ravi2@example-clinic.nhs.uk").exists()
    assert report["collections"]["consultations"]["skipped"] == 9


def test_it_makes_a_roleless_owner_of_records_a_clinician(tmp_path):
    def drop_role(docs):
        del _doc(docs, "users", str(PRIYA))["role"]

    report, _, _ = run_import("--dump", str(modified_dump(tmp_path, drop_role)), "--allow-skips", tmp_path=tmp_path)

    assert User.objects.get(legacy_id=str(PRIYA)).role == "clinician"
    assert any(i["rule"] == "missing_role" for i in _issue(report, "users", str(PRIYA)))
