"""manage.py export_legacy: the rollback. Import the node-dump, change things through the
API, export, and prove the export is what the Node.js app accepts (its Mongoose models,
run in Node.js) and what brings the same records back (a fresh import of the Node.js
database with the export applied)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import ObjectId
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import User
from consultations.legacy.export.render import MERGED
from consultations.models import Consultation, LegacyDocument, Note, Prompt, Transcript
from consultations.selectors import transcript_text
from consultations.tests.legacy_support import wipe_database
from consultations.tests.legacy_support.mongoose_check import mongoose_validate
from consultations.tests.legacy_support.node_dump import NODE_DB, NODE_DUMP, NODE_MANIFEST, changed_node_dump, node_docs

pytestmark = pytest.mark.django_db

EXPORTED = ("users", "prompts", "consultations", "transcripts", "notes")
LEO = next(u for u in NODE_MANIFEST["users"] if u["username"] == "dr_leo2")


def run(command: str, *args: str) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        return out.getvalue() + str(exc), exc.returncode
    return out.getvalue(), 0


def import_dump(path: Path) -> None:
    output, status = run("import_legacy", "--dump", str(path), "--allow-skips", "--progress", "off")
    assert status == 0, output


def export(target: Path, *extra: str) -> dict[str, Any]:
    report = target.parent / f"{target.name}-report.json"
    output, status = run("export_legacy", "--dump", str(target), "--report", str(report), *extra)
    assert status == 0, output
    return json.loads(report.read_text())


def read_export(database_dir: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        name: list(bson.decode_file_iter((database_dir / f"{name}.bson").open("rb")))
        for name in EXPORTED
        if (database_dir / f"{name}.bson").exists()
    }


def logged_in(email: str, password: str) -> APIClient:
    client = APIClient()
    answer = client.post("/api/v1/users/login", {"email": email, "password": password}, format="json")
    assert answer.status_code == 200, answer.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['access_token']}")
    return client


def change_through_the_api(openai_stub) -> dict[str, Any]:
    """What a clinician does in Scribe after the switch; returns what to look for in the export."""
    leo = User.objects.get(legacy_id=LEO["id"])
    client = logged_in(LEO["email"], LEO["password"])  # re-hashes the Node.js bcrypt password with Argon2

    started = client.post(
        "/api/v1/consultations/start", {"patient_data": {"name": "Ada Lovelace", "age": 36}}, format="json"
    )
    assert started.status_code == 201, started.content
    new_consultation = Consultation.objects.get(pk=started.json()["id"])
    transcript = new_consultation.transcript
    for seq, text in enumerate(["Clinician: What brings you in?", "Patient: A cough for a week."]):
        answer = client.post(f"/api/v1/transcripts/{transcript.pk}/segments", {"seq": seq, "text": text}, format="json")
        assert answer.status_code == 201, answer.content
    assert client.post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json").status_code == 200
    assert client.post(f"/api/v1/consultations/{new_consultation.pk}/end", {}, format="json").status_code == 200

    # An imported consultation still active (its transcript takes a new text).
    imported = (
        Consultation.objects.filter(clinician=leo, legacy_id__isnull=False, status="active")
        .order_by("legacy_id")
        .first()
    )
    leo_notes = list(Note.objects.filter(clinician=leo, legacy_id__isnull=False).order_by("legacy_id"))
    assert len(leo_notes) >= 2
    edited_note, deleted_note = leo_notes[0], leo_notes[-1]
    assert (
        client.patch(
            f"/api/v1/notes/{edited_note.pk}", {"body": "Reviewed: cough settling."}, format="json"
        ).status_code
        == 200
    )
    assert client.delete(f"/api/v1/notes/{deleted_note.pk}").status_code == 204
    added = client.post("/api/v1/notes/", {"consultation": str(imported.pk), "body": "Phoned: better."}, format="json")
    assert added.status_code == 201, added.content
    edited_transcript = imported.transcript
    assert (
        client.put(
            f"/api/v1/transcripts/{edited_transcript.pk}",
            {"transcript_text": "Clinician: How is the cough?\nPatient: Much better."},
            format="json",
        ).status_code
        == 200
    )

    created_prompt = client.post(
        "/api/v1/prompts/", {"prompt_name": "Asthma review", "prompt_text": "Summarise."}, format="json"
    )
    assert created_prompt.status_code == 201, created_prompt.content
    removed_prompt = Prompt.objects.get(legacy_id="68f7c8795b4bae6b016dbfd3")
    assert client.delete(f"/api/v1/prompts/{removed_prompt.pk}").status_code == 204

    registered = APIClient().post(
        "/api/v1/users/register",
        {
            "username": "dr_new",
            "email": "dr.new@example-clinic.nhs.uk",
            "password": "a-Long-passw0rd!",
            "role": "clinician",
        },
        format="json",
    )
    assert registered.status_code == 201, registered.content
    return {
        "new_consultation": new_consultation.pk,
        "new_transcript": transcript.pk,
        "imported_consultation": imported.legacy_id,
        "edited_note": edited_note.legacy_id,
        "deleted_note": deleted_note.legacy_id,
        "added_note": added.json()["id"],
        "edited_transcript": edited_transcript.legacy_id,
        "new_prompt": created_prompt.json()["id"],
        "removed_prompt": removed_prompt.legacy_id,
        "new_user": registered.json()["id"],
    }


def apply_export(
    docs: dict[str, list[dict[str, Any]]], exported: dict[str, list[dict[str, Any]]], deleted: dict[str, list[str]]
) -> None:
    """What the rollback does to the Node.js database (``apply-rollback.js``): users and
    prompts merged into the document with the same _id, the others replaced, then deletions."""
    for name, written in exported.items():
        by_id = {doc["_id"]: doc for doc in docs[name]}
        for doc in written:
            if name in MERGED and doc["_id"] in by_id:
                by_id[doc["_id"]] = {**by_id[doc["_id"]], **doc}
            else:
                by_id[doc["_id"]] = doc
        docs[name] = list(by_id.values())
    for name, ids in deleted.items():
        gone = {ObjectId(i) for i in ids}
        docs[name] = [doc for doc in docs[name] if doc["_id"] not in gone]


def ms(value):
    return None if value is None else value.replace(microsecond=value.microsecond // 1000 * 1000)


def records() -> dict[str, dict[str, tuple]]:
    """Every record by its legacy id, as the Node.js app shows it (text joined, newest summary,
    times to the millisecond BSON keeps), references as legacy ids."""
    users = dict(User.objects.values_list("pk", "legacy_id"))
    prompts = dict(Prompt.objects.values_list("pk", "legacy_id"))
    consultations = dict(Consultation.objects.values_list("pk", "legacy_id"))
    transcripts = dict(Transcript.objects.values_list("pk", "legacy_id"))
    notes_of: dict[Any, set] = {}
    for consultation_pk, legacy in Note.objects.values_list("consultation_id", "legacy_id"):
        notes_of.setdefault(consultations[consultation_pk], set()).add(legacy)
    out: dict[str, dict[str, tuple]] = {
        "users": {
            u.legacy_id: (u.email, u.username, u.role, u.is_active, ms(u.created_at)) for u in User.objects.all()
        },
        "prompts": {
            p.legacy_id: (
                users[p.owner_id],
                p.name,
                p.text,
                p.is_shareable,
                p.is_deleted,
                ms(p.created_at),
                ms(p.updated_at),
            )
            for p in Prompt.objects.all()
        },
        "consultations": {
            c.legacy_id: (
                users[c.clinician_id],
                json.dumps(c.patient_data, sort_keys=True),
                c.status,
                ms(c.started_at),
                ms(c.ended_at),
                transcripts[c.transcript.pk],
                sorted(notes_of.get(c.legacy_id, ())),
            )
            for c in Consultation.objects.select_related("transcript")
        },
        "transcripts": {},
        "notes": {
            n.legacy_id: (
                consultations[n.consultation_id],
                transcripts[n.transcript_id],
                users[n.clinician_id],
                n.body,
                ms(n.created_at),
                ms(n.updated_at),
            )
            for n in Note.objects.all()
        },
    }
    for t in Transcript.objects.prefetch_related("summaries"):
        newest = max(t.summaries.all(), key=lambda s: s.version, default=None)
        out["transcripts"][t.legacy_id] = (
            consultations[t.consultation_id],
            users[t.clinician_id],
            transcript_text(transcript=t),
            newest.text if newest else None,
            prompts.get(t.prompt_used_id),
            ms(t.created_at),
            ms(t.updated_at),
        )
    return out


def test_it_exports_api_changes_that_node_accepts_and_that_import_back_to_the_same_records(openai_stub, tmp_path):
    import_dump(NODE_DUMP)
    changed = change_through_the_api(openai_stub)

    report = export(tmp_path / "rollback")
    database_dir = tmp_path / "rollback" / "scribe"
    exported = read_export(database_dir)
    ids = {name: {str(doc["_id"]) for doc in docs} for name, docs in exported.items()}

    # New records got an ObjectId, kept as their legacy_id (on every engine).
    new_consultation = Consultation.objects.get(pk=changed["new_consultation"])
    new_user = User.objects.get(pk=changed["new_user"])
    for record in (
        new_consultation,
        Transcript.objects.get(pk=changed["new_transcript"]),
        new_user,
        Note.objects.get(pk=changed["added_note"]),
        Prompt.objects.get(pk=changed["new_prompt"]),
    ):
        assert ObjectId.is_valid(record.legacy_id or "")
    assert new_consultation.legacy_id in ids["consultations"]
    assert new_user.legacy_id in ids["users"]
    assert Note.objects.get(pk=changed["added_note"]).legacy_id in ids["notes"]
    assert {changed["edited_note"], changed["edited_transcript"], changed["removed_prompt"]} <= (
        ids["notes"] | ids["transcripts"] | ids["prompts"]
    )
    assert report["deleted"] == {"notes": [changed["deleted_note"]]}

    # Generation-3 shapes: segments joined into transcript_text, the newest summary as Node's text.
    transcripts = {str(doc["_id"]): doc for doc in exported["transcripts"]}
    new_transcript = transcripts[Transcript.objects.get(pk=changed["new_transcript"]).legacy_id]
    assert new_transcript["transcript_text"] == "Clinician: What brings you in?\nPatient: A cough for a week."
    assert new_transcript["summary"] == Transcript.objects.get(pk=changed["new_transcript"]).summaries.get().text
    assert new_transcript["consultation"] == ObjectId(new_consultation.legacy_id)
    consultation_doc = next(d for d in exported["consultations"] if str(d["_id"]) == changed["imported_consultation"])
    assert ObjectId(Note.objects.get(pk=changed["added_note"]).legacy_id) in consultation_doc["notes"]
    leo_doc = (
        next(d for d in exported.get("users", []) if str(d["_id"]) == LEO["id"])
        if LEO["id"] in ids.get("users", ())
        else None
    )
    assert leo_doc is None or "password" not in leo_doc  # Node.js keeps the bcrypt hash Scribe re-hashed

    # Every exported document passes the Node.js app's own Mongoose models.
    checked = mongoose_validate(database_dir, base=NODE_DB)
    assert set(checked) == set(exported)
    for name, result in checked.items():
        assert result["failures"] == [], name
        assert result["checked"] == len(exported[name])

    # A second export has nothing to write.
    again = export(tmp_path / "again")
    assert again["documents_written"] == 0
    assert not list((tmp_path / "again").glob("*/*.bson"))

    # Applied to the Node.js database and imported into a fresh one: the same records.
    before = records()
    docs = node_docs()
    apply_export(docs, exported, report["deleted"])
    rolled_back = changed_node_dump(tmp_path / "node-after-rollback", lambda d: d.update(docs))
    wipe_database()
    LegacyDocument.objects.all().delete()
    import_dump(rolled_back)
    after = records()
    for name in before:
        assert after[name] == before[name], name
    # Logged in to Scribe (Argon2 re-hash): Node.js kept the bcrypt hash, which still takes the password.
    assert User.objects.get(legacy_id=LEO["id"]).check_password(LEO["password"])


def test_a_dry_run_decides_everything_and_writes_nothing(tmp_path, client_for):
    import_dump(NODE_DUMP)
    leo = User.objects.get(legacy_id=LEO["id"])
    started = client_for(leo).post("/api/v1/consultations/start", {"patient_data": {"name": "X"}}, format="json")
    assert started.status_code == 201
    rows = LegacyDocument.objects.count()

    report = export(tmp_path / "dry", "--dry-run")

    assert report["counts"]["consultations"]["created"] == 1
    assert Consultation.objects.get(pk=started.json()["id"]).legacy_id is None
    assert LegacyDocument.objects.count() == rows
    assert not (tmp_path / "dry").exists()


def test_the_mongoose_check_refuses_what_node_would_not_save(tmp_path):
    """The validation is real: documents the Node.js models refuse are reported, each with why."""
    clinician = ObjectId()
    bad = {
        "notes": [
            {"_id": ObjectId(), "clinician": clinician, "transcript": ObjectId(), "consultation": ObjectId(), "__v": 0}
        ],
        "consultations": [{"_id": ObjectId(), "clinician": clinician, "status": "closed", "extra": 1}],
        "users": [{"_id": ObjectId(), "username": "a", "email": "A@B.C", "password": "x", "role": "clinician"}],
    }
    directory = tmp_path / "scribe"
    directory.mkdir()
    for name, docs in bad.items():
        (directory / f"{name}.bson").write_bytes(b"".join(bson.encode(doc) for doc in docs))

    checked = mongoose_validate(directory)

    assert checked["notes"]["failures"][0]["problems"] == ["invalid body: required", "not in the schema: __v"]
    assert sorted(checked["consultations"]["failures"][0]["problems"]) == [
        "invalid status: enum",
        "not in the schema: extra",
    ]
    assert checked["users"]["failures"][0]["problems"] == ["changed when cast: email"]


def test_the_apply_script_merges_users_and_prompts_replaces_the_rest_and_deletes(tmp_path):
    """DIR/apply-rollback.js, run in Node.js against a recording stand-in for mongosh's db."""
    import subprocess

    from consultations.legacy.export.render import Rendered
    from consultations.legacy.export.writers import DumpWriter
    from consultations.tests.legacy_support.mongoose_check import HARNESS, mongoose_modules

    mongoose_modules()  # skips with the reason where Node.js is missing
    writer = DumpWriter(tmp_path / "rollback")
    writer.write([Rendered("users", {"_id": ObjectId()}, new=False), Rendered("notes", {"_id": ObjectId()}, new=True)])
    gone = ObjectId()
    writer.delete("notes", [gone])
    writer.close()

    done = subprocess.run(
        [
            "node",
            str(HARNESS / "apply_script_calls.js"),
            str(tmp_path / "rollback" / "apply-rollback.js"),
            json.dumps(["users", "notes"]),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    calls = json.loads(done.stdout)
    merges = {c["name"]: c["pipeline"][0]["$merge"] for c in calls if c["op"] == "aggregate"}
    assert merges["users"] == {
        "into": {"db": "scribe", "coll": "users"},
        "on": "_id",
        "whenMatched": "merge",
        "whenNotMatched": "insert",
    }
    assert merges["notes"]["whenMatched"] == "replace"
    assert all(c["database"] == "scribe_rollback" for c in calls if c["op"] == "aggregate")
    assert {"op": "deleteMany", "database": "scribe", "name": "notes", "ids": [f"ObjectId({gone})"]} in calls
    assert calls[-1] == {"op": "dropDatabase", "database": "scribe_rollback"}


def test_the_exports_plain_row_transcripts_fingerprint_as_the_models_do(client_for):
    """The export reads transcripts as plain rows (no model per segment); their fingerprints
    must be the ones the import and sync compute from model instances."""
    from consultations.legacy.export.exporter import LegacyExporter
    from consultations.legacy.export.writers import DumpWriter
    from consultations.legacy.fingerprints import scribe_fingerprint

    import_dump(NODE_DUMP)
    leo = User.objects.get(legacy_id=LEO["id"])
    transcript = Transcript.objects.filter(clinician=leo, consultation__status="active").first()
    assert (
        client_for(leo)
        .put(f"/api/v1/transcripts/{transcript.pk}", {"transcript_text": "Edited."}, format="json")
        .status_code
        == 200
    )
    exporter = LegacyExporter(DumpWriter("/nonexistent-never-written"), dry_run=True)
    views = {view.pk: view for batch in exporter._transcript_views() for view in batch}
    models = Transcript.objects.select_related("prompt_used").prefetch_related("segments", "summaries")
    assert len(views) == Transcript.objects.count() > 70
    for model in models:
        assert scribe_fingerprint("transcripts", views[model.pk]) == scribe_fingerprint("transcripts", model)
        assert views[model.pk].text == transcript_text(transcript=model)


def test_it_writes_into_a_live_node_database_keeping_what_scribe_does_not_hold(openai_stub):
    """--uri against mongomock at pymongo's boundary: users merged ($set), the rest replaced,
    deletions deleted, and the Node.js database then imports back to the same records."""
    import mongomock
    import pymongo

    uri = "mongodb://node-mongo.invalid:27017/scribe"
    with mongomock.patch(servers=(("node-mongo.invalid", 27017),)):
        node = pymongo.MongoClient(uri)["scribe"]
        for name, docs in node_docs().items():
            if docs:
                node[name].insert_many(docs)
        output, status = run("import_legacy", "--uri", uri, "--allow-skips", "--progress", "off")
        assert status == 0, output
        changed = change_through_the_api(openai_stub)
        original_hash = node["users"].find_one({"_id": ObjectId(LEO["id"])})["password"]

        output, status = run("export_legacy", "--uri", uri)
        assert status == 0, output
        again, status = run("export_legacy", "--uri", uri)
        assert "Nothing to export" in again

        leo = node["users"].find_one({"_id": ObjectId(LEO["id"])})
        assert leo["password"] == original_hash  # Scribe holds Argon2 now; Node keeps bcrypt
        assert leo["createdAt"] is not None
        assert node["notes"].find_one({"_id": ObjectId(changed["deleted_note"])}) is None
        edited = node["notes"].find_one({"_id": ObjectId(changed["edited_note"])})
        assert edited["body"] == "Reviewed: cough settling."
        new = Consultation.objects.get(pk=changed["new_consultation"])
        assert node["consultations"].find_one({"_id": ObjectId(new.legacy_id)})["status"] == "ended"

        before = records()
        wipe_database()
        LegacyDocument.objects.all().delete()
        output, status = run("import_legacy", "--uri", uri, "--allow-skips", "--progress", "off")
        assert status == 0, output
        after = records()
    for name in before:
        assert after[name] == before[name], name
