"""Long consultations are summarised in parts and merged, never silently truncated."""

from __future__ import annotations

import json


def test_it_summarises_a_long_transcript_in_parts_and_merges_them(
    openai_stub, clinician, client_for, make_transcript, settings
):
    settings.AI_MAX_INPUT_TOKENS = 1_000  # ~4,000 characters per request
    lines = [f"Line {n}: the patient describes symptom number {n} in some detail." * 3 for n in range(1, 121)]
    transcript = make_transcript(clinician, lines)

    def merge_reply(request):
        # The merge call gets the part summaries; cite the first and the last segment.
        parts = json.loads(request["messages"][1]["content"])["parts"]
        assert len(parts) >= 2
        return json.dumps(
            {
                "subjective": [{"text": "Many symptoms described.", "evidence": [1, 120]}],
                "objective": [],
                "assessment": [],
                "plan": [],
            }
        )

    response_holder = {}

    def reply(request):
        if "Merge them" in request["messages"][0]["content"]:
            response_holder["merged"] = True
            return merge_reply(request)
        from scribe.testing.openai_stub import default_soap_reply

        return default_soap_reply(request)

    openai_stub.chat_replies += [reply] * 50
    response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    chats = openai_stub.chat_requests()
    part_calls = [c for c in chats if "This is part" in c.json["messages"][0]["content"]]
    assert body["parts"] == len(part_calls) >= 3
    assert response_holder.get("merged") is True
    # Every segment was sent in some part; none was dropped.
    sent = "\n".join(c.json["messages"][1]["content"] for c in part_calls)
    assert all(f"[{n}] " in sent for n in range(1, 121))
    # Each request stayed within the budget (chars/4 estimate).
    assert all(len(json.dumps(c.json["messages"])) / 4 <= 1_100 for c in part_calls)
    assert body["statements"]["subjective"][0]["evidence"] == [1, 120]


def test_it_uses_one_part_when_the_transcript_fits(openai_stub, clinician, client_for, make_transcript):
    transcript = make_transcript(clinician, ["Short consultation."])
    response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert response.json()["parts"] == 1
    assert len(openai_stub.chat_requests()) == 1
