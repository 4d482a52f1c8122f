"""Patient data encrypted at rest (issue 14): raw storage holds none of it, the API reads it
back unchanged, the blind index finds it, rotation re-encrypts it, a wrong key stops start-up."""

from __future__ import annotations

import pytest
from django.db import connection

from consultations.models import Consultation, Note, Segment, Summary, Transcript
from documents.models import Document
from questionnaires.models import QuestionnaireResponse
from scribe.core import crypto
from scribe.core.crypto_fields import encrypted_fields, stored_values
from scribe.core.rotation import rebuild_blind_indexes, rotate_encrypted_fields, rows_not_under_newest_keys

pytestmark = pytest.mark.django_db

PATIENT = {"name": "Zebedee Quartermaine", "age": 47, "nhs_number": "943 476 5919", "address": "12 Lighthouse Lane"}
SEGMENTS = ["Crushing chest pain radiating to the jaw.", "Started after climbing the Ravenscar steps."]
EDITED = "Clinician: Full transcript typed by hand about the Ravenscar steps."
NOTE = "Refer urgently to the Whitby cardiology clinic."
ENDING = "Reassured about the Lighthouse Lane fall; review in two weeks."
LETTER = "Dear colleague, Mr Quartermaine has exertional angina on the Ravenscar steps."
SIGNED_PLAN = "Aspirin 300 mg stat and an ambulance to Scarborough."


def _write_everything(client, openai_stub) -> dict:
    """Every kind of patient data, written through the API the way a clinician does."""
    started = client.post("/api/v1/consultations/start", {"patient_data": PATIENT}, format="json")
    assert started.status_code == 201, started.json()
    consultation = started.json()
    transcript_id = consultation["transcript"]
    for seq, text in enumerate(SEGMENTS):
        assert (
            client.post(f"/api/v1/transcripts/{transcript_id}/segments", {"seq": seq, "text": text}).status_code == 201
        )
    summary = client.post(f"/api/v1/transcripts/{transcript_id}/summarize", {}, format="json")
    assert summary.status_code in (200, 201), summary.json()
    signed = client.post(
        f"/api/v1/transcripts/{transcript_id}/summaries/1/sign", {"edits": {"plan": SIGNED_PLAN}}, format="json"
    )
    assert signed.status_code == 200, signed.json()
    assert client.put(f"/api/v1/transcripts/{transcript_id}", {"transcript_text": EDITED}).status_code == 200
    note = client.post("/api/v1/notes/", {"consultation": consultation["id"], "body": NOTE})
    assert note.status_code == 201, note.json()
    letter = client.put(
        f"/api/v1/consultations/{consultation['id']}/documents/referral-letter", {"text": LETTER}, format="json"
    )
    assert letter.status_code == 201, letter.json()
    answered = client.post(
        f"/api/v1/consultations/{consultation['id']}/questionnaires",
        {"instrument": "phq9", "answers": [3, 3, 3, 3, 3, 3, 0, 0, 2]},
        format="json",
    )
    assert answered.status_code == 201, answered.json()
    ended = client.post(f"/api/v1/consultations/{consultation['id']}/end", {"summary": ENDING})
    assert ended.status_code == 200, ended.json()
    return {"consultation": consultation["id"], "transcript": transcript_id, "summary": signed.json()}


