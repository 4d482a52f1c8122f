"""Evidence checks on a generated summary.

Each statement the model writes cites the ``seq`` numbers of the transcript
segments it rests on. ``evidence_check`` drops citations of segments that do
not exist and marks a statement with no remaining citation ``supported:
false``. ``facts_flag`` lists numbers, doses (number + unit) and drug names in
the summary that appear nowhere in the transcript, for the clinician to check.

The drug check is a heuristic (a short list of common UK drugs plus the
generic-name stems of the BNF's large classes); it helps a reviewer, it does
not prove the absence of an error.
"""

from __future__ import annotations

import re
from typing import Any

SECTIONS = ("subjective", "objective", "assessment", "plan")

_NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d)")
_UNITS = (
    r"mg|mcg|µg|ug|micrograms?|milligrams?|g|grams?|kg|ml|mL|millilitres?|l|litres?|units?|iu|IU|"
    r"mmol/l|mmol/mol|mmol|mmhg|bpm|%|°c|cm|mm|puffs?|tablets?|capsules?|drops?|sachets?"
)
_DOSE = re.compile(rf"(?<![\w.])((?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)\s?({_UNITS})(?![A-Za-z])", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z\-]{3,}")

# One readable block of names rather than a hundred quoted strings.
COMMON_DRUGS = frozenset(
    """
    paracetamol ibuprofen aspirin codeine morphine tramadol oxycodone naproxen diclofenac
    warfarin apixaban rivaroxaban edoxaban dabigatran heparin clopidogrel ticagrelor
    metformin gliclazide insulin sitagliptin empagliflozin dapagliflozin
    amoxicillin penicillin flucloxacillin clarithromycin erythromycin doxycycline
    trimethoprim nitrofurantoin cefalexin ciprofloxacin metronidazole co-amoxiclav
    salbutamol beclometasone budesonide fluticasone montelukast tiotropium
    prednisolone hydrocortisone dexamethasone levothyroxine
    omeprazole lansoprazole ranitidine famotidine
    furosemide bendroflumethiazide indapamide spironolactone
    sertraline citalopram fluoxetine mirtazapine amitriptyline venlafaxine duloxetine
    diazepam lorazepam zopiclone gabapentin pregabalin
    digoxin adrenaline epinephrine salmeterol cetirizine loratadine chlorphenamine
    ondansetron metoclopramide loperamide lactulose senna
    """.split()  # noqa: SIM905
)
# Generic-name stems of common classes (-olol beta blockers, -pril ACE inhibitors, ...).
DRUG_STEMS = (
    "olol",
    "pril",
    "sartan",
    "statin",
    "dipine",
    "cillin",
    "mycin",
    "floxacin",
    "prazole",
    "tidine",
    "gliptin",
    "gliflozin",
    "parin",
    "dronate",
    "lukast",
    "semide",
    "thiazide",
    "triptan",
    "setron",
    "azepam",
    "zolam",
    "oxetine",
    "triptyline",
    "azole",
    "cycline",
    "mab",
    "tinib",
    "vir",
)
_NOT_DRUGS = frozenset({"triazole"})  # room for stems' false friends seen in practice


def _is_drug(word: str) -> bool:
    lower = word.lower()
    if lower in _NOT_DRUGS:
        return False
    return lower in COMMON_DRUGS or (len(lower) >= 6 and lower.endswith(DRUG_STEMS))


def _normal_number(text: str) -> str:
    value = text.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def evidence_check(structured: dict[str, Any], valid_seqs: set[int]) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """Statements per section with only real citations; returns (sections, unsupported count).

    Raises ``ValueError`` for an answer not shaped as asked (a section that is no list,
    a statement that is no ``{text, evidence: [...]}``): providers that ignore the JSON
    schema exist, and such an answer is unusable, not a server error."""
    sections: dict[str, list[dict[str, Any]]] = {}
    unsupported = 0
    for section in SECTIONS:
        statements = []
        items = structured.get(section) or []
        if not isinstance(items, list):
            raise ValueError(f"{section} is not a list")
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("text", ""), str):
                raise ValueError("a statement is not an object with text")
            cited = item.get("evidence") or []
            if not isinstance(cited, list):
                raise ValueError("evidence is not a list")
            text = item.get("text", "").strip()
            if not text:
                continue
            seqs = sorted({int(n) for n in cited if isinstance(n, int) and not isinstance(n, bool)} & valid_seqs)
            supported = bool(seqs)
            unsupported += not supported
            statements.append({"text": text, "evidence": seqs, "supported": supported})
        sections[section] = statements
    return sections, unsupported


def facts_flag(sections: dict[str, list[dict[str, Any]]], transcript: str) -> list[dict[str, str]]:
    """Numbers, doses and drug names in the summary that the transcript never mentions."""
    numbers_heard = {_normal_number(n) for n in _NUMBER.findall(transcript)}
    doses_heard = {(_normal_number(n), unit.lower().rstrip("s")) for n, unit in _DOSE.findall(transcript)}
    words_heard = {w.lower() for w in _WORD.findall(transcript)}
    flags: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def flag(kind: str, value: str, section: str) -> None:
        if (kind, value.lower()) not in seen:
            seen.add((kind, value.lower()))
            flags.append({"kind": kind, "value": value, "section": section})

    for section in SECTIONS:
        for statement in sections.get(section, []):
            text = statement["text"]
            dosed = set()
            for number, unit in _DOSE.findall(text):
                if (_normal_number(number), unit.lower().rstrip("s")) not in doses_heard:
                    flag("dose", f"{number} {unit}", section)
                    dosed.add(_normal_number(number))
            for number in _NUMBER.findall(text):
                if _normal_number(number) not in numbers_heard and _normal_number(number) not in dosed:
                    flag("number", number, section)
            for word in _WORD.findall(text):
                if _is_drug(word) and word.lower() not in words_heard:
                    flag("drug", word, section)
    return flags


def sections_render(sections: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Each section as the text the contract's ``summary`` object carries."""
    return {section: "\n".join(s["text"] for s in sections.get(section, [])) for section in SECTIONS}


def text_render(sections: dict[str, Any]) -> str:
    """The readable note: a heading per section, one line per statement.

    Used on complete and on partial (still streaming) sections alike; a partial
    rendering is always a prefix of the complete one, so streamed text can be sent
    as it grows.
    """
    blocks = []
    for section in SECTIONS:
        statements = sections.get(section)
        if not isinstance(statements, list):
            if section in sections:
                blocks.append(f"{section.capitalize()}:")
            break
        lines = [f"{section.capitalize()}:"]
        for item in statements:
            text = item.get("text") if isinstance(item, dict) else None
            if isinstance(text, str):
                lines.append(f"- {text}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
