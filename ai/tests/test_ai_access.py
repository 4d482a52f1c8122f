"""Who may use which AI endpoint: no token 401, patients only search (403 elsewhere),
another clinician's transcript 404."""

from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ai.tests.image_server import PNG
from consultations.models import Segment, Summary

PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 24


def calls(transcript_id: str):
    """(method, path, body, format) of every AI operation."""
    return [
        ("post", "/api/v1/ai/search", {"query": "What is asthma?"}, "json"),
        ("post", "/api/v1/ai/summary", {"transcript_text": "Cough."}, "json"),
        ("post", "/api/v1/ai/summary", {"transcript_id": transcript_id}, "json"),
        ("post", f"/api/v1/transcripts/{transcript_id}/summarize", {}, "json"),
        ("post", "/api/v1/ai/images", {"prompt": "Look.", "images": [PNG_DATA_URL]}, "json"),
        ("get", "/api/v1/ai/clinical-codes", {"term": "asthma"}, None),
        ("post", "/api/v1/ai/transcribe", {"audio": "WAV"}, "multipart"),
    ]


def send(client, method, path, body, fmt):
    if body.get("audio") == "WAV":
        body = {**body, "audio": SimpleUploadedFile("a.wav", WAV, content_type="audio/wav")}
    if method == "get":
        return client.get(path, body)
    return client.post(path, body, format=fmt)


@pytest.fixture
def transcript(clinician, make_transcript):
    return make_transcript(clinician, ["Cough for three days."])


def test_it_answers_401_without_a_token(openai_stub, nhs_stub, api_client, transcript):
    for method, path, body, fmt in calls(str(transcript.pk)):
        response = send(api_client, method, path, body, fmt)
        assert response.status_code == 401, path
        assert response.json()["code"] == "not_authenticated"
    assert openai_stub.requests == []
    assert nhs_stub.requests == []


def test_it_lets_patients_search_and_nothing_else(openai_stub, nhs_stub, patient, client_for, transcript):
    client = client_for(patient)
    for method, path, body, fmt in calls(str(transcript.pk)):
        response = send(client, method, path, body, fmt)
        expected = 200 if path.endswith("/search") else 403
        assert response.status_code == expected, path
    assert len(openai_stub.requests) == 1
    assert nhs_stub.requests == []


def test_it_serves_every_operation_to_the_owning_clinician(openai_stub, nhs_stub, clinician, client_for, transcript):
    client = client_for(clinician)
    for method, path, body, fmt in calls(str(transcript.pk)):
        response = send(client, method, path, body, fmt)
        assert response.status_code == 200, (path, response.content)


def test_it_hides_another_clinicians_transcript(openai_stub, other_clinician, client_for, transcript):
    client = client_for(other_clinician)
    for path, body, fmt in [
        ("/api/v1/ai/summary", {"transcript_id": str(transcript.pk)}, "json"),
        (f"/api/v1/transcripts/{transcript.pk}/summarize", {}, "json"),
        ("/api/v1/ai/transcribe", {"audio": "WAV", "transcript_id": str(transcript.pk)}, "multipart"),
    ]:
        response = send(client, "post", path, body, fmt)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    for bad_id in ("abc", "0", "-1", "99999999"):
        response = client.post(f"/api/v1/transcripts/{bad_id}/summarize", {}, format="json")
        assert response.status_code == 404, bad_id
    assert openai_stub.requests == []
    assert not Summary.objects.filter(transcript=transcript).exists()
    assert Segment.objects.filter(transcript=transcript).count() == 1
