"""``?stream=true``: server-sent events with the note as it arrives, then the stored summary."""

from __future__ import annotations

import json

from consultations.models import Summary


def events_of(response) -> list[tuple[str, dict]]:
    # An async iterator, so an ASGI server sends each event as it comes (a sync one
    # would be read whole before the first byte left).
    assert response.is_async
    raw = response.streamed.decode()
    events = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_it_streams_text_then_the_stored_summary(openai_stub, clinician, asgi_client_for, make_transcript):
    transcript = make_transcript(
        clinician, ["Alice has had a sore throat for two days.", "No fever."], patient_data={"name": "Alice Example"}
    )
    openai_stub.stream_chunk_chars = 7
    openai_stub.chat_replies.append(
        json.dumps(
            {
                "subjective": [{"text": "[PATIENT_NAME_1] has a sore throat for two days.", "evidence": [1]}],
                "objective": [{"text": "No fever.", "evidence": [2]}],
                "assessment": [{"text": "Likely viral pharyngitis.", "evidence": [1, 2]}],
                "plan": [{"text": "Safety-net advice.", "evidence": [7]}],
            }
        )
    )
    response = asgi_client_for(clinician).post(
        f"/api/v1/transcripts/{transcript.pk}/summarize?stream=true", {}, format="json", HTTP_ACCEPT="text/event-stream"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    events = events_of(response)
    texts = [data["text"] for name, data in events if name == "text"]
    assert len(texts) > 5  # it really arrived in pieces
    streamed = "".join(texts)
    assert "[PATIENT_NAME" not in streamed  # placeholders restored, never sent half-way
    assert streamed.startswith("Subjective:\n- Alice has a sore throat for two days.")
    name, final = events[-1]
    assert name == "summary"
    assert final["text"] == streamed
    assert final["summary"]["subjective"] == "Alice has a sore throat for two days."
    assert final["statements"]["plan"] == [{"text": "Safety-net advice.", "evidence": [], "supported": False}]
    stored = Summary.objects.get(transcript=transcript)
    assert final["summary_id"] == str(stored.pk)
    assert stored.text == final["text"]
    assert openai_stub.chat_requests()[-1].json["stream"] is True


def test_it_answers_json_errors_before_the_stream_starts(
    openai_stub, clinician, other_clinician, asgi_client_for, make_transcript
):
    transcript = make_transcript(clinician, ["Something."])
    url = f"/api/v1/transcripts/{transcript.pk}/summarize?stream=true"
    not_mine = asgi_client_for(other_clinician).post(url, {}, format="json", HTTP_ACCEPT="text/event-stream")
    assert not_mine.status_code == 404
    assert not_mine["Content-Type"] == "application/json"
    openai_stub.fail_status = 429
    openai_stub.retry_after = "12"
    busy = asgi_client_for(clinician).post(url, {}, format="json", HTTP_ACCEPT="text/event-stream")
    assert busy.status_code == 503
    assert busy["Content-Type"] == "application/json"
    assert busy["Retry-After"] == "12"
    assert busy.json()["code"] == "ai_unavailable"
    bad = asgi_client_for(clinician).post(url.replace("true", "maybe"), {}, format="json")
    assert bad.status_code == 400
    assert not Summary.objects.filter(transcript=transcript).exists()


def test_it_ends_a_broken_stream_with_an_error_event_and_stores_nothing(
    openai_stub, clinician, asgi_client_for, make_transcript
):
    transcript = make_transcript(clinician, ["Something."])
    openai_stub.garbage = True
    response = asgi_client_for(clinician).post(
        f"/api/v1/transcripts/{transcript.pk}/summarize?stream=true", {}, format="json"
    )
    assert response.status_code == 200
    name, data = events_of(response)[-1]
    assert name == "error"
    assert data["code"] == "ai_bad_output"
    assert data["status"] == 502
    assert not Summary.objects.filter(transcript=transcript).exists()


def test_it_streams_on_ai_summary_with_free_text(openai_stub, clinician, asgi_client_for):
    response = asgi_client_for(clinician).post(
        "/api/v1/ai/summary?stream=true", {"transcript_text": "Back pain."}, format="json"
    )
    events = events_of(response)
    assert events[-1][0] == "summary"
    assert events[-1][1]["summary_id"] is None
    assert events[-1][1]["statements"]["subjective"][0]["evidence"] == [1]


def test_it_ends_a_cut_off_stream_with_an_error_event_and_stores_nothing(
    openai_stub, clinician, asgi_client_for, make_transcript
):
    transcript = make_transcript(clinician, ["Something."])
    openai_stub.finish_reason = "length"  # the JSON happens to close; the model says it stopped short
    response = asgi_client_for(clinician).post(
        f"/api/v1/transcripts/{transcript.pk}/summarize?stream=true", {}, format="json"
    )
    name, data = events_of(response)[-1]
    assert (name, data["status"]) == ("error", 502)
    assert not Summary.objects.filter(transcript=transcript).exists()
