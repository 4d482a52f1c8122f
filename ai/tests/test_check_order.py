"""Every model call makes its cheap checks first, in one order: the provider is
configured (503 naming the setting), then the daily quota has a slot (429); only
then does anything leave Scribe (an image URL fetched, the provider called)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ai.models import AiUsage
from ai.tests.test_transcribe import WAV

IMAGES = "/api/v1/ai/images"


def use_up_the_quota(settings, client):
    settings.AI_DAILY_QUOTA = 1
    assert client.post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json").status_code == 200


def fetchable_image_url(settings, image_servers) -> tuple[str, object]:
    first, _ = image_servers
    settings.AI_IMAGE_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    return first.url("/image.png"), first


def test_it_fetches_no_image_url_when_the_provider_is_not_configured(
    openai_stub, settings, clinician, client_for, image_servers
):
    url, server = fetchable_image_url(settings, image_servers)
    settings.OPENAI_API_KEY = ""
    response = client_for(clinician).post(IMAGES, {"prompt": "Describe.", "images": [url]}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "ai_not_configured"
    assert "OPENAI_API_KEY" in response.json()["detail"]
    assert server.requests == []
    assert openai_stub.requests == []


def test_it_fetches_no_image_url_when_the_daily_quota_is_used_up(
    openai_stub, settings, clinician, client_for, image_servers
):
    url, server = fetchable_image_url(settings, image_servers)
    client = client_for(clinician)
    use_up_the_quota(settings, client)
    response = client.post(IMAGES, {"prompt": "Describe.", "images": [url]}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "ai_quota_exceeded"
    assert server.requests == []
    assert len(openai_stub.requests) == 1  # the search that used the quota


def test_a_refused_image_url_gives_its_quota_slot_back(openai_stub, settings, clinician, client_for, image_servers):
    first, _ = image_servers
    settings.AI_DAILY_QUOTA = 1
    client = client_for(clinician)
    refused = client.post(IMAGES, {"prompt": "Look.", "images": [first.url("/page")]}, format="json")
    assert refused.status_code == 400
    assert AiUsage.objects.filter(user=clinician).count() == 0
    assert openai_stub.requests == []


@pytest.mark.parametrize(
    ("path", "body", "format"),
    [
        ("/api/v1/ai/search", {"query": "What is asthma?"}, "json"),
        ("/api/v1/ai/summary", {"transcript_text": "Cough for three days."}, "json"),
        (IMAGES, {"prompt": "Describe.", "images": "a fetchable URL"}, "json"),
        ("/api/v1/ai/transcribe", {"audio": "WAV"}, "multipart"),
        ("/api/v1/transcripts/{transcript}/summarize", {}, "json"),
        ("/api/v1/transcripts/{transcript}/summarize?stream=true", {}, "json"),
    ],
)
def test_it_checks_the_provider_before_the_quota_on_every_model_call(
    openai_stub, settings, clinician, client_for, make_transcript, image_servers, path, body, format
):
    url, server = fetchable_image_url(settings, image_servers)
    client = client_for(clinician)
    use_up_the_quota(settings, client)
    transcript = make_transcript(clinician, ["Cough."])
    path = path.format(transcript=transcript.pk)
    if "images" in body:
        body = {**body, "images": [url]}  # fetched, were the provider checked too late
    if body.get("audio") == "WAV":
        body = {"audio": SimpleUploadedFile("visit.wav", WAV, content_type="audio/wav")}
    settings.OPENAI_BASE_URL = ""
    response = client.post(path, body, format=format)
    assert response.status_code == 503, response.content
    assert "OPENAI_BASE_URL" in response.json()["detail"]
    assert server.requests == []
    assert len(openai_stub.requests) == 1  # the search that used the quota
    assert AiUsage.objects.filter(user=clinician).count() == 1
