"""``import_legacy --sync``: a database imported before is brought up to date with the
Node.js database as it is now, ends as a fresh import of that database would, never
overwrites a change made in Scribe, and a second sync writes nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from consultations.models import Consultation, LegacyDocument, Note, Prompt, Transcript
from consultations.selectors import transcript_text
from consultations.tests.legacy_support import legacy_token, run_import, wipe_database
from consultations.tests.legacy_support.node_changes import (
    LATER,
    LEO,
    NEW_CONSULTATION,
    NEW_NOTE,
    SUMMARY,
    _g3,
    _picks,
    script,
)
from consultations.tests.legacy_support.node_dump import NODE_DUMP, canonical_state, changed_node_dump, node_docs

pytestmark = pytest.mark.django_db


def _sync(dump, tmp_path):
    report, out, status = run_import("--sync", "--dump", str(dump), "--allow-skips", tmp_path=tmp_path)
    assert status == 0, out
    return report, out


def _ledger():
    return sorted(
        LegacyDocument.objects.values_list("collection", "legacy_id", "source_fingerprint", "scribe_fingerprint")
    )


def test_it_ends_as_a_fresh_import_of_the_changed_database(tmp_path):
    token = legacy_token(LEO["id"], LEO["username"])
    changed = changed_node_dump(tmp_path / "changed", script(token))
    run_import("--dump", str(NODE_DUMP), "--allow-skips", tmp_path=tmp_path)

    report, _ = _sync(changed, tmp_path)
    synced, synced_ledger = canonical_state(), _ledger()
    wipe_database()
    run_import("--dump", str(changed), "--allow-skips", tmp_path=tmp_path)

    assert synced == canonical_state()
    # The ledger knows the same documents with the same Node.js fingerprints.
    assert [row[:3] for row in synced_ledger] == [row[:3] for row in _ledger()]
    counts = report["collections"]
    assert (counts["consultations"]["created"], counts["consultations"]["updated"]) == (1, 1)
    assert counts["transcripts"]["updated"] == 2
    assert (counts["notes"]["created"], counts["notes"]["updated"], counts["notes"]["deleted"]) == (1, 1, 1)
    assert counts["prompts"]["updated"] == 1
    assert counts["blacktokens"]["created"] == 1
    assert report["conflicts"] == 0


def test_it_applies_each_change_as_node_made_it(tmp_path, client_for):
    token = legacy_token(LEO["id"], LEO["username"])
    changed = changed_node_dump(tmp_path / "changed", script(token))
    picks = _picks(node_docs())
    run_import("--dump", str(NODE_DUMP), "--allow-skips", tmp_path=tmp_path)

    _sync(changed, tmp_path)

    saved = Transcript.objects.get(legacy_id=str(picks["saved"]["_id"]))
    assert transcript_text(transcript=saved) == "Clinician: How is the cough?\nPatient: Better, thank you."
    ended = Consultation.objects.get(legacy_id=str(picks["ending"]["_id"]))
    assert (ended.status, ended.ended_at) == ("ended", LATER)
    summary = ended.transcript.summaries.order_by("-version").first()
    assert summary.text == SUMMARY
    assert summary.content["plan"] == "Rest."
    assert Note.objects.get(legacy_id=str(picks["edited_note"]["_id"])).body == "Edited in Node.js after the import"
    assert not Note.objects.filter(legacy_id=str(picks["deleted_note"]["_id"])).exists()
    assert Prompt.objects.get(legacy_id=str(picks["prompt"]["_id"])).is_deleted is True
    new = Consultation.objects.get(legacy_id=str(NEW_CONSULTATION))
    leo = new.clinician
    body = client_for(leo).get(f"/api/v1/consultations/{new.pk}").json()
    assert body["legacy_id"] == str(NEW_CONSULTATION)
    assert body["notes"] == [str(Note.objects.get(legacy_id=str(NEW_NOTE)).pk)]
    # The logout: that Node.js token no longer works on Scribe.
    response = APIClient().get("/api/v1/users/profile", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["detail"] == "Session logged out. Please log in again."


def test_a_second_sync_writes_nothing(tmp_path):
    changed = changed_node_dump(tmp_path / "changed", script(legacy_token(LEO["id"], LEO["username"])))
    run_import("--dump", str(NODE_DUMP), "--allow-skips", tmp_path=tmp_path)
    _sync(changed, tmp_path)
    state, ledger = canonical_state(), _ledger()

    report, out = _sync(changed, tmp_path)

    assert report["changed_anything"] is False
    assert report["fingerprinted"] == 0
    assert "Nothing changed" in out
    assert canonical_state() == state
    assert _ledger() == ledger


def test_a_sync_right_after_the_import_writes_nothing(tmp_path):
    run_import("--dump", str(NODE_DUMP), "--allow-skips", tmp_path=tmp_path)
    state, ledger = canonical_state(), _ledger()

    report, _ = _sync(NODE_DUMP, tmp_path)

    assert report["changed_anything"] is False
    assert report["fingerprinted"] == 0
    assert (canonical_state(), _ledger()) == (state, ledger)


def test_it_reports_and_keeps_a_change_made_in_scribe_too(tmp_path, client_for):
    docs_picks = {}

    def change(docs):
        picks = _picks(docs)
        docs_picks.update(picks)
        picks["edited_note"].update(body="Edited in Node.js", updated_at=LATER)
        docs["notes"].remove(picks["deleted_note"])
        picks["prompt"].update(prompt_text="Changed in Node.js only", updated_at=LATER)

    changed = changed_node_dump(tmp_path / "changed", change)
    run_import("--dump", str(NODE_DUMP), "--allow-skips", tmp_path=tmp_path)
    edited = Note.objects.get(legacy_id=str(docs_picks["edited_note"]["_id"]))
    deleted = Note.objects.get(legacy_id=str(docs_picks["deleted_note"]["_id"]))
    for note, body in ((edited, "Edited in Scribe"), (deleted, "Also edited in Scribe")):
        response = client_for(note.clinician).patch(f"/api/v1/notes/{note.pk}", {"body": body}, format="json")
        assert response.status_code == 200, response.content

    report, out = _sync(changed, tmp_path)

    conflicts = {(i["collection"], i["id"]) for i in report["issues"] if i["action"] == "conflict"}
    assert conflicts == {("notes", edited.legacy_id), ("notes", deleted.legacy_id)}
    assert "settle them by hand" in out
    assert Note.objects.get(pk=edited.pk).body == "Edited in Scribe"
    assert Note.objects.get(pk=deleted.pk).body == "Also edited in Scribe"
    # What changed in Node.js only is synced all the same.
    assert Prompt.objects.get(legacy_id=str(docs_picks["prompt"]["_id"])).text == "Changed in Node.js only"

    # Until a person settles it, every sync reports it again and writes nothing.
    again, _ = _sync(changed, tmp_path)
    assert {(i["collection"], i["id"]) for i in again["issues"] if i["action"] == "conflict"} == conflicts
    assert again["changed_anything"] is False
    assert again["fingerprinted"] == 0


def test_it_reports_a_transcript_saved_in_both_places(tmp_path, client_for):
    picked = {}

    def change(docs):
        transcripts = {d["_id"]: d for d in docs["transcripts"]}
        active = next(c for c in _g3(docs, "consultations") if c["status"] == "active")
        picked["transcript"] = transcripts[active["transcript"]]
        picked["transcript"].update(transcript_text="Saved in Node.js", updated_at=LATER)

    changed = changed_node_dump(tmp_path / "changed", change)
    run_import("--dump", str(NODE_DUMP), "--allow-skips", tmp_path=tmp_path)
    transcript = Transcript.objects.get(legacy_id=str(picked["transcript"]["_id"]))
    client = client_for(transcript.clinician)
    response = client.put(f"/api/v1/transcripts/{transcript.pk}", {"transcript_text": "Saved in Scribe"}, format="json")
    assert response.status_code == 200, response.content

    report, _ = _sync(changed, tmp_path)

    assert [(i["collection"], i["id"]) for i in report["issues"] if i["action"] == "conflict"] == [
        ("transcripts", transcript.legacy_id)
    ]
    assert client.get(f"/api/v1/transcripts/{transcript.pk}").json()["transcript_text"] == "Saved in Scribe"


def test_a_dry_run_sync_writes_nothing_and_says_what_it_would_do(tmp_path):
    changed = changed_node_dump(tmp_path / "changed", script(legacy_token(LEO["id"], LEO["username"])))
    run_import("--dump", str(NODE_DUMP), "--allow-skips", tmp_path=tmp_path)
    state, ledger = canonical_state(), _ledger()

    report, out = _sync_dry(changed, tmp_path)

    assert (canonical_state(), _ledger()) == (state, ledger)
    assert report["collections"]["notes"]["deleted"] == 1
    assert report["collections"]["notes"]["updated"] == 1
    assert "Dry run" in out


def _sync_dry(dump, tmp_path):
    report, out, status = run_import("--sync", "--dry-run", "--dump", str(dump), "--allow-skips", tmp_path=tmp_path)
    assert status == 0, out
    return report, out
