"""The deployed frontend's whole flow through the Node.js surface, at its exact paths,
asserting the keys and ``msg`` sentences of LEGACY_API.md; then the same records read
back through ``/api/v1``. The AI provider and the NHS terminology server are the
stub servers (real HTTP), nothing of Scribe is patched."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
TRANSCRIPT = "Patient: I have had a cough and a fever for three days.\nClinician: Your chest is clear."


def _keys(document: dict, *keys: str) -> None:
    missing = [key for key in keys if key not in document]
    assert not missing, f"missing keys {missing} in {sorted(document)}"


def test_it_serves_the_whole_frontend_flow(openai_stub, nhs_stub):
    client = APIClient()

    # Service root.
    root = client.get("/")
    assert root.status_code == 200
    assert root.json()["msg"] == "welcome to the server"
    _keys(root.json(), "message", "version")

    # Register (Node's 200), the email then taken (Node's 401).
    body = {
        "username": "drpriya",
        "email": "Priya@Example-Clinic.nhs.uk",
        "password": "a-Long-pass-123",
        "role": "clinician",
    }
    registered = client.post("/users/register", body, format="json")
    assert registered.status_code == 200, registered.content
    assert registered.json() == {"msg": "User has been registered"}
    again = client.post("/users/register", body, format="json")
    assert again.status_code == 401
    assert again.json()["msg"] == "User already exists"
    _keys(again.json(), "detail", "code", "request_id")

    # checkEmail on both paths.
    assert client.get("/users/checkEmail", {"email": "priya@example-clinic.nhs.uk"}).json() == {"available": False}
    assert client.get("/users/users/checkEmail", {"email": "nobody@example.org"}).json() == {"available": True}

    # Login: an unknown email and a wrong password are one answer.
    unknown = client.post("/users/login", {"email": "nobody@example.org", "password": "x"}, format="json")
    wrong = client.post("/users/login", {"email": "priya@example-clinic.nhs.uk", "password": "wrong"}, format="json")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["msg"] == wrong.json()["msg"]
    login = client.post(
        "/users/login", {"email": "priya@example-clinic.nhs.uk", "password": "a-Long-pass-123"}, format="json"
    )
    assert login.status_code == 200
    assert login.json()["msg"] == "login successful"
    token = login.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    # Profile.
    profile = client.get("/users/profile").json()
    assert profile["success"] is True
    assert profile["data"]["name"] == "drpriya"
    assert profile["data"]["email"] == "priya@example-clinic.nhs.uk"
    assert profile["data"]["role"] == "clinician"
    _keys(profile["data"], "createdAt")

    # Start.
    started = client.post(
        "/api/consultation/start", {"patient_data": {"name": "Alice Example", "age": 40}}, format="json"
    )
    assert started.status_code == 200, started.content
    assert started.json()["msg"] == "Consultation started"
    consultation = started.json()["data"]["consultation"]
    transcript = started.json()["data"]["transcript"]
    _keys(consultation, "_id", "clinician", "patient", "transcript", "notes", "started_at", "ended_at", "status")
    _keys(
        transcript,
        "_id",
        "clinician",
        "consultation",
        "transcript_text",
        "summary",
        "highlights",
        "prompt_used",
        "created_at",
        "updated_at",
    )
    assert consultation["status"] == "active"
    assert consultation["transcript"] == transcript["_id"]
    assert transcript["consultation"] == consultation["_id"]
    cid, tid = consultation["_id"], transcript["_id"]

    # update-text.
    missing = client.post("/api/transcript/update-text", {"transcript_id": tid}, format="json")
    assert missing.status_code == 400
    assert missing.json()["msg"] == "Missing data"
    updated = client.post(
        "/api/transcript/update-text", {"transcript_id": tid, "transcript_text": TRANSCRIPT}, format="json"
    )
    assert updated.status_code == 200
    assert updated.json()["msg"] == "Transcript updated"
    assert updated.json()["data"]["transcript_text"] == TRANSCRIPT

    # Notes: add, list, edit, delete.
    no_body = client.post(f"/api/notes/{cid}", {}, format="json")
    assert no_body.status_code == 400
    assert no_body.json()["msg"] == "Note body is required."
    first = client.post(f"/api/notes/{cid}", {"body": "Safety-net advice given.", "transcriptId": tid}, format="json")
    assert first.status_code == 201
    assert first.json()["msg"] == "Note added successfully."
    note = first.json()["note"]
    _keys(note, "_id", "clinician", "transcript", "consultation", "body", "created_at", "updated_at")
    assert (note["consultation"], note["transcript"]) == (cid, tid)
    second = client.post(f"/api/notes/{cid}", {"body": "Review in a week."}, format="json").json()["note"]
    listed = client.get(f"/api/notes/{cid}").json()
    assert listed["count"] == 2
    assert [n["_id"] for n in listed["notes"]] == [second["_id"], note["_id"]]  # newest first
    assert listed["notes"][0]["clinician"]["username"] == "drpriya"
    _keys(listed["notes"][0]["clinician"], "_id", "username", "email")
    edited = client.patch(f"/api/notes/{note['_id']}", {"body": "Safety-net advice given; leaflet."}, format="json")
    assert edited.status_code == 200
    assert edited.json()["msg"] == "Note updated."
    assert edited.json()["note"]["body"] == "Safety-net advice given; leaflet."
    deleted = client.delete(f"/api/notes/{second['_id']}")
    assert deleted.json() == {"msg": "Note deleted successfully."}
    gone = client.patch(f"/api/notes/{second['_id']}", {"body": "x"}, format="json")
    assert gone.status_code == 404
    assert gone.json()["msg"] == "Note not found."

    # Prompts: create, list, edit, link, and a second one deleted.
    created = client.post(
        "/api/prompts",
        {"prompt_name": "Short SOAP", "prompt_text": "Write a short SOAP note.", "is_shareable": True},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["msg"] == "Prompt created successfully"
    prompt = created.json()["data"]
    _keys(
        prompt,
        "_id",
        "prompt_name",
        "prompt_text",
        "is_shareable",
        "is_deleted",
        "clinician",
        "transcript_ids",
        "created_at",
        "updated_at",
    )
    doomed = client.post("/api/prompts", {"prompt_name": "Old", "prompt_text": "Old text."}, format="json").json()[
        "data"
    ]
    prompts = client.get("/api/prompts").json()["prompts"]
    assert [p["_id"] for p in prompts] == [doomed["_id"], prompt["_id"]]
    patched = client.patch(
        f"/api/prompts/{prompt['_id']}",
        {"prompt_name": "Short SOAP note", "clinician": "someone", "is_deleted": True},
        format="json",
    )
    assert patched.status_code == 200
    assert patched.json()["msg"] == "Prompt updated"
    assert patched.json()["data"]["prompt_name"] == "Short SOAP note"
    assert patched.json()["data"]["is_deleted"] is False  # only the three fields are taken
    linked = client.patch(f"/api/prompts/{prompt['_id']}/add-prompt/{tid}")
    assert linked.status_code == 200
    assert linked.json()["msg"] == "Prompt linked to transcript successfully"
    assert linked.json()["data"]["prompt_used"]["_id"] == prompt["_id"]
    assert client.get("/api/prompts").json()["prompts"][-1]["transcript_ids"] == [tid]
    assert client.delete(f"/api/prompts/{doomed['_id']}").json() == {"msg": "Prompt deleted successfully"}
    assert [p["_id"] for p in client.get("/api/prompts").json()["prompts"]] == [prompt["_id"]]

    # End: summary with the prompt, verified highlights.
    unknown_prompt = client.post(f"/api/consultation/{cid}/end", {"prompt_used": doomed["_id"]}, format="json")
    assert unknown_prompt.status_code == 404
    assert unknown_prompt.json()["msg"] == "Prompt not found"
    ended = client.post(f"/api/consultation/{cid}/end", {"prompt_used": prompt["_id"]}, format="json")
    assert ended.status_code == 200, ended.content
    answer = ended.json()
    assert answer["msg"] == "Consultation ended successfully"
    assert answer["summary"].startswith("Subjective:")
    assert [(h["term"], h["possible_snomed"], h["verified"]) for h in answer["highlights"]] == [
        ("Cough", "49727002", True),
        ("Fever", "12345678", False),
    ]
    assert answer["highlights"][0]["display"] == "Cough"
    assert answer["highlights"][0]["evidence"] == [1]
    assert answer["transcript"]["summary"] == answer["summary"]
    assert answer["transcript"]["highlights"] == answer["highlights"]
    # The clinician's prompt was the one sent to the model.
    summary_call = [
        r for r in openai_stub.chat_requests() if r.json["response_format"]["json_schema"]["name"] == "soap_summary"
    ]
    assert summary_call[-1].json["messages"][0]["content"].startswith("Write a short SOAP note.")

    # Get one, populated.
    one = client.get(f"/api/consultation/{cid}")
    assert one.status_code == 200
    document = one.json()["consultation"]
    assert document["status"] == "ended"
    assert document["ended_at"] is not None
    _keys(document["clinician"], "_id", "username", "email")
    assert document["transcript"]["prompt_used"]["prompt_name"] == "Short SOAP note"
    _keys(document["transcript"]["prompt_used"], "_id", "prompt_name", "prompt_text", "createdAt")
    assert [n["body"] for n in document["notes"]] == ["Safety-net advice given; leaflet."]
    _keys(document["notes"][0], "_id", "body", "createdAt", "clinician")
    assert document["transcript"]["highlights"] == answer["highlights"]

    # The transcript by consultation, and the list.
    bare = client.get(f"/api/transcript/{cid}").json()
    assert bare["_id"] == tid
    assert bare["transcript_text"] == TRANSCRIPT
    later = client.post("/api/consultation/start", {"patient_data": {"name": "Bob Example"}}, format="json").json()
    listed = client.get("/api/consultation").json()["consultations"]
    assert [c["_id"] for c in listed] == [later["data"]["consultation"]["_id"], cid]

    # Search, codes, summarise, analyze.
    assert client.post("/api/ai/search").json()["error"] == "Query is required"
    searched = client.post("/api/ai/search?query=What%20is%20asthma%3F")
    assert searched.status_code == 200
    assert searched.json()["query"] == "What is asthma?"
    _keys(searched.json(), "answer")
    assert client.post("/api/ai/search", {"query": "Asthma?"}, format="json").json()["query"] == "Asthma?"
    codes = client.get("/api/ai/search/clinicalcodes", {"name": "asthma"}).json()
    assert (codes["name"], codes["code"], codes["url"]) == ("Asthma", "195967001", "http://snomed.info/sct")
    assert codes["matches"][0]["code"] == "195967001"
    later_id = later["data"]["consultation"]["_id"]
    client.post(
        "/api/transcript/update-text",
        {"transcript_id": later["data"]["transcript"]["_id"], "transcript_text": "Patient: sore throat."},
        format="json",
    )
    summarised = client.post(f"/api/ai/{later_id}/summarise", {"usedPrompt": "Be brief."}, format="json")
    assert summarised.status_code == 200, summarised.content
    assert summarised.json()["msg"] == "SOAP summary generated successfully"
    assert summarised.json()["consultationId"] == later_id
    assert summarised.json()["soapSummary"].startswith("Subjective:")
    assert client.get(f"/api/transcript/{later_id}").json()["summary"] == summarised.json()["soapSummary"]
    analysed = client.post(
        "/api/ai/analyze", {"prompt": "What is this?", "images": [base64.b64encode(PNG_1X1).decode()]}, format="json"
    )
    assert analysed.status_code == 200, analysed.content
    assert analysed.json()["status"] == "ok"
    _keys(analysed.json(), "response")

    # The same records through /api/v1.
    v1 = client.get(f"/api/v1/consultations/{cid}").json()
    assert v1["status"] == "ended"
    assert v1["transcript"] == tid
    assert v1["current_summary"]["highlights"] == answer["highlights"]
    v1_transcript = client.get(f"/api/v1/transcripts/{tid}").json()
    assert v1_transcript["transcript_text"] == TRANSCRIPT
    assert v1_transcript["prompt_used"] == prompt["_id"]
    assert v1_transcript["highlights"] == answer["highlights"]
    assert [n["id"] for n in client.get("/api/v1/notes", {"consultation": cid}).json()["results"]] == [note["_id"]]
    assert client.get(f"/api/v1/prompts/{prompt['_id']}").json()["prompt_name"] == "Short SOAP note"

    # Logout: the token stops working, with Node's sentence.
    out = client.post("/users/logout")
    assert out.json() == {"msg": "user logged out successfully"}
    after = client.get("/users/profile")
    assert after.status_code == 401
    assert after.json()["msg"] == "Session logged out. Please log in again."
