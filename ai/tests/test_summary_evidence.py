"""Evidence: citations are checked against the transcript's segments; facts the
transcript never mentions are flagged for the clinician."""

from __future__ import annotations

import json

from consultations.models import Summary


def reply(**sections) -> str:
    base = {name: [] for name in ("subjective", "objective", "assessment", "plan")}
    base.update(sections)
    return json.dumps(base)


def test_it_drops_citations_of_missing_segments_and_marks_the_statement_unsupported(
    openai_stub, clinician, client_for, make_transcript
):
    transcript = make_transcript(clinician, ["Cough for a week.", "No fever.", "Chest clear."])
    openai_stub.chat_replies.append(
        reply(
            subjective=[
                {"text": "Cough for a week.", "evidence": [1, 99]},
                {"text": "Recent travel abroad.", "evidence": [42]},
                {"text": "Smoker.", "evidence": []},
            ],
            objective=[{"text": "Chest clear.", "evidence": [3]}],
        )
    )
    response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["statements"]["subjective"] == [
        {"text": "Cough for a week.", "evidence": [1], "supported": True},
        {"text": "Recent travel abroad.", "evidence": [], "supported": False},
        {"text": "Smoker.", "evidence": [], "supported": False},
    ]
    assert body["statements"]["objective"] == [{"text": "Chest clear.", "evidence": [3], "supported": True}]
    assert body["unsupported_count"] == 2
    stored = Summary.objects.get(transcript=transcript)
    assert stored.content["statements"]["subjective"][1]["supported"] is False


def test_it_uses_the_real_seq_numbers_of_segments_that_arrived_out_of_order(
    openai_stub, clinician, client_for, make_transcript
):
    from consultations.services import segment_append

    transcript = make_transcript(clinician, [])
    segment_append(transcript=transcript, seq=20, text="Second thing said.")
    segment_append(transcript=transcript, seq=10, text="First thing said.")
    openai_stub.chat_replies.append(reply(subjective=[{"text": "Two things said.", "evidence": [10, 20, 1]}]))
    response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    sent = openai_stub.chat_requests()[-1].json["messages"][1]["content"]
    assert sent.index("[10] unknown: First") < sent.index("[20] unknown: Second")
    assert response.json()["statements"]["subjective"][0]["evidence"] == [10, 20]


def test_it_flags_numbers_doses_and_drugs_absent_from_the_transcript(openai_stub, clinician, client_for):
    transcript_text = "I take paracetamol 500 mg when needed.\nMy blood pressure was 140 over 90."
    openai_stub.chat_replies.append(
        reply(
            subjective=[{"text": "Takes paracetamol 500 mg as needed.", "evidence": [1]}],
            objective=[{"text": "BP 150/90.", "evidence": [2]}],
            plan=[{"text": "Start amlodipine 5 mg once daily; add atorvastatin.", "evidence": [2]}],
        )
    )
    response = client_for(clinician).post("/api/v1/ai/summary", {"transcript_text": transcript_text}, format="json")
    assert response.status_code == 200, response.content
    flags = {(f["kind"], f["value"], f["section"]) for f in response.json()["flags"]}
    assert ("number", "150", "objective") in flags
    assert ("dose", "5 mg", "plan") in flags
    assert ("drug", "amlodipine", "plan") in flags
    assert ("drug", "atorvastatin", "plan") in flags
    # What the transcript does say is not flagged.
    assert not any(value in ("paracetamol", "500 mg", "500", "90") for _, value, _ in flags)


def test_it_numbers_the_lines_of_a_transcript_saved_as_full_text(openai_stub, clinician, client_for, make_transcript):
    from consultations.services import transcript_text_replace

    transcript = make_transcript(clinician, ["Old segment."])
    transcript_text_replace(transcript=transcript, text="First line.\n\nSecond line.")
    openai_stub.chat_replies.append(reply(subjective=[{"text": "Two lines.", "evidence": [1, 2, 3]}]))
    response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert response.status_code == 200, response.content
    sent = openai_stub.chat_requests()[-1].json["messages"][1]["content"]
    assert sent == "Transcript:\n[1] First line.\n[2] Second line."
    assert response.json()["statements"]["subjective"][0]["evidence"] == [1, 2]
