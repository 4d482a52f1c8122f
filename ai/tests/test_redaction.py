"""Identifiers are replaced before anything leaves for the model and put back in the answer."""

from __future__ import annotations

import json

IDENTIFIERS = [
    "943 476 5919",  # NHS number
    "mary.jones@example.com",
    "07700 900123",
    "+44 (0)20 7946 0018",
    "SW1A 1AA",
    "Mary",
    "Jones",
]


def test_it_redacts_a_transcript_and_restores_the_summary(openai_stub, clinician, client_for, make_transcript):
    transcript = make_transcript(
        clinician,
        [
            ("patient", "I'm Mary Jones, NHS number 943 476 5919, I live at SW1A 1AA."),
            ("patient", "Call me on 07700 900123 or +44 (0)20 7946 0018, or mary.jones@example.com."),
            ("clinician", "Thanks Mary. How is the asthma?"),
        ],
        patient_data={"name": "Mary Jones", "nhs_number": "9434765919"},
    )

    def answer(request):
        sent = request["messages"][1]["content"]
        name = sent[sent.index("I'm ") + 4 : sent.index(",")]  # the name placeholder as the model saw it
        return json.dumps(
            {
                "subjective": [{"text": f"{name} reports asthma; contact [PHONE_1].", "evidence": [1, 2, 3]}],
                "objective": [],
                "assessment": [],
                "plan": [{"text": "Letter to [POSTCODE_1].", "evidence": [1]}],
            }
        )

    openai_stub.chat_replies.append(answer)
    response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert response.status_code == 200, response.content
    sent = json.dumps(openai_stub.chat_requests()[-1].json)
    for identifier in IDENTIFIERS:
        assert identifier not in sent, identifier
    assert "[NHS_NUMBER_1]" in sent
    assert "[EMAIL_1]" in sent
    assert "[POSTCODE_1]" in sent
    assert "[2] patient:" in sent
    assert "[3] clinician:" in sent
    body = response.json()
    assert body["summary"]["subjective"] == "Mary Jones reports asthma; contact 07700 900123."
    assert body["summary"]["plan"] == "Letter to SW1A 1AA."
    assert body["redacted_identifiers"] >= 6


def test_it_redacts_search_queries(openai_stub, patient, client_for):
    openai_stub.chat_replies.append("Information about [NHS_NUMBER_1] is not needed.")
    response = client_for(patient).post(
        "/api/v1/ai/search", {"query": "My NHS number is 485 777 3456, what is eczema?"}, format="json"
    )
    assert response.status_code == 200
    assert "485 777 3456" not in json.dumps(openai_stub.chat_requests()[-1].json)
    assert response.json()["answer"] == "Information about 485 777 3456 is not needed."


def test_it_sends_identifiers_when_redaction_is_switched_off(openai_stub, settings, clinician, client_for):
    settings.AI_REDACT_IDENTIFIERS = False
    client_for(clinician).post("/api/v1/ai/summary", {"transcript_text": "Email a@example.com"}, format="json")
    assert "a@example.com" in json.dumps(openai_stub.chat_requests()[-1].json)


def test_it_redacts_each_half_of_a_double_barrelled_name(openai_stub, clinician, client_for, make_transcript):
    transcript = make_transcript(
        clinician,
        [("clinician", "Good morning Mrs Smith."), ("patient", "Morning. Mrs O'Brien is my mother-in-law.")],
        patient_data={"name": "Mary O'Brien-Smith"},
    )
    response = client_for(clinician).post(f"/api/v1/transcripts/{transcript.pk}/summarize", {}, format="json")
    assert response.status_code == 200, response.content
    sent = openai_stub.chat_requests()[-1].json["messages"][1]["content"]
    assert "Smith" not in sent
    assert "O'Brien" not in sent
    assert "mother-in-law" in sent  # a hyphenated word that is not the name stays


def test_it_redacts_the_prompt_of_an_image_analysis(openai_stub, clinician, client_for):
    from ai.tests.test_images import PNG_DATA_URL

    openai_stub.chat_replies.append("The rash of [NHS_NUMBER_1] looks eczematous.")
    response = client_for(clinician).post(
        "/api/v1/ai/images",
        {"prompt": "Rash of patient 943 476 5919, email a.b@example.com.", "images": [PNG_DATA_URL]},
        format="json",
    )
    assert response.status_code == 200, response.content
    sent = json.dumps(openai_stub.chat_requests()[-1].json)
    assert "943 476 5919" not in sent
    assert "a.b@example.com" not in sent
    assert response.json()["answer"] == "The rash of 943 476 5919 looks eczematous."


def test_it_redacts_nhs_numbers_grouped_unusually_when_the_check_digit_holds(openai_stub, clinician, client_for):
    openai_stub.chat_replies.append("[NHS_NUMBER_1], [NHS_NUMBER_2] and [NHS_NUMBER_3] are on file.")
    # 6597 925 270: remainder 0, the check digit 0 case.
    query = "NHS numbers 943 4765 919, 40-1023-2137 and 6597 925 270; order 1234 567 890, code 4010 232 138."
    response = client_for(clinician).post("/api/v1/ai/search", {"query": query}, format="json")
    assert response.status_code == 200, response.content
    sent = openai_stub.chat_requests()[-1].json["messages"][1]["content"]
    # Ten digits that fail the modulus-11 check are ordinary numbers and go as written.
    assert sent == (
        "NHS numbers [NHS_NUMBER_1], [NHS_NUMBER_2] and [NHS_NUMBER_3]; order 1234 567 890, code 4010 232 138."
    )
    assert response.json()["answer"] == "943 4765 919, 40-1023-2137 and 6597 925 270 are on file."
