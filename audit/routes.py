"""Which routes touch patient data, and what each records (model, ids from the URL, action).

One table for both faces and the admin, read by ``AuditMiddleware`` after the view ran.
An id is taken from the URL as the client sent it (Scribe's pk or a Node.js ``_id``);
a created object's id from the answer. Prompts (templates) and accounts are not patient
data and are not here; clinical codes lookups send a term, not patient text.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    model: str
    object_kwarg: str | None = None  # the URL kwarg holding the object's id
    consultation_kwarg: str | None = None  # the URL kwarg holding its consultation's id
    actions: dict[str, str] = field(default_factory=dict)  # method -> action, over the defaults


DEFAULT_ACTIONS = {
    "GET": "read",
    "HEAD": "read",
    "POST": "create",
    "PUT": "update",
    "PATCH": "update",
    "DELETE": "delete",
}

CONSULTATION = Rule("consultation", object_kwarg="pk", consultation_kwarg="pk")
CONSULTATIONS = Rule("consultation", actions={"GET": "list"})
TRANSCRIPT = Rule("transcript", object_kwarg="pk")
NOTE = Rule("note", object_kwarg="pk")
DOCUMENT = Rule("document", consultation_kwarg="pk")
AI = Rule("ai", actions={"POST": "ai", "GET": "ai"})

ROUTES: dict[str, Rule | dict[str, Rule]] = {
    # /api/v1
    "consultation-list": CONSULTATIONS,
    "consultation-start": Rule("consultation"),
    "consultation-detail": CONSULTATION,
    "consultation-end": Rule("consultation", "pk", "pk", {"POST": "update"}),
    "transcript-detail": TRANSCRIPT,
    "transcript-prompt": TRANSCRIPT,
    "transcript-segments": Rule("transcript", "pk", actions={"POST": "update"}),
    "transcript-sign": Rule("transcript", "pk", actions={"POST": "sign"}),
    "transcript-ai-summarize": Rule("transcript", "pk", actions={"POST": "ai"}),
    "note-list": Rule("note", actions={"GET": "list"}),
    "note-detail": NOTE,
    "ai-search": AI,
    "ai-summary": AI,
    "ai-transcribe": AI,
    "ai-images": AI,
    "questionnaire-link": Rule("questionnaire", actions={"POST": "create"}),
    "consultation-questionnaires-questionnaire-links": Rule("questionnaire_link", consultation_kwarg="pk"),
    "consultation-questionnaires-questionnaires": Rule(
        "questionnaire", consultation_kwarg="pk", actions={"GET": "list"}
    ),
    "questionnaire-list": Rule("questionnaire", actions={"GET": "list"}),
    "questionnaire-awaiting-review": Rule("questionnaire", actions={"GET": "list"}),
    "questionnaire-history": Rule("questionnaire", actions={"GET": "list"}),
    "questionnaire-detail": Rule("questionnaire", "pk"),
    "questionnaire-review": Rule("questionnaire", "pk", actions={"POST": "update"}),
    "consultation-documents-letter": DOCUMENT,
    "consultation-documents-letter-draft": Rule("document", consultation_kwarg="pk", actions={"POST": "ai"}),
    "consultation-documents-letter-pdf": Rule("document", consultation_kwarg="pk", actions={"GET": "export"}),
    "consultation-documents-note-pdf": Rule("document", consultation_kwarg="pk", actions={"GET": "export"}),
    "consultation-documents-upload": Rule("document", consultation_kwarg="pk", actions={"POST": "export"}),
    # The Node.js face
    "node-consultation-start": Rule("consultation"),
    "node-consultation-end": Rule("consultation", "pk", "pk", {"POST": "update"}),
    "node-consultation-detail": CONSULTATION,
    "node-consultation-list": CONSULTATIONS,
    "node-transcript-update-text": Rule("transcript", actions={"POST": "update"}),
    "node-transcript": Rule("transcript", consultation_kwarg="pk"),
    "node-notes": {
        "GET": Rule("note", consultation_kwarg="pk", actions={"GET": "list"}),
        "POST": Rule("note", consultation_kwarg="pk"),
        "PATCH": NOTE,
        "DELETE": NOTE,
    },
    "node-prompt-link": Rule("transcript", "transcript_pk", actions={"PATCH": "update"}),
    "node-ai-search": AI,
    "node-ai-analyze": AI,
    "node-ai-summarise": Rule("transcript", consultation_kwarg="pk", actions={"POST": "ai"}),
    # Machine clients with an API key (service_api): signed summaries, read by a service account
    "service-summary-list": Rule("summary", actions={"GET": "list"}),
    "service-summary-detail": Rule("summary", "pk"),
}

# The admin's views of patient-data models ("admin:<app>_<model>_<view>").
ADMIN_MODELS = {
    "consultations_consultation": "consultation",
    "consultations_transcript": "transcript",
    "consultations_segment": "segment",
    "consultations_summary": "summary",
    "consultations_note": "note",
    "questionnaires_questionnaireresponse": "questionnaire",
    "questionnaires_questionnairelink": "questionnaire_link",
    "documents_document": "document",
    "documents_driveupload": "document_upload",
}
ADMIN_VIEWS = {
    "changelist": {"GET": "list", "POST": "update"},  # POST: a bulk action
    "add": {"GET": "read", "POST": "create"},
    "change": {"GET": "read", "POST": "update"},
    "delete": {"GET": "read", "POST": "delete"},
    "history": {"GET": "read"},
}


def rule_for(url_name: str | None, namespace: str, method: str) -> tuple[Rule, str] | None:
    """The rule and the action for one resolved request, or None when it is not audited."""
    if namespace == "admin":
        return _admin_rule(url_name or "", method)
    entry = ROUTES.get(url_name or "")
    if entry is None:
        return None
    rule = entry.get(method) if isinstance(entry, dict) else entry
    if rule is None:
        return None
    action = rule.actions.get(method) or DEFAULT_ACTIONS.get(method)
    return (rule, action) if action else None


def _admin_rule(url_name: str, method: str) -> tuple[Rule, str] | None:
    for prefix, model in ADMIN_MODELS.items():
        if url_name.startswith(prefix + "_"):
            action = ADMIN_VIEWS.get(url_name[len(prefix) + 1 :], {}).get(method)
            if action is None:
                return None
            consultation_kwarg = "object_id" if model == "consultation" else None
            return Rule(model, "object_id", consultation_kwarg), action
    return None
