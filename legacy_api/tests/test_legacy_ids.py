"""Records imported from the Node.js dump are reachable by their legacy ``_id`` on every
Node.js route that takes an id (and on /api/v1 too: the lookup lives in the selectors)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from consultations.models import Consultation, Note, Prompt

pytestmark = pytest.mark.django_db

NODE_DUMP = Path("/work/shared/legacy/node-dump")
if not NODE_DUMP.exists():  # a checkout elsewhere: the dump the importer tests use
    NODE_DUMP = Path(__file__).resolve().parents[2] / "consultations" / "tests" / "legacy_support" / "node-dump"


@pytest.fixture
def imported():
    if not NODE_DUMP.exists():
        pytest.skip("the Node.js dump is not available")
    call_command(
        "import_legacy",
        "--dump",
        str(NODE_DUMP),
        "--allow-skips",
        "--progress",
        "off",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    note = (
        Note.objects.filter(
            legacy_id__isnull=False, consultation__legacy_id__isnull=False, transcript__legacy_id__isnull=False
        )
        .select_related("consultation", "transcript", "clinician")
        .first()
    )
    assert note is not None, "the dump has a note on an imported consultation"
    clinician = note.clinician
    prompt = (
        Prompt.objects.filter(owner=clinician, legacy_id__isnull=False, is_deleted=False).first()
        or Prompt.objects.filter(legacy_id__isnull=False, is_deleted=False, is_shareable=True).first()
    )
    return {
        "clinician": clinician,
        "note": note,
        "consultation": note.consultation,
        "transcript": note.transcript,
        "prompt": prompt,
    }


def test_it_reaches_imported_records_by_their_legacy_ids_on_every_node_route(imported, client_for):
    client = client_for(imported["clinician"])
    consultation, transcript, note = imported["consultation"], imported["transcript"], imported["note"]
    cid, tid, nid = consultation.legacy_id, transcript.legacy_id, note.legacy_id

    one = client.get(f"/api/consultation/{cid}")
    assert one.status_code == 200, one.content
    assert one.json()["consultation"]["_id"] == str(consultation.pk)
    assert one.json()["consultation"]["legacy_id"] == cid
    assert client.get(f"/api/consultation/{cid.upper()}").status_code == 200
    assert client.get(f"/api/transcript/{cid}").json()["_id"] == str(transcript.pk)
    listed = client.get(f"/api/notes/{cid}").json()
    assert str(note.pk) in [n["_id"] for n in listed["notes"]]
    assert client.patch(f"/api/notes/{nid}", {"body": "Reviewed after the switch."}, format="json").status_code == 200
    assert client.post(f"/api/notes/{cid}", {"body": "Added after the switch."}, format="json").status_code == 201
    typed = client.post(
        "/api/transcript/update-text", {"transcript_id": tid, "transcript_text": "Typed."}, format="json"
    )
    # Found either way; an ended consultation's transcript is closed (409, not 404).
    assert typed.status_code == (200 if consultation.status == "active" else 409), typed.content
    pid = imported["prompt"].legacy_id
    assert client.patch(f"/api/prompts/{pid}/add-prompt/{tid}").status_code == 200
    transcript.refresh_from_db()
    assert transcript.prompt_used_id == imported["prompt"].pk
    assert client.delete(f"/api/notes/{nid}").json() == {"msg": "Note deleted successfully."}
    assert not Note.objects.filter(pk=note.pk).exists()
    # The same lookup serves /api/v1.
    assert client.get(f"/api/v1/consultations/{cid}").json()["id"] == str(consultation.pk)


def test_it_reaches_imported_prompts_and_ends_and_summarises_by_legacy_ids(imported, client_for, openai_stub, nhs_stub):
    prompt = Prompt.objects.filter(owner__legacy_id__isnull=False, legacy_id__isnull=False, is_deleted=False).first()
    owner_client = client_for(User.objects.get(pk=prompt.owner_id))
    patched = owner_client.patch(f"/api/prompts/{prompt.legacy_id}", {"prompt_name": "Renamed"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["data"]["_id"] == str(prompt.pk)

    active = (
        Consultation.objects.filter(legacy_id__isnull=False, status="active", transcript__segments__isnull=False)
        .select_related("clinician")
        .first()
    )
    assert active is not None, "the dump has an active consultation with a transcript"
    client = client_for(active.clinician)
    summarised = client.post(f"/api/ai/{active.legacy_id}/summarise", {}, format="json")
    assert summarised.status_code == 200, summarised.content
    ended = client.post(f"/api/consultation/{active.legacy_id}/end", {"prompt_used": prompt.legacy_id}, format="json")
    if not (prompt.owner_id == active.clinician_id or prompt.is_shareable):
        assert ended.status_code == 404  # a private prompt of another clinician: not found
        ended = client.post(f"/api/consultation/{active.legacy_id}/end", {}, format="json")
    assert ended.status_code == 200, ended.content
    assert ended.json()["summary"] != "Summary not generated"
    active.refresh_from_db()
    assert active.status == "ended"
    assert owner_client.delete(f"/api/prompts/{prompt.legacy_id}").json() == {"msg": "Prompt deleted successfully"}
