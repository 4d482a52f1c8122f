"""Highlights of a consultation: clinical terms with SNOMED CT codes, checked.

The model proposes terms and codes (``ahighlights_extract``), citing the transcript
segments (``seq``) each term came from, exactly as summary statements do. A proposed
code is a guess until the NHS terminology server confirms it (``highlights_verify``):
the term is searched through ``ai.terminology`` (its cache included) and the code is
``verified: true`` only when the server lists that code for that term, with the
server's own ``display``. Codes the server does not confirm, or could not be asked
about, are kept and marked ``verified: false``: the clinician sees the guess as a
guess. A highlight: ``{term, possible_snomed, display, verified, evidence}``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ai import client, terminology
from ai.summaries import SummaryJob, _parts
from scribe.core.exceptions import ApplicationError

logger = logging.getLogger("scribe.ai")

SCHEMA_NAME = "clinical_highlights"
MAX_HIGHLIGHTS = 25
TERM_MAX_CHARS = 200
_SNOMED_CODE = re.compile(r"^\d{6,18}$")

HIGHLIGHT_INSTRUCTIONS = """\
You assist a UK NHS clinician. From the consultation transcript, list the clinically
relevant terms (symptoms, findings, diagnoses, procedures, medicines) that were stated.
For each give the term as said, your best SNOMED CT concept id for it in "possible_snomed"
(digits only; an empty string when you do not know one), and "evidence": the segment
numbers it was stated in, taken only from the numbers shown. List a term once.
Placeholders such as [PATIENT_NAME_1] stand for redacted identifiers: never list them."""

HIGHLIGHTS_SCHEMA = {
    "type": "object",
    "properties": {
        "highlights": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "term": {"type": "string"},
                    "possible_snomed": {"type": "string"},
                    "evidence": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["term", "possible_snomed", "evidence"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["highlights"],
    "additionalProperties": False,
}


def _items_of(data: dict[str, Any], *, valid_seqs: set[int], redactor: Any) -> list[dict[str, Any]]:
    items = data.get("highlights")
    if not isinstance(items, list):
        return []
    found = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("term"), str):
            continue
        term = redactor.restore(item["term"]).strip()[:TERM_MAX_CHARS]
        if not term or "[" in term:  # an unrestored placeholder is no clinical term
            continue
        code = str(item.get("possible_snomed") or "").strip()
        cited = item.get("evidence") if isinstance(item.get("evidence"), list) else []
        evidence = sorted({n for n in cited if isinstance(n, int) and not isinstance(n, bool)} & valid_seqs)
        found.append({"term": term, "possible_snomed": code if _SNOMED_CODE.match(code) else "", "evidence": evidence})
    return found


def _part_messages(part: list[str]) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": HIGHLIGHT_INSTRUCTIONS},
        {"role": "user", "content": "Transcript:\n" + "\n".join(part)},
    ]


def _merge(merged: dict[str, dict[str, Any]], data: dict[str, Any], job: SummaryJob) -> None:
    """Add one part's answer to ``merged``: one entry per term (case-insensitive), at
    most ``MAX_HIGHLIGHTS``, evidence united."""
    valid_seqs = {seq for seq, _, _ in job.lines}
    for item in _items_of(data, valid_seqs=valid_seqs, redactor=job.redactor):
        key = item["term"].lower()
        if key in merged:
            merged[key]["evidence"] = sorted(set(merged[key]["evidence"]) | set(item["evidence"]))
            merged[key]["possible_snomed"] = merged[key]["possible_snomed"] or item["possible_snomed"]
        elif len(merged) < MAX_HIGHLIGHTS:
            merged[key] = item


async def ahighlights_extract(job: SummaryJob) -> list[dict[str, Any]]:
    """The model's terms for the job's transcript: ``[{term, possible_snomed, evidence}]``,
    one per term (case-insensitive), at most ``MAX_HIGHLIGHTS``. The transcript is sent
    redacted and cut into the same parts as the summary; raises the client's errors. The
    provider is awaited (``client.achat_json``); no database work."""
    merged: dict[str, dict[str, Any]] = {}
    for part in _parts(job):
        result = await client.achat_json(
            task="highlights", messages=_part_messages(part), schema_name=SCHEMA_NAME, schema=HIGHLIGHTS_SCHEMA
        )
        _merge(merged, result.data, job)
    return list(merged.values())


def highlights_verify(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each item with ``display`` and ``verified`` from the NHS terminology server.

    ``verified`` is true only when a search for the term lists the proposed code; the
    server's ``display`` of that concept is kept. A server that is not configured or
    fails leaves the items ``verified: false`` with ``verification: "unavailable"``
    (the summary is not lost for it); a code the server did not list is
    ``verification: "not_found"``.
    """
    verified = []
    server_down = False  # one failure is enough: the next term would wait as long again
    for item in items:
        checked = {**item, "display": None, "verified": False, "verification": "not_found"}
        if not item["possible_snomed"]:
            checked["verification"] = "no_code"
            verified.append(checked)
            continue
        if server_down:
            checked["verification"] = "unavailable"
            verified.append(checked)
            continue
        try:
            concepts = terminology.concepts_search(item["term"])
        except ApplicationError as error:
            logger.warning("highlight_unverified", extra={"code": error.code})
            server_down = True
            checked["verification"] = "unavailable"
            verified.append(checked)
            continue
        match = next((c for c in concepts if c["code"] == item["possible_snomed"]), None)
        if match is not None:
            checked.update(display=match["name"], verified=True, verification="confirmed")
        verified.append(checked)
    return verified
