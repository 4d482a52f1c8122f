"""Transcription: multipart audio, checked, sent to the audio API, segments appended idempotently."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from consultations.models import Segment
from consultations.services import consultation_end

URL = "/api/v1/ai/transcribe"
WAV = (
    b"RIFF\x24\x00\x00\x00WAVEfmt "
    + b"\x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
)


def audio(name="visit.wav", data=WAV, content_type="audio/wav"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_it_transcribes_an_upload(openai_stub, settings, clinician, client_for):
    settings.AI_TRANSCRIBE_MODEL = "whisper-test"
    response = client_for(clinician).post(URL, {"audio": audio()}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "text": "Hello doctor. I have had a cough for three days.",
        "segments": [
            {"text": "Hello doctor.", "start_ms": 0, "end_ms": 1500},
            {"text": "I have had a cough for three days.", "start_ms": 1500, "end_ms": 4200},
        ],
        "model": "whisper-test",
    }
    sent = openai_stub.requests[-1]
    assert sent.path == "/v1/audio/transcriptions"
    assert sent.fields["model"] == "whisper-test"
    assert sent.fields["response_format"] == "verbose_json"
    filename, _, data = sent.files["file"]
    assert data == WAV
    assert filename == "audio.wav"


def test_it_appends_segments_to_a_transcript_idempotently(openai_stub, clinician, client_for, make_transcript):
    transcript = make_transcript(clinician, ["Earlier words."])
    client = client_for(clinician)
    first = client.post(URL, {"audio": audio(), "transcript_id": str(transcript.pk)}, format="multipart")
    assert first.status_code == 200, first.content
    assert first.json()["appended"] == 2
    assert [s["seq"] for s in first.json()["segments"]] == [2, 3]
    assert list(Segment.objects.filter(transcript=transcript).order_by("seq").values_list("seq", "text")) == [
        (1, "Earlier words."),
        (2, "Hello doctor."),
        (3, "I have had a cough for three days."),
    ]
    retry = client.post(
        URL, {"audio": audio(), "transcript_id": str(transcript.pk), "start_seq": 2}, format="multipart"
    )
    assert retry.status_code == 200
    assert retry.json()["appended"] == 0
    assert Segment.objects.filter(transcript=transcript).count() == 3


def test_it_refuses_a_closed_transcript_before_calling_the_provider(
    openai_stub, clinician, client_for, make_transcript
):
    transcript = make_transcript(clinician, ["Words."])
    consultation_end(consultation=transcript.consultation)
    response = client_for(clinician).post(
        URL, {"audio": audio(), "transcript_id": str(transcript.pk)}, format="multipart"
    )
    assert response.status_code == 409
    assert openai_stub.requests == []


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("notes.txt", b"just some text", content_type="text/plain"),
        SimpleUploadedFile("fake.mp3", b"<html></html>", content_type="audio/mpeg"),
        SimpleUploadedFile("empty.wav", b"", content_type="audio/wav"),
    ],
)
def test_it_refuses_files_that_are_not_audio(openai_stub, clinician, client_for, upload):
    response = client_for(clinician).post(URL, {"audio": upload}, format="multipart")
    assert response.status_code == 400
    assert "audio" in response.json()["errors"]
    assert openai_stub.requests == []


def test_it_limits_the_audio_size(openai_stub, settings, clinician, client_for):
    settings.AI_AUDIO_MAX_BYTES = 100
    response = client_for(clinician).post(URL, {"audio": audio(data=WAV + b"\0" * 200)}, format="multipart")
    assert response.status_code == 400
    assert openai_stub.requests == []


def test_it_answers_413_for_a_body_past_the_upload_limit(openai_stub, clinician, client_for):
    from django.conf import settings as live

    limit = live.UPLOAD_BODY_LIMITS["/api/v1/ai/transcribe"]
    response = client_for(clinician).post(
        URL, b"x", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(limit + 1)
    )
    assert response.status_code == 413


def test_it_requires_multipart_audio(openai_stub, clinician, client_for):
    client = client_for(clinician)
    assert client.post(URL, {}, format="multipart").status_code == 400
    assert client.post(URL, {"audio": "x"}, format="json").status_code == 415


def test_it_maps_transcription_faults(openai_stub, clinician, client_for):
    client = client_for(clinician)
    openai_stub.garbage = True
    assert client.post(URL, {"audio": audio()}, format="multipart").status_code == 502
    openai_stub.garbage = False
    openai_stub.fail_status = 429
    assert client.post(URL, {"audio": audio()}, format="multipart").status_code == 503


def test_it_refuses_an_append_that_would_clash_and_writes_nothing(openai_stub, clinician, client_for, make_transcript):
    # seq 3 is free, seq 4 holds other words: appending at 3 must not leave seq 3 behind.
    transcript = make_transcript(clinician, ["One.", "Two."])
    from consultations.services import segment_append

    segment_append(transcript=transcript, seq=4, text="Something else entirely.")
    response = client_for(clinician).post(
        URL, {"audio": audio(), "transcript_id": str(transcript.pk), "start_seq": 3}, format="multipart"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "segment_conflict"
    assert list(Segment.objects.filter(transcript=transcript).order_by("seq").values_list("seq", flat=True)) == [
        1,
        2,
        4,
    ]


def test_it_refuses_segments_that_would_pass_the_last_seq_and_writes_nothing(
    openai_stub, clinician, client_for, make_transcript
):
    from consultations.services import SEGMENT_MAX_SEQ

    transcript = make_transcript(clinician, ["One."])
    response = client_for(clinician).post(
        URL, {"audio": audio(), "transcript_id": str(transcript.pk), "start_seq": SEGMENT_MAX_SEQ}, format="multipart"
    )
    assert response.status_code == 400
    assert "start_seq" in response.json()["errors"]
    assert Segment.objects.filter(transcript=transcript).count() == 1
