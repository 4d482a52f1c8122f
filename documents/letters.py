"""Letter templates and the AI drafting of their bodies.

The model writes only the body, from the note's SOAP sections with identifiers
redacted (``ai.redaction``); the template around it (salutation, the patient's
identifiers, sign-off) is filled in here, so names and NHS numbers never leave
Scribe for a letter. The model is called through ``ai.client`` with the same
checks as every AI call: provider configured (503), then a quota slot (429).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from ai import client
from ai.quota import quota_use
from ai.redaction import Redactor
from documents.models import DocumentKind

REFERRAL_INSTRUCTIONS = (
    "You are a UK NHS GP writing the body of a referral letter to a colleague. From the consultation "
    "note below, write 2-4 short paragraphs: the reason for referral, the relevant history and "
    "findings, what has been tried, and the question for the specialist. British English, clinical "
    "and concise. No salutation, no sign-off, no patient identifiers (keep any [PLACEHOLDER] as it "
    "is). Do not invent facts that are not in the note."
)
PATIENT_SUMMARY_INSTRUCTIONS = (
    "You are a UK NHS GP writing to a patient after their appointment. From the consultation note "
    "below, explain in plain language (reading age about 11, short sentences, no jargon; explain "
    "any medical word you must use) what was found, what it means and what happens next, including "
    "any medicine and when to come back. 2-4 short paragraphs. No salutation, no sign-off (keep any "
    "[PLACEHOLDER] as it is). Do not invent facts that are not in the note."
)

SAFETY_NET = "If you feel worse or you are worried, contact the practice or call NHS 111. In an emergency call 999."


def _note_text(sections: dict[str, str]) -> str:
    return "\n\n".join(f"{heading.capitalize()}:\n{text}" for heading, text in sections.items() if text)


def letter_template(
    *, kind: str, body: str, patient: dict[str, Any], clinician_name: str, date: str, recipient: str = ""
) -> str:
    name = str(patient.get("name") or "the patient")
    if kind == DocumentKind.REFERRAL_LETTER:
        ids = [name]
        if patient.get("date_of_birth"):
            ids.append(f"DOB {patient['date_of_birth']}")
        if patient.get("nhs_number"):
            ids.append(f"NHS number {patient['nhs_number']}")
        return (
            f"{date}\n\nDear {recipient or 'Colleague'},\n\nRe: {', '.join(ids)}\n\n{body.strip()}\n\n"
            f"Yours sincerely,\n\n{clinician_name}\n{settings.PRACTICE_NAME}"
        )
    return (
        f"{date}\n\nDear {name},\n\nThank you for coming to see us. This is a summary of your appointment.\n\n"
        f"{body.strip()}\n\n{SAFETY_NET}\n\nWith best wishes,\n\n{clinician_name}\n{settings.PRACTICE_NAME}"
    )


def letter_body_draft(
    *, user: Any, kind: str, sections: dict[str, str], patient: dict[str, Any], reason: str = ""
) -> tuple[str, str]:
    """The AI's draft of a letter body: ``(body, model)``. Raises the AI client's
    errors (503 not configured, 429 quota, 502/504 provider failures)."""
    client.provider_check()
    redactor = Redactor(patient_data=patient)
    instructions = REFERRAL_INSTRUCTIONS if kind == DocumentKind.REFERRAL_LETTER else PATIENT_SUMMARY_INSTRUCTIONS
    note = redactor.redact(_note_text(sections))
    if reason:
        note += "\n\nThe clinician's reason for this letter: " + redactor.redact(reason)
    with quota_use(user=user, operation=f"letter_{kind}"[:32]):
        result = client.chat_text(
            task=f"letter_{kind}",
            messages=[{"role": "system", "content": instructions}, {"role": "user", "content": note}],
        )
    return redactor.restore(result.text), result.model
