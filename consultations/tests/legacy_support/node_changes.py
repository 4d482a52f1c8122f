"""The scripted Node.js changes the sync tests apply to a copy of the node-dump: every kind
of change a clinician made through the Node.js backend after an import."""

from __future__ import annotations

import datetime as dt

from bson import ObjectId

from consultations.tests.legacy_support.node_dump import NODE_MANIFEST

LATER = dt.datetime(2025, 10, 25, 9, 30, tzinfo=dt.UTC)
LEO = next(u for u in NODE_MANIFEST["users"] if u["username"] == "dr_leo2")
NEW_CONSULTATION = ObjectId("68fc9a000000000000000001")
NEW_TRANSCRIPT = ObjectId("68fc9a000000000000000002")
NEW_NOTE = ObjectId("68fc9a000000000000000003")
NEW_BLACKTOKEN = ObjectId("68fc9a000000000000000004")
SUMMARY = "**Subjective:** Cough.\n\n**Objective:** Chest clear.\n\n**Assessment:** Viral.\n\n**Plan:** Rest."


def _g3(docs, collection):
    return [d for d in docs[collection] if NODE_MANIFEST["generation_of"].get(str(d["_id"])) == "g3"]


def _picks(docs):
    """The documents the script changes (fixed: the first of each kind in the dump)."""
    transcripts = {d["_id"]: d for d in docs["transcripts"]}
    consultations = _g3(docs, "consultations")
    saved = next(
        c for c in consultations if c["status"] == "ended" and transcripts[c["transcript"]].get("transcript_text")
    )
    ending = next(
        c for c in consultations if c["status"] == "active" and not transcripts[c["transcript"]].get("summary")
    )
    notes = [n for n in _g3(docs, "notes") if n.get("consultation") in {c["_id"] for c in consultations}]
    prompt = next(p for p in docs["prompts"] if not p["is_deleted"] and p["clinician"] == ObjectId(LEO["id"]))
    return {
        "saved": transcripts[saved["transcript"]],
        "ending": ending,
        "ending_transcript": transcripts[ending["transcript"]],
        "edited_note": notes[0],
        "deleted_note": notes[1],
        "prompt": prompt,
    }


def script(token: str):
    """What clinicians did in Node.js after the import: every kind of change the sync handles."""

    def change(docs):
        picks = _picks(docs)
        # Text saved with update-text.
        picks["saved"]["transcript_text"] = "Clinician: How is the cough?\n\nPatient: Better, thank you.  "
        picks["saved"]["updated_at"] = LATER
        # A consultation ended, its transcript summarised.
        picks["ending"].update(status="ended", ended_at=LATER)
        picks["ending_transcript"].update(summary=SUMMARY, updated_at=LATER)
        # A note edited, another deleted.
        picks["edited_note"].update(body="Edited in Node.js after the import", updated_at=LATER)
        docs["notes"].remove(picks["deleted_note"])
        # A prompt soft-deleted.
        picks["prompt"].update(is_deleted=True, updated_at=LATER)
        # A new consultation with its transcript and a note.
        docs["consultations"].append(
            {
                "_id": NEW_CONSULTATION,
                "clinician": ObjectId(LEO["id"]),
                "patient": {"name": "New Patient", "age": 40},
                "transcript": NEW_TRANSCRIPT,
                "notes": [NEW_NOTE],
                "started_at": LATER,
                "ended_at": None,
                "status": "active",
                "__v": 1,
            }
        )
        docs["transcripts"].append(
            {
                "_id": NEW_TRANSCRIPT,
                "clinician": ObjectId(LEO["id"]),
                "consultation": NEW_CONSULTATION,
                "transcript_text": "Clinician: Hello.\nPatient: Hi.",
                "created_at": LATER,
                "updated_at": LATER,
                "__v": 0,
            }
        )
        docs["notes"].append(
            {
                "_id": NEW_NOTE,
                "clinician": ObjectId(LEO["id"]),
                "transcript": NEW_TRANSCRIPT,
                "consultation": NEW_CONSULTATION,
                "body": "New note",
                "created_at": LATER,
                "updated_at": LATER,
            }
        )
        # A logout.
        docs["blacktokens"].append({"_id": NEW_BLACKTOKEN, "blackToken": token})

    return change
