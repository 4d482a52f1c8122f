"""Summary versions (written by the AI and legacy helpers through the service) as the API shows them."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from consultations.models import Summary, Transcript
from consultations.services import transcript_summary_add
from consultations.tests.factories import consultation_for, prompt_for

SOAP = {"subjective": "Cough", "objective": "Clear chest", "assessment": "Viral URTI", "plan": "Fluids"}


@pytest.mark.django_db
def test_it_shows_the_newest_summary_version_on_the_transcript(client_for, clinician):
    transcript = consultation_for(clinician).transcript
    prompt = prompt_for(clinician)
    transcript_summary_add(transcript=transcript, content={"plan": "old"}, text="old", model="m1", prompt=None)
    transcript_summary_add(transcript=transcript, content=SOAP, text="S: Cough", model="m2", prompt=prompt)

    body = client_for(clinician).get(f"/api/v1/transcripts/{transcript.pk}").json()
    assert body["summary"] == SOAP
    assert body["current_summary"]["version"] == 2
    assert body["current_summary"]["model"] == "m2"
    assert body["prompt_used"] == str(prompt.pk)
    assert Summary.objects.filter(transcript=transcript).count() == 2

    consultation = client_for(clinician).get(f"/api/v1/consultations/{transcript.consultation_id}").json()
    assert consultation["current_summary"]["content"] == SOAP


@pytest.mark.django_db
def test_it_keeps_naming_a_deleted_prompt_on_the_transcript(client_for, clinician):
    transcript = consultation_for(clinician).transcript
    prompt = prompt_for(clinician, name="Cardiology SOAP")
    transcript_summary_add(transcript=transcript, content=SOAP, text="t", model="m", prompt=prompt)
    client = client_for(clinician)
    assert client.delete(f"/api/v1/prompts/{prompt.pk}").status_code == 204

    body = client.get(f"/api/v1/transcripts/{transcript.pk}").json()
    assert body["prompt_used"] == str(prompt.pk)
    assert body["prompt_used_name"] == "Cardiology SOAP"


@pytest.mark.django_db
def test_it_returns_an_imported_summary_once_per_legacy_id(clinician):
    transcript = consultation_for(clinician).transcript
    first = transcript_summary_add(
        transcript=transcript, content=SOAP, text="t", model="legacy", prompt=None, legacy_id="6b030b30a6a5ecbbd9af7a2f"
    )
    again = transcript_summary_add(
        transcript=transcript, content=SOAP, text="t", model="legacy", prompt=None, legacy_id="6b030b30a6a5ecbbd9af7a2f"
    )
    assert again.pk == first.pk
    assert Summary.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_numbers_concurrent_summaries_without_gaps_or_doubles(clinician):
    transcript = consultation_for(clinician).transcript
    prompts = [prompt_for(clinician, name=f"p{i}") for i in range(8)]
    errors: list[BaseException] = []

    def write(prompt):
        try:
            transcript_summary_add(transcript=transcript, content=SOAP, text=prompt.name, model="m", prompt=prompt)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(p,)) for p in prompts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    versions = sorted(Summary.objects.filter(transcript=transcript).values_list("version", flat=True))
    assert versions == list(range(1, 9))
    newest = Summary.objects.get(transcript=transcript, version=8)
    refreshed = Transcript.objects.get(pk=transcript.pk)
    # prompt_used follows the newest version, never an older one that finished later.
    assert refreshed.summary_version == 8
    assert refreshed.prompt_used_id == newest.prompt_id
