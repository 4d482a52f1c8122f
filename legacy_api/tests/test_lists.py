"""Whole lists, newest first, in a fixed number of queries however long they are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.services import (
    consultation_start,
    note_create,
    prompt_create,
    segment_append,
    transcript_prompt_link,
    transcript_summary_add,
)

pytestmark = pytest.mark.django_db


def populate(clinician, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        consultation = consultation_start(clinician=clinician, patient_data={"name": f"Patient {n}"})
        transcript = consultation.transcript
        segment_append(transcript=transcript, seq=1, text=f"Line one of {n}")
        segment_append(transcript=transcript, seq=2, text=f"Line two of {n}")
        note_create(clinician=clinician, consultation=consultation, body=f"Note {n}")
        prompt = prompt_create(owner=clinician, name=f"Prompt {n}", text="Summarise.")
        transcript_prompt_link(transcript=transcript, prompt=prompt)
        transcript_summary_add(
            transcript=transcript,
            content={},
            text=f"Summary {n}",
            model="m",
            prompt=prompt,
            highlights=[{"term": "Cough", "possible_snomed": "49727002", "verified": True}],
        )


def queries_of(client, path: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), response.json()


@pytest.mark.parametrize("path", ["/api/consultation", "/api/prompts"])
def test_it_answers_whole_lists_in_a_fixed_number_of_queries(path, client_for, clinician):
    client = client_for(clinician)
    populate(clinician, 2)
    # With a shared cache the token's first check queries and later ones do not
    # (accounts.authcache): warm it, so both counts are of the list alone.
    queries_of(client, path)
    few, _ = queries_of(client, path)
    populate(clinician, 8, start=2)
    many, body = queries_of(client, path)
    assert few == many
    assert len(next(iter(body.values()))) == 10  # whole: no paging


def test_it_lists_consultations_newest_first_fully_populated(client_for, clinician):
    populate(clinician, 3)
    listed = client_for(clinician).get("/api/consultation").json()["consultations"]
    assert [c["patient"]["name"] for c in listed] == ["Patient 2", "Patient 1", "Patient 0"]
    newest = listed[0]
    assert newest["transcript"]["transcript_text"] == "Line one of 2\nLine two of 2"
    assert newest["transcript"]["summary"] == "Summary 2"
    assert newest["transcript"]["prompt_used"]["prompt_name"] == "Prompt 2"
    assert newest["transcript"]["highlights"][0]["term"] == "Cough"
    assert newest["notes"][0]["body"] == "Note 2"
    assert newest["notes"][0]["clinician"]["_id"] == str(clinician.pk)
    assert newest["clinician"]["username"] == clinician.username
