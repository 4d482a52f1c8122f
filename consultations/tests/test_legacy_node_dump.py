"""Importing the node-dump (all three schema generations, shaped like real data): every
``expected`` figure of its manifest is met, each checked here.

One discrepancy is the manifest's own: its generation-1 ``summaries`` (2) and embedded
``notes`` (5) count the generation-1 transcript whose ``clinicianId`` names no user, which
the same manifest excludes from ``consultations`` (7) and ``transcripts_with_text`` (7).
A note or summary cannot exist without its consultation, so that transcript's summary and
note are not imported either; the tests below check the figures minus exactly that
document's contributions, and that the report names it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from accounts.models import RevocationReason, RevokedToken, User
from consultations.legacy.soap import SOAP_KEYS
from consultations.models import Consultation, LegacyDocument, Note, Prompt, Summary, Transcript
from consultations.selectors import transcript_text
from consultations.tests.legacy_support import run_import
from consultations.tests.legacy_support.node_dump import NODE_DUMP, NODE_MANIFEST, node_docs

pytestmark = pytest.mark.django_db

EXPECTED = NODE_MANIFEST["expected"]
GENERATIONS = NODE_MANIFEST["generations"]
GENERATION_OF = NODE_MANIFEST["generation_of"]
UNKNOWN_CLINICIAN = next(a["id"] for a in NODE_MANIFEST["anomalies"] if a["kind"] == "unknown_clinician")


def _import(tmp_path):
    report, out, status = run_import("--dump", str(NODE_DUMP), "--allow-skips", tmp_path=tmp_path)
    assert status == 0, out
    return report


def _skipped_doc():
    """The generation-1 transcript whose clinician is unknown: its summary and embedded note."""
    doc = next(d for d in node_docs()["transcripts"] if str(d["_id"]) == UNKNOWN_CLINICIAN)
    return int(bool(doc.get("soapSummary"))), int(bool(doc.get("notes")))


def _generation(legacy_id: str | None) -> str | None:
    return GENERATION_OF.get(legacy_id) if legacy_id else None


def _consultation_generation(consultation: Consultation) -> str:
    return _generation(consultation.legacy_id)


def test_it_meets_every_total_of_the_manifest(tmp_path):
    report = _import(tmp_path)
    lost_summaries, lost_notes = _skipped_doc()

    assert User.objects.count() == EXPECTED["users"]
    assert Consultation.objects.count() == EXPECTED["consultations"]
    with_text = [t for t in Transcript.objects.all() if transcript_text(transcript=t)]
    assert len(with_text) == EXPECTED["transcripts_with_text"]
    assert Prompt.objects.count() == EXPECTED["prompts"]
    assert Prompt.objects.filter(is_deleted=True).count() == EXPECTED["prompts_deleted"]
    # Edited: changed after it was made (PATCH), other than by its soft delete (which also sets updated_at).
    edited = [p for p in Prompt.objects.all() if p.updated_at != p.created_at and not p.is_deleted]
    assert len(edited) == EXPECTED["prompts_edited"]
    assert RevokedToken.objects.filter(reason=RevocationReason.LEGACY_IMPORT).count() == EXPECTED["revoked_tokens"]
    assert Summary.objects.count() == EXPECTED["summaries"] - lost_summaries
    assert Note.objects.count() == EXPECTED["notes"] - lost_notes
    # The document those figures include is the one reported skipped, and why.
    [skip] = [i for i in report["issues"] if i["id"] == UNKNOWN_CLINICIAN]
    assert (skip["action"], skip["rule"]) == ("skipped", "dangling_reference")


def test_it_splits_every_summary_into_soap(tmp_path):
    _import(tmp_path)
    lost_summaries, _ = _skipped_doc()

    parsed = [s for s in Summary.objects.all() if all(s.content.get(key) for key in SOAP_KEYS)]
    assert len(parsed) == EXPECTED["summaries_soap_parseable"] - lost_summaries
    originals = {str(d["_id"]): d.get("summary") or d.get("soapSummary") for d in node_docs()["transcripts"]}
    for summary in Summary.objects.select_related("transcript"):
        assert summary.text == originals[summary.transcript.legacy_id]  # kept verbatim


def test_it_meets_the_generation_1_figures(tmp_path):
    _import(tmp_path)
    expected = GENERATIONS["g1"]["expected"]
    lost_summaries, lost_notes = _skipped_doc()
    consultations = [c for c in Consultation.objects.all() if _consultation_generation(c) == "g1"]

    assert len(consultations) == expected["consultations"]
    assert all(c.status == "ended" for c in consultations)
    transcripts = Transcript.objects.filter(consultation__in=consultations)
    assert sum(1 for t in transcripts if transcript_text(transcript=t)) == expected["transcripts_with_text"]
    assert Summary.objects.filter(transcript__in=transcripts).count() == expected["summaries"] - lost_summaries
    notes = Note.objects.filter(consultation__in=consultations)
    assert notes.count() == expected["notes"] - lost_notes
    detail = expected["notes_detail"]
    n1 = [n for n in notes if n.legacy_id not in {c.legacy_id for c in consultations}]
    assert len(n1) == detail["n1_no_consultation_link"]
    assert notes.count() - len(n1) == detail["embedded_in_transcript_notes_field"] - lost_notes


def test_it_keeps_a_generation_1_transcript_whole(tmp_path):
    _import(tmp_path)
    doc = next(
        d
        for d in node_docs()["transcripts"]
        if "clinicianId" in d and d.get("soapSummary") and str(d["_id"]) != UNKNOWN_CLINICIAN
    )
    doc_id = str(doc["_id"])
    consultation = Consultation.objects.get(legacy_id=doc_id)

    assert consultation.clinician.legacy_id == doc["clinicianId"]
    assert consultation.started_at == doc["createdAt"]
    assert consultation.patient_data["name"] == doc["patientObject"]["data"]["patient_data"]["name"]
    assert consultation.patient_data["patient_id"] == doc["patientObject"]["patient_id"]
    assert transcript_text(transcript=consultation.transcript) == doc["transcript"]
    assert consultation.transcript.summaries.get().text == doc["soapSummary"]
    assert consultation.notes.get(legacy_id=doc_id).body == doc["notes"]  # the embedded note
    # A generation-1 note (no consultation link) written after it, and before the next, joins it.
    [n1] = consultation.notes.exclude(legacy_id=doc_id)
    assert n1.created_at >= consultation.started_at


def test_it_meets_the_generation_2_and_3_figures(tmp_path):
    _import(tmp_path)
    for generation in ("g2", "g3"):
        expected = GENERATIONS[generation]["expected"]
        consultations = [c for c in Consultation.objects.all() if _consultation_generation(c) == generation]
        transcripts = Transcript.objects.filter(consultation__in=consultations)

        assert len(consultations) == expected["consultations"], generation
        assert sum(1 for t in transcripts if transcript_text(transcript=t)) == expected["transcripts_with_text"]
        assert Summary.objects.filter(transcript__in=transcripts).count() == expected["summaries"]
        assert Note.objects.filter(consultation__in=consultations).count() == expected["notes"]
    g2 = [c for c in Consultation.objects.all() if _consultation_generation(c) == "g2"]
    assert {c.status for c in g2} == {"active"}  # "all active, no transcript": an empty one each
    assert all(c.transcript.legacy_id is None for c in g2)


def test_it_stores_none_of_the_fields_strict_mongoose_dropped(tmp_path):
    _import(tmp_path)
    expected = GENERATIONS["g3"]["expected"]
    docs = node_docs()

    assert (
        sum(1 for d in docs["consultations"] if "soapSummary" in d) == expected["summaries_on_consultation_soapSummary"]
    )
    assert sum(1 for d in docs["transcripts"] if "highlights" in d) == expected["transcripts_with_highlights"]
    assert (
        sum(1 for d in docs["consultations"] if "lastSummarizedAt" in d)
        == expected["consultations_with_lastSummarizedAt"]
    )
    schema = {
        "_id",
        "prompt_name",
        "prompt_text",
        "is_shareable",
        "is_deleted",
        "clinician",
        "transcript_ids",
        "created_at",
        "updated_at",
        "__v",
    }
    assert sum(1 for d in docs["prompts"] if set(d) - schema) == EXPECTED["prompts_with_stray_fields"]


def test_it_imports_no_note_a_consultation_lists_but_node_deleted(tmp_path):
    _import(tmp_path)
    note_ids = {str(n["_id"]) for n in node_docs()["notes"]}
    listed = {str(i) for c in node_docs()["consultations"] for i in c.get("notes") or []}
    dangling = listed - note_ids

    assert len(dangling) == GENERATIONS["g3"]["expected"]["dangling_note_ids_in_consultations"]
    assert not Note.objects.filter(legacy_id__in=dangling).exists()


def test_it_records_a_fingerprint_for_every_record_it_brought_in(tmp_path):
    _import(tmp_path)

    for collection, model in (("users", User), ("consultations", Consultation), ("notes", Note), ("prompts", Prompt)):
        imported = set(model.objects.filter(legacy_id__isnull=False).values_list("legacy_id", flat=True))
        if collection == "consultations":  # a generation-1 transcript is recorded under transcripts
            imported = {i for i in imported if GENERATION_OF.get(i) != "g1"}
        if collection == "notes":
            imported = {i for i in imported if i in {str(n["_id"]) for n in node_docs()["notes"]}}
        recorded = set(LegacyDocument.objects.filter(collection=collection).values_list("legacy_id", flat=True))
        assert recorded == imported, collection


@pytest.mark.parametrize("user", NODE_MANIFEST["users"], ids=lambda u: u["username"])
def test_it_logs_users_in_with_their_node_passwords(api_client, tmp_path, user):
    _import(tmp_path)

    response = api_client.post(
        "/api/v1/users/login", {"email": user["email"], "password": user["password"]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["user"]["email"] == user["email"]


def test_it_shows_generation_1_consultations_to_their_clinician_only(tmp_path, client_for):
    _import(tmp_path)
    consultation = Consultation.objects.filter(legacy_id__in=[k for k, g in GENERATION_OF.items() if g == "g1"]).first()
    owner = consultation.clinician
    other = User.objects.filter(role="clinician").exclude(pk=owner.pk).first()
    url = f"/api/v1/consultations/{consultation.pk}"

    response = client_for(owner).get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["legacy_id"] == consultation.legacy_id
    assert body["status"] == "ended"
    transcript = client_for(owner).get(f"/api/v1/transcripts/{consultation.transcript.pk}").json()
    assert transcript["transcript_text"] == transcript_text(transcript=consultation.transcript)
    assert transcript["legacy_id"] == consultation.legacy_id
    assert client_for(other).get(url).status_code == 404
    listed = client_for(owner).get("/api/v1/consultations", {"page_size": 100}).json()
    assert consultation.legacy_id in {c["legacy_id"] for c in listed["results"]}


@pytest.mark.parametrize("token", NODE_MANIFEST["tokens"], ids=lambda t: t["id"])
def test_it_refuses_every_node_token_that_was_logged_out(api_client, tmp_path, settings, token):
    _import(tmp_path)
    settings.LEGACY_JWT_SECRET_KEY = NODE_MANIFEST["jwt_secret"]
    raw = next(d["blackToken"] for d in node_docs()["blacktokens"] if str(d["_id"]) == token["id"])

    # While the token was still valid: it is refused because it was logged out, not as expired.
    with freeze_time(datetime.fromtimestamp(token["iat"] + 60, tz=UTC)):
        response = api_client.get("/api/v1/users/profile", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401
    assert response.json()["detail"] == "Session logged out. Please log in again."
