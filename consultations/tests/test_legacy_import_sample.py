"""Importing the sample dump: everything importable arrives, the manifest's anomalies are
handled as the report says, and a second run changes nothing."""

from __future__ import annotations

import pytest

from accounts.models import User
from consultations.models import Consultation, Note, Prompt, Segment, Summary, Transcript
from consultations.selectors import transcript_text
from consultations.services import patient_search_name
from consultations.tests.legacy_support import MANIFEST, SAMPLE_DUMP, canonical_database, run_import, sample_docs

pytestmark = pytest.mark.django_db

ANOMALY = {a["kind"]: a for a in MANIFEST["anomalies"]}


def _issues(report, **match):
    return [i for i in report["issues"] if all(i[k] == v for k, v in match.items())]


def test_it_imports_the_sample_dump_twice_to_the_same_database(tmp_path):
    first, _, first_status = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)
    after_first = canonical_database()

    second, out, second_status = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)

    assert first_status == second_status == 0
    assert first["changed_anything"] is True
    assert second["changed_anything"] is False
    assert "Nothing changed" in out
    assert canonical_database() == after_first
    assert all(c["created"] == 0 for c in second["collections"].values())
    # The second run reports the same skips and repairs: the data did not change.
    assert second["issues"] == first["issues"]


def test_it_brings_in_every_importable_document(tmp_path):
    report, _, _ = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)
    counts = MANIFEST["counts"]

    assert {name: c["read"] for name, c in report["collections"].items()} == counts
    assert User.objects.count() == counts["users"] - 1  # the case-duplicate joined its first account
    assert Prompt.objects.count() == counts["prompts"]
    assert Consultation.objects.count() == Transcript.objects.count() == counts["consultations"]
    assert Note.objects.count() == counts["notes"] - 1  # the dangling one
    summaries = [t for t in sample_docs()["transcripts"] if t.get("summary")]
    assert Summary.objects.filter(version=1).count() == len(summaries)
    for name, legacy in (("users", User), ("prompts", Prompt), ("consultations", Consultation), ("notes", Note)):
        assert not legacy.objects.filter(legacy_id__isnull=True).exists(), name


def test_it_keeps_the_transcript_text_as_one_segment_per_line(tmp_path):
    run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)
    doc = next(t for t in sample_docs()["transcripts"] if t.get("transcript_text"))
    transcript = Transcript.objects.get(legacy_id=str(doc["_id"]))
    lines = doc["transcript_text"].split("\n")

    segments = list(Segment.objects.filter(transcript=transcript).order_by("seq"))
    assert [s.seq for s in segments] == list(range(len(lines)))
    assert [s.text for s in segments] == lines
    assert transcript_text(transcript=transcript) == doc["transcript_text"]
    assert segments[0].speaker == "clinician"
    assert segments[1].speaker == "patient"
    assert transcript.consultation.legacy_id == str(doc["consultation"])


def test_it_keeps_prompt_usage_both_ways(tmp_path):
    run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)
    for prompt in sample_docs()["prompts"]:
        used_by = set(
            Transcript.objects.filter(prompt_used__legacy_id=str(prompt["_id"])).values_list("legacy_id", flat=True)
        )
        assert used_by == {str(t) for t in prompt["transcript_ids"]}
    deleted = next(p for p in sample_docs()["prompts"] if p["is_deleted"])
    assert Prompt.objects.get(legacy_id=str(deleted["_id"])).is_deleted is True


def test_it_joins_an_email_differing_in_case_to_the_first_account(tmp_path):
    anomaly = ANOMALY["duplicate_email_case"]
    report, _, _ = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)

    [issue] = _issues(report, collection="users", id=anomaly["id"])
    assert (issue["action"], issue["rule"]) == ("repaired", "duplicate_email_case")
    assert anomaly["of"] in issue["reason"]
    first = User.objects.get(legacy_id=anomaly["of"])
    assert not User.objects.filter(legacy_id=anomaly["id"]).exists()
    assert User.objects.filter(email=first.email).count() == 1
    assert first.username == "dr_priya0"


def test_it_skips_a_note_pointing_nowhere(tmp_path):
    anomaly = ANOMALY["dangling_reference"]
    report, _, _ = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)

    [issue] = _issues(report, collection=anomaly["collection"], id=anomaly["id"])
    assert (issue["action"], issue["rule"]) == ("skipped", "dangling_reference")
    assert report["skipped"] == 1
    assert not Note.objects.filter(legacy_id=anomaly["id"]).exists()
    # Every note that came in points at its consultation and that consultation's transcript.
    for note in Note.objects.select_related("consultation__transcript"):
        assert note.transcript_id == note.consultation.transcript.pk
        assert note.clinician_id == note.consultation.clinician_id


def test_it_keeps_a_bare_string_patient_as_the_name(tmp_path):
    anomaly = ANOMALY["patient_as_string"]
    report, _, _ = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)

    [issue] = _issues(report, collection="consultations", id=anomaly["id"])
    assert (issue["action"], issue["rule"]) == ("repaired", "patient_as_string")
    consultation = Consultation.objects.get(legacy_id=anomaly["id"])
    assert consultation.patient_data == {"name": "Walk-in patient"}
    # The blind index of the name (the list search finds it; the name itself is not stored plain).
    assert consultation.patient_name == patient_search_name({"name": "Walk-in patient"})


def test_it_imports_a_transcript_missing_its_text_as_empty(tmp_path):
    anomaly = ANOMALY["missing_field"]
    report, _, _ = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)

    [issue] = _issues(report, collection=anomaly["collection"], id=anomaly["id"])
    assert (issue["action"], issue["rule"]) == ("repaired", "missing_field")
    transcript = Transcript.objects.get(legacy_id=anomaly["id"])
    assert transcript.segments.count() == 0
    assert transcript.summaries.get().content["subjective"].startswith("Presents with")


def test_it_gives_a_user_without_a_role_the_least_privilege(tmp_path):
    anomaly = ANOMALY["missing_role"]
    report, _, _ = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)

    [issue] = _issues(report, collection="users", id=anomaly["id"])
    assert (issue["action"], issue["rule"]) == ("repaired", "missing_role")
    assert User.objects.get(legacy_id=anomaly["id"]).role == "patient"


def test_it_keeps_a_summary_stored_as_one_string(tmp_path):
    anomaly = ANOMALY["summary_as_string"]
    report, _, _ = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)

    [issue] = _issues(report, collection="transcripts", id=anomaly["id"])
    assert (issue["action"], issue["rule"]) == ("repaired", "summary_as_string")
    summary = Summary.objects.get(legacy_id=anomaly["id"])
    assert summary.version == 1
    assert summary.text == "S: cough. O: chest clear. A: viral. P: rest."
    assert summary.content == {
        "subjective": "cough.",
        "objective": "chest clear.",
        "assessment": "viral.",
        "plan": "rest.",
    }
    assert summary.transcript.prompt_used.legacy_id == "6b030b30a6a5ecbbd9af7a2c"


def test_it_reports_nothing_the_manifest_does_not_list(tmp_path):
    report, _, _ = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)
    listed = {a["id"] for a in MANIFEST["anomalies"]}
    assert {i["id"] for i in report["issues"]} == listed
