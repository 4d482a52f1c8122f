"""Split a summary the model wrote as one text into its four SOAP parts.

The Node.js backend stored what deepseek-chat and GPT-4o answered, verbatim. The styles
seen in real data (the node-dump manifest's ``summary_formats``):

* letters:          ``S: ...`` / ``O: ...`` / ``A: ...`` / ``P: ...`` (one line each, or all on one line)
* bold_inline:      ``**Subjective:** ...``
* heading_bullets:  ``### SOAP Note`` then ``**Subjective:**`` on its own line, ``- `` bullets below,
                    often an italic disclaimer at the end
* md_headings:      ``## Subjective`` then paragraphs
* preamble_letters: ``Here is the SOAP summary ...:`` then ``**S (Subjective):** ...``
* plain_headings:   ``Subjective`` alone on a line, then ``- `` bullets

A part starts at a line that is a section heading (the word or its letter, with any
markdown emphasis or ``#``), and runs to the next heading. The four parts must all be
there, each once, in S, O, A, P order; otherwise nothing is split (the caller keeps the
text only). Text before the first heading (a preamble) and a closing italic line after
the plan (a disclaimer) belong to no part. The original text is never changed here: the
caller keeps it verbatim next to the parts.
"""

from __future__ import annotations

import re

SOAP_KEYS = ("subjective", "objective", "assessment", "plan")
_BY_LETTER = {key[0].upper(): key for key in SOAP_KEYS}

_EMPHASIS = r"[*_]{0,3}"
_HEADING = re.compile(
    rf"""^\s*(?P<hashes>\#{{1,6}}\s*)?{_EMPHASIS}\s*
    (?P<label>subjective|objective|assessment|plan|[SOAP])\b
    (?:\s*\(\s*(?P<paren>subjective|objective|assessment|plan|[SOAP])\s*\))?
    \s*{_EMPHASIS}\s*(?P<colon>:)?\s*{_EMPHASIS}[ \t]*(?P<rest>.*?)\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# "S: ... O: ... A: ... P: ..." written on one line.
_ONE_LINE = re.compile(
    r"^\s*S\s*:\s*(?P<subjective>.*?)\s*O\s*:\s*(?P<objective>.*?)\s*A\s*:\s*(?P<assessment>.*?)\s*P\s*:\s*(?P<plan>.*?)\s*$",
    re.DOTALL,
)
_DISCLAIMER = re.compile(r"^\s*([*_])[^*_].*\1\s*$")


def _section(line: str) -> tuple[str, str] | None:
    """``(key, text after the heading)`` when ``line`` opens a SOAP part."""
    match = _HEADING.match(line)
    if match is None:
        return None
    label, paren = match.group("label"), match.group("paren")
    keys = {_BY_LETTER[label.upper()] if len(label) == 1 else label.lower()}
    if paren:
        keys.add(_BY_LETTER[paren.upper()] if len(paren) == 1 else paren.lower())
    if len(keys) != 1:  # "S (Plan)": not a heading anyone wrote
        return None
    rest = match.group("rest")
    # A bare word starting a sentence ("Plan to review") is not a heading: a heading has a
    # colon, a markdown "#", or stands alone on its line. A lone letter always needs the colon.
    if len(label) == 1 and not paren and not match.group("colon"):
        return None
    if not (match.group("colon") or match.group("hashes") or not rest):
        return None
    return keys.pop(), rest


def is_heading(line: str) -> bool:
    """Whether ``line`` opens a SOAP part (the rule above)."""
    return _section(line) is not None


def _tidy(lines: list[str], *, last: bool) -> str:
    while lines and not lines[-1].strip():
        lines.pop()
    if last:
        # A closing italic paragraph after the plan is the model's disclaimer, not the plan.
        for index in range(len(lines) - 1, 0, -1):
            if not lines[index - 1].strip() and _DISCLAIMER.match(lines[index]):
                lines = lines[: index - 1]
                while lines and not lines[-1].strip():
                    lines.pop()
                break
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(line.rstrip() for line in lines)


def split_soap(text: str) -> dict[str, str] | None:
    """The four parts of a SOAP summary written as text, or None when it lacks any of them."""
    if not isinstance(text, str) or not text.strip():
        return None
    parts: dict[str, list[str]] = {}
    order: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        heading = _section(line)
        if heading is not None and heading[0] not in parts:
            key, rest = heading
            expected = SOAP_KEYS[len(order)] if len(order) < len(SOAP_KEYS) else None
            if key == expected:
                current = parts[key] = [rest] if rest else []
                order.append(key)
                continue
        if current is not None:
            current.append(line)
    if len(order) == len(SOAP_KEYS):
        return {key: _tidy(parts[key], last=key == "plan") for key in SOAP_KEYS}
    match = _ONE_LINE.match(text)
    if match:
        return {key: match.group(key) for key in SOAP_KEYS}
    return None