def _raw_storage() -> bytes:
    """What a copied database holds: the SQLite file's bytes, or every PostgreSQL row as text
    (a raw cursor, in this test only)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            import tempfile
            from pathlib import Path

            with tempfile.TemporaryDirectory() as folder:
                copy = Path(folder) / "copy.sqlite3"
                cursor.execute("VACUUM INTO %s", [str(copy)])  # the test database is in memory
                return copy.read_bytes()
        tables = connection.introspection.table_names(cursor)
        chunks = []
        for table in tables:
            cursor.execute(f'SELECT t::text FROM "{table}" AS t')
            chunks += [row[0] for row in cursor.fetchall()]
        return "\n".join(chunks).encode()


def _secrets(summary: dict) -> list[str]:
    sections = [v for v in summary["content"].values() if isinstance(v, str) and len(v) > 12]
    return [
        "Zebedee",
        "Quartermaine",
        "quartermaine",
        "9434765919",
        "943 476 5919",
        "Lighthouse Lane",
        *SEGMENTS,
        EDITED,
        NOTE,
        ENDING,
        LETTER,
        SIGNED_PLAN,
        "Ravenscar",
        *sections,
    ]


@pytest.mark.django_db(transaction=True)  # SQLite: VACUUM INTO cannot run inside the test's transaction
def test_it_stores_none_of_the_patient_data_in_plain_and_reads_it_back_unchanged(client_for, clinician, openai_stub):
    client = client_for(clinician)
    ids = _write_everything(client, openai_stub)

    raw = _raw_storage()
    for secret in _secrets(ids["summary"]):
        assert secret.encode() not in raw, f"{secret!r} is stored in plain"
    assert crypto.PREFIX.encode() in raw

    detail = client.get(f"/api/v1/consultations/{ids['consultation']}").json()
    assert detail["patient_data"] == PATIENT
    transcript = client.get(f"/api/v1/transcripts/{ids['transcript']}").json()
    assert transcript["transcript_text"] == EDITED
    segments = client.get(f"/api/v1/transcripts/{ids['transcript']}/segments").json()
    assert [s["text"] for s in segments["results"]] == SEGMENTS
    assert client.get(f"/api/v1/notes/?consultation={ids['consultation']}").json()["results"][0]["body"] == NOTE
    letter = client.get(f"/api/v1/consultations/{ids['consultation']}/documents/referral-letter").json()
    assert LETTER in str(letter)
    assert Summary.objects.get(transcript_id=ids["transcript"], version=2).content["plan"] == SIGNED_PLAN
    assert Consultation.objects.get(pk=ids["consultation"]).summary == ENDING
    assert QuestionnaireResponse.objects.get(consultation_id=ids["consultation"]).answers == [3, 3, 3, 3, 3, 3, 0, 0, 2]


def test_it_finds_a_patient_by_name_prefix_and_by_exact_nhs_number(client_for, clinician, other_clinician):
    client = client_for(clinician)
    zeb = client.post("/api/v1/consultations/start", {"patient_data": PATIENT}, format="json").json()["id"]
    other = {"name": "Ada Lovelace", "nhs_number": "4010232137"}
    ada = client.post("/api/v1/consultations/start", {"patient_data": other}, format="json").json()["id"]
    client_for(other_clinician).post("/api/v1/consultations/start", {"patient_data": PATIENT}, format="json")

    def ids(**params) -> list[str]:
        response = client.get("/api/v1/consultations/", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(search="quarter") == [zeb]
    assert ids(search="ZEBEDEE q") == [zeb]
    assert ids(search="lovelace") == [ada]
    assert ids(search="uarter") == []  # word prefixes only (README: what the blind index leaks)
    assert ids(nhs_number="9434765919") == [zeb]
    assert ids(nhs_number="943 476 5919") == [zeb]
    assert ids(nhs_number="4010232137", search="ada") == [ada]
    assert ids(nhs_number="4010232138") == []
    bad = client.get("/api/v1/consultations/", {"nhs_number": "12345"})
    assert bad.status_code == 400
    assert "nhs_number" in str(bad.json())


def test_it_documents_the_nhs_number_filter_in_the_openapi_schema(client):
    schema = client.get("/openapi.json")
    assert schema.status_code == 200
    assert "Exactly this NHS number" in schema.content.decode()


def test_it_re_encrypts_every_row_under_a_new_key_and_rebuilds_the_index(client_for, clinician, settings, openai_stub):
    client = client_for(clinician)
    ids = _write_everything(client, openai_stub)
    old_kid = crypto.encryption_keys()[0].kid
    new_key, new_index_key = crypto.generate_key(), crypto.generate_key()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    settings.FIELD_BLIND_INDEX_KEYS = [new_index_key, *settings.FIELD_BLIND_INDEX_KEYS]
    assert any(rows_not_under_newest_keys().values())
    # While the index rebuilds, a search under either key still finds the patient.
    assert client.get("/api/v1/consultations/", {"search": "zebedee"}).json()["count"] == 1

    first = rotate_encrypted_fields(batch_size=2)
    rebuild_blind_indexes(batch_size=2)
    again = rotate_encrypted_fields(batch_size=2)

    assert sum(first.rewritten.values()) > 10
    assert sum(again.rewritten.values()) == 0  # idempotent
    assert not any(rows_not_under_newest_keys().values())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key removed
    settings.FIELD_BLIND_INDEX_KEYS = [new_index_key]
    with stored_values():
        for model, f in encrypted_fields():
            for value in model._base_manager.values_list(f.name, flat=True):
                assert not value or crypto.key_id_of(value) != old_kid
    assert client.get(f"/api/v1/consultations/{ids['consultation']}").json()["patient_data"] == PATIENT
    assert client.get(f"/api/v1/transcripts/{ids['transcript']}").json()["transcript_text"] == EDITED
    assert [s.text for s in Segment.objects.filter(transcript_id=ids["transcript"])] == SEGMENTS
    assert Note.objects.get(consultation_id=ids["consultation"]).body == NOTE
    assert Document.objects.get(consultation_id=ids["consultation"]).body == LETTER
    assert client.get("/api/v1/consultations/", {"search": "zebedee"}).json()["count"] == 1
    assert client.get("/api/v1/consultations/", {"nhs_number": "9434765919"}).json()["count"] == 1
    history = client.get("/api/v1/questionnaires/history", {"nhs_number": "9434765919"})
    assert history.status_code == 200, history.json()
    assert "phq9" in str(history.json())


def test_it_leaves_a_row_written_meanwhile_as_the_service_wrote_it(clinician, settings):
    consultation = Consultation.objects.create(clinician=clinician, patient_data={"name": "A"}, patient_name="")
    transcript = Transcript.objects.create(consultation=consultation, clinician=clinician)
    with stored_values():
        before = Transcript.objects.filter(pk=transcript.pk).values_list("edited_text", flat=True).get()
    Transcript.objects.filter(pk=transcript.pk).update(edited_text="first")
    settings.FIELD_ENCRYPTION_KEYS = [crypto.generate_key(), *settings.FIELD_ENCRYPTION_KEYS]
    Transcript.objects.filter(pk=transcript.pk).update(edited_text="newer, under the new key")

    rotate_encrypted_fields()

    assert before is None
    assert Transcript.objects.get(pk=transcript.pk).edited_text == "newer, under the new key"


def test_it_encrypts_rows_written_before_encryption(clinician):
    consultation = Consultation.objects.create(clinician=clinician, patient_data={"name": "A"})
    transcript = Transcript.objects.create(consultation=consultation, clinician=clinician)
    segment = Segment.objects.create(transcript=transcript, seq=0, text="x")
    # As a plain row looks after the migration (the column kept its old text).
    with connection.cursor() as cursor:
        table = Segment._meta.db_table
        cursor.execute(f'UPDATE "{table}" SET text = %s WHERE id = %s', ["Plain old words", segment.pk])
        table = Consultation._meta.db_table
        cursor.execute(
            f'UPDATE "{table}" SET patient_data = %s, patient_name = %s WHERE id = %s',
            ['{"name": "Old Plainname", "nhs_number": "4010232137"}', "old plainname", consultation.pk],
        )
    assert Segment.objects.get(pk=segment.pk).text == "Plain old words"  # readable before the pass

    rotate_encrypted_fields()
    rebuild_blind_indexes()

    with stored_values():
        assert Segment.objects.get(pk=segment.pk).text.startswith(crypto.current_prefix())
        assert Consultation.objects.get(pk=consultation.pk).patient_data.startswith(crypto.current_prefix())
    assert Segment.objects.get(pk=segment.pk).text == "Plain old words"
    assert Consultation.objects.get(pk=consultation.pk).patient_data["name"] == "Old Plainname"
    from consultations.selectors import patient_index_match

    assert Consultation.objects.filter(patient_index_match(name="plainn")).get().pk == consultation.pk
    assert Consultation.objects.filter(patient_index_match(nhs_number="4010232137")).get().pk == consultation.pk


def test_it_names_a_key_that_is_not_configured_instead_of_returning_garbage(clinician, settings):
    consultation = Consultation.objects.create(clinician=clinician, patient_data={"name": "A"})
    settings.FIELD_ENCRYPTION_KEYS = [crypto.generate_key()]
    with pytest.raises(crypto.FieldKeyError, match="not in FIELD_ENCRYPTION_KEYS"):
        Consultation.objects.get(pk=consultation.pk)
    from scribe.core.crypto_fields import key_problems

    assert any("consultations.Consultation.patient_data" in p for p in key_problems())
