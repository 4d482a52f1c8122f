"""PHI minimisation: identifiers become placeholders before text leaves for the model.

``Redactor.redact(text)`` replaces NHS numbers (written 3-3-4, or any grouping of
10 digits by single spaces or hyphens that passes the NHS modulus-11 check digit),
email addresses, UK phone
numbers, UK postcodes and the patient's name (from the consultation's
``patient_data``) with placeholders such as ``[NHS_NUMBER_1]``; the same value
always gets the same placeholder, so the model can still refer to it.
``Redactor.restore(text)`` puts the originals back into the model's answer.

This is minimisation, not anonymisation: free-text clues (a rare condition, a
street name said aloud) are not detected. Switched off with
``AI_REDACT_IDENTIFIERS=false`` (e.g. a provider inside the NHS network).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings


def nhs_number_valid(digits: str) -> bool:
    """The NHS number modulus-11 check: weights 10..2 on the first nine digits; the check
    digit is 11 minus the remainder (11 counts as 0; 10 means no valid number)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    return (0 if check == 11 else check) == int(digits[9])


def _nhs_number_checked(value: str) -> bool:
    return nhs_number_valid(re.sub(r"\D", "", value))


# Order matters: emails before phone numbers (digits inside addresses), phone
# numbers (11 digits, or +44) before NHS numbers (10 digits: 3-3-4 always; grouped
# any other way only with a valid check digit, so ordinary numbers rarely match).
# A pattern with a check replaces only the matches the check accepts.
_PATTERNS: list[tuple[str, re.Pattern[str], Callable[[str], bool] | None]] = [
    ("EMAIL", re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b"), None),
    (
        "PHONE",
        re.compile(
            r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)"  # +44 (optionally "(0)") or a leading 0
            r"\d(?:[\s\-\)]{0,2}\d){8,9}(?!\d)"
        ),
        None,
    ),
    ("NHS_NUMBER", re.compile(r"(?<!\d)\d{3}[\s\-]?\d{3}[\s\-]?\d{4}(?!\d)"), None),
    # Exactly ten digits, single spaces or hyphens between them, not part of a longer run.
    ("NHS_NUMBER", re.compile(r"(?<!\d)(?<!\d[ \-])\d(?:[ \-]?\d){9}(?![ \-]?\d)"), _nhs_number_checked),
    (
        "POSTCODE",
        re.compile(r"\b(?:GIR\s?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE),
        None,
    ),
]
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|NHS_NUMBER|POSTCODE|PATIENT_NAME)_\d+\]")
# Name parts this short are common words ("Al", "Jo") and are only redacted as part of the full name.
_MIN_NAME_PART = 3


def _names_from(patient_data: dict[str, Any] | None) -> list[str]:
    if not isinstance(patient_data, dict):
        return []
    names: list[str] = []
    for key in ("name", "first_name", "last_name", "given_name", "family_name", "full_name"):
        value = patient_data.get(key)
        if isinstance(value, str) and value.strip():
            full = " ".join(value.split())
            names.append(full)
            # Each word, and each half of a double-barrelled one ("Mrs Smith" for "O'Brien-Smith").
            parts = full.split(" ") + [half for word in full.split(" ") if "-" in word for half in word.split("-")]
            names.extend(part for part in parts if len(part.strip(".,")) >= _MIN_NAME_PART)
    # Longest first so "Mary Jones" is replaced as one before "Mary" alone.
    return sorted({n.strip(".,") for n in names if n.strip(".,")}, key=len, reverse=True)


class Redactor:
    def __init__(self, *, patient_data: dict[str, Any] | None = None, enabled: bool | None = None) -> None:
        self.enabled = settings.AI_REDACT_IDENTIFIERS if enabled is None else enabled
        self._by_value: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self._names = _names_from(patient_data)

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value.lower() if kind in ("EMAIL", "PATIENT_NAME") else re.sub(r"\W", "", value).upper())
        if key not in self._by_value:
            self._counters[kind] = self._counters.get(kind, 0) + 1
            placeholder = f"[{kind}_{self._counters[kind]}]"
            self._by_value[key] = placeholder
            self._originals[placeholder] = value
        return self._by_value[key]

    def redact(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        # Patterns first: a name inside an email address goes with the address.
        for kind, pattern, check in _PATTERNS:
            text = pattern.sub(
                lambda m, kind=kind, check=check: (
                    self._placeholder(kind, m.group(0)) if check is None or check(m.group(0)) else m.group(0)
                ),
                text,
            )
        for name in self._names:
            pattern = re.compile(rf"(?<![\w\[]){re.escape(name)}(?!\w)", re.IGNORECASE)
            text = pattern.sub(lambda m: self._placeholder("PATIENT_NAME", m.group(0)), text)
        return text

    def restore(self, text: str) -> str:
        if not self._originals or not text:
            return text
        return _PLACEHOLDER.sub(lambda m: self._originals.get(m.group(0), m.group(0)), text)

    def restore_data(self, value: Any) -> Any:
        """``restore`` applied to every string inside a JSON-like value."""
        if isinstance(value, str):
            return self.restore(value)
        if isinstance(value, list):
            return [self.restore_data(v) for v in value]
        if isinstance(value, dict):
            return {k: self.restore_data(v) for k, v in value.items()}
        return value

    @property
    def count(self) -> int:
        return len(self._originals)
