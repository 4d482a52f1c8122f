"""SOAP summaries: structured output, the prompt used, versions kept on the transcript."""

from __future__ import annotations

import json

from consultations.models import Summary
from consultations.services import prompt_create

SUMMARY_URL = "/api/v1/ai/summary"


def summarize_url(transcript) -> str:
    return f"/api/v1/transcripts/{transcript.pk}/summarize"


def soap(**sections) -> str:
    base = {name: [] for name in ("subjective", "objective", "assessment", "plan")}
    base.update(sections)
    return json.dumps(base)


def test_it_summarises_text_with_structured_output_and_the_builtin_prompt(openai_stub, clinician, client_for):
    openai_stub.chat_replies.append(
        soap(
            subjective=[{"text": "Cough for three days.", "evidence": [1]}],
            plan=[{"text": "Rest and fluids.", "evidence": [2]}],
        )
    )
    response = client_for(clinician).post(
        SUMMARY_URL, {"transcript_text": "I have had a cough for three days.\nRest and drink fluids."}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["summary"] == {
        "subjective": "Cough for three days.",
        "objective": "",
        "assessment": "",
        "plan": "Rest and fluids.",
    }
    assert (
        body["text"] == "Subjective:\n- Cough for three days.\n\nObjective:\n\nAssessment:\n\nPlan:\n- Rest and fluids."
    )
    assert body["model"] == "gpt-4o"
    assert body["prompt_used"] is None
    assert body["summary_id"] is None  # free text is not stored anywhere
    sent = openai_stub.chat_requests()[-1].json
    assert sent["model"] == "gpt-4o"
    assert sent["response_format"]["type"] == "json_schema"
    schema = sent["response_format"]["json_schema"]["schema"]
    assert schema["required"] == ["subjective", "objective", "assessment", "plan"]
    assert "UK National Health Service" in sent["messages"][0]["content"]
    assert "[1] I have had a cough for three days." in sent["messages"][1]["content"]


def test_it_stores_summaries_as_versions_on_the_transcript(openai_stub, clinician, client_for, make_transcript):
    transcript = make_transcript(clinician, [("patient", "My chest hurts."), ("clinician", "Since when?")])
    client = client_for(clinician)
    openai_stub.chat_replies += [
        soap(subjective=[{"text": "Chest pain.", "evidence": [1]}]),
        soap(subjective=[{"text": "Chest pain, onset asked.", "evidence": [1, 2]}]),
    ]
    first = client.post(summarize_url(transcript), {}, format="json")
    second = client.post(summarize_url(transcript), format="json")
    assert first.status_code == 200, first.content
    assert second.status_code == 200, second.content
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    versions = list(Summary.objects.filter(transcript=transcript).order_by("version"))
    assert [v.content["subjective"] for v in versions] == ["Chest pain.", "Chest pain, onset asked."]
    assert versions[1].model == "gpt-4o"
    assert versions[1].content["statements"]["subjective"][0]["evidence"] == [1, 2]
    assert second.json()["summary_id"] == str(versions[1].pk)
    sent = openai_stub.chat_requests()[-1].json["messages"][1]["content"]
    assert "[1] patient: My chest hurts." in sent
    assert "[2] clinician: Since when?" in sent


def test_it_summarises_a_transcript_by_id_through_ai_summary(openai_stub, clinician, client_for, make_transcript):
    transcript = make_transcript(clinician, ["Headache since Monday."])
    response = client_for(clinician).post(SUMMARY_URL, {"transcript_id": str(transcript.pk)}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1
    assert Summary.objects.filter(transcript=transcript).count() == 1


def test_it_uses_the_clinicians_own_prompt(openai_stub, clinician, client_for, make_transcript):
    transcript = make_transcript(clinician, ["Knee pain."])
    prompt = prompt_create(owner=clinician, name="Ortho", text="Write an orthopaedic SOAP note.")
    response = client_for(clinician).post(summarize_url(transcript), {"prompt_id": str(prompt.pk)}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["prompt_used"] == {"id": str(prompt.pk), "prompt_name": "Ortho"}
    assert response.json()["prompt_source"] == "prompt"
    system = openai_stub.chat_requests()[-1].json["messages"][0]["content"]
    assert system.startswith("Write an orthopaedic SOAP note.")
    assert "UK National Health Service" not in system
    assert Summary.objects.get(transcript=transcript).prompt_id == prompt.pk


def test_it_uses_another_clinicians_shareable_prompt(
    openai_stub, clinician, other_clinician, client_for, make_transcript
):
    transcript = make_transcript(clinician, ["Knee pain."])
    shared = prompt_create(owner=other_clinician, name="Shared", text="Shared template.", is_shareable=True)
    response = client_for(clinician).post(summarize_url(transcript), {"prompt_id": str(shared.pk)}, format="json")
    assert response.status_code == 200, response.content
    assert openai_stub.chat_requests()[-1].json["messages"][0]["content"].startswith("Shared template.")


def test_it_refuses_another_clinicians_private_prompt_as_not_found(
    openai_stub, clinician, other_clinician, client_for, make_transcript
):
    transcript = make_transcript(clinician, ["Knee pain."])
    private = prompt_create(owner=other_clinician, name="Mine", text="Secret template.")
    client = client_for(clinician)
    for url, body in [
        (summarize_url(transcript), {}),
        (SUMMARY_URL, {"transcript_id": str(transcript.pk)}),
        (SUMMARY_URL, {"transcript_text": "Knee pain."}),
    ]:
        refused = client.post(url, {**body, "prompt_id": str(private.pk)}, format="json")
        missing = client.post(url, {**body, "prompt_id": "99999999"}, format="json")
        assert refused.status_code == missing.status_code == 404, url
        # Exactly the answer a prompt that does not exist gets: its existence is not revealed.
        assert {k: v for k, v in refused.json().items() if k != "request_id"} == {
            k: v for k, v in missing.json().items() if k != "request_id"
        }
        assert "Secret" not in refused.content.decode()
    assert openai_stub.chat_requests() == []
    assert not Summary.objects.filter(transcript=transcript).exists()


def test_it_accepts_prompt_text_on_ai_summary(openai_stub, clinician, client_for):
    response = client_for(clinician).post(
        SUMMARY_URL, {"transcript_text": "Sore throat.", "prompt_text": "Be brief."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["prompt_used"] is None
    assert response.json()["prompt_source"] == "prompt_text"
    system = openai_stub.chat_requests()[-1].json["messages"][0]["content"]
    assert system.startswith("Be brief.")
    assert "UK National Health Service" not in system
    assert "segment number" in system  # the evidence rules are always added


def test_it_keeps_the_prompt_text_used_on_the_stored_version(openai_stub, clinician, client_for, make_transcript):
    transcript = make_transcript(clinician, ["Sore throat."])
    client = client_for(clinician)
    response = client.post(
        SUMMARY_URL, {"transcript_id": str(transcript.pk), "prompt_text": "Be brief."}, format="json"
    )
    assert response.status_code == 200, response.content
    stored = Summary.objects.get(transcript=transcript)
    assert stored.prompt_id is None
    assert stored.content["prompt_text"] == "Be brief."
    builtin = client.post(summarize_url(transcript), {}, format="json")
    assert builtin.json()["prompt_source"] == "builtin"
    assert "prompt_text" not in Summary.objects.get(transcript=transcript, version=2).content


def test_it_rejects_bad_summary_input(openai_stub, clinician, client_for, make_transcript):
    client = client_for(clinician)
    transcript = make_transcript(clinician, [])
    cases = [
        {},
        {"transcript_text": "x", "transcript_id": "1"},
        {"transcript_text": "x", "prompt_id": "1", "prompt_text": "y"},
        {"transcript_text": "x", "surprise": True},
        {"transcript_text": "   "},
    ]
    for body in cases:
        response = client.post(SUMMARY_URL, body, format="json")
        assert response.status_code == 400, body
        assert response.json()["code"] in ("invalid", "transcript_empty")
    empty = client.post(summarize_url(transcript), {}, format="json")
    assert empty.status_code == 400
    assert empty.json()["code"] == "transcript_empty"
    assert openai_stub.chat_requests() == []
