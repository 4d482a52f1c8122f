"""Every AI call logs model, latency and token counts, never prompt or answer text."""

from __future__ import annotations

import json
import logging


def test_it_logs_usage_without_text(openai_stub, clinician, client_for, make_transcript, caplog):
    transcript = make_transcript(
        clinician, ["Mary reports crushing chest pain radiating left."], patient_data={"name": "Mary Smith"}
    )
    openai_stub.chat_replies.append(
        json.dumps(
            {
                "subjective": [{"text": "Crushing chest pain radiating left.", "evidence": [1]}],
                "objective": [],
                "assessment": [],
                "plan": [],
            }
        )
    )
    with caplog.at_level(logging.DEBUG):
        response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
        client_for(clinician).post("/api/v1/ai/search", {"query": "secret question about gout"}, format="json")
    assert response.status_code == 200
    calls = [r for r in caplog.records if r.getMessage() == "ai_call"]
    assert [c.task for c in calls] == ["summary", "search"]
    assert calls[0].model == "gpt-4o"
    assert (calls[0].prompt_tokens, calls[0].completion_tokens, calls[0].total_tokens) == (120, 45, 165)
    assert calls[0].latency_ms >= 0
    everything = "\n".join(
        r.getMessage() + json.dumps({k: str(v) for k, v in r.__dict__.items()}) for r in caplog.records
    )
    for secret in ("crushing", "Crushing", "Mary", "gout", "sk-scribe-test"):
        assert secret not in everything, secret


def test_it_logs_failed_calls_with_their_outcome(openai_stub, clinician, client_for, caplog):
    openai_stub.fail_status = 500
    with caplog.at_level(logging.INFO):
        client_for(clinician).post("/api/v1/ai/search", {"query": "gout"}, format="json")
    call = next(r for r in caplog.records if r.getMessage() == "ai_call")
    assert call.outcome == "InternalServerError"
