"""PHQ-9 and GAD-7: items, the 0-3 answer scale, severity bands, scoring.

Wording as published for free use (PHQ-9 and GAD-7, Spitzer, Williams, Kroenke
et al., developed with an educational grant from Pfizer Inc.; "No permission
required to reproduce, translate, display or distribute"). Pure functions, no
database: the server alone computes scores, bands and flags from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scribe.core.exceptions import InvalidInput

ANSWER_OPTIONS = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)
ANSWER_MIN, ANSWER_MAX = 0, 3

# The flag raised when PHQ-9 item 9 (thoughts of self-harm) is answered above 0.
FLAG_SELF_HARM = "phq9_item9_self_harm"


@dataclass(frozen=True)
class Instrument:
    key: str
    title: str
    preamble: str
    items: tuple[str, ...]
    # (lowest score, highest score, severity) in ascending order, covering 0..max.
    bands: tuple[tuple[int, int, str], ...]

    @property
    def max_score(self) -> int:
        return ANSWER_MAX * len(self.items)


PHQ9 = Instrument(
    key="phq9",
    title="Patient Health Questionnaire (PHQ-9)",
    preamble="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself - or that you are a failure or have let yourself or your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite - being so "
        "fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    bands=(
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 19, "moderately severe"),
        (20, 27, "severe"),
    ),
)

GAD7 = Instrument(
    key="gad7",
    title="Generalised Anxiety Disorder Assessment (GAD-7)",
    preamble="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        "Feeling nervous, anxious or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ),
    bands=(
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 21, "severe"),
    ),
)

INSTRUMENTS: dict[str, Instrument] = {PHQ9.key: PHQ9, GAD7.key: GAD7}


@dataclass(frozen=True)
class Scored:
    answers: list[int]
    score: int
    severity: str
    flags: list[str]


def instrument_get(key: Any) -> Instrument:
    if not isinstance(key, str) or key not in INSTRUMENTS:
        raise InvalidInput(errors={"instrument": [f"Must be one of: {', '.join(INSTRUMENTS)}."]})
    return INSTRUMENTS[key]


def severity_of(instrument: Instrument, score: int) -> str:
    for low, high, severity in instrument.bands:
        if low <= score <= high:
            return severity
    raise ValueError(f"score {score} outside {instrument.key}'s range")


def answers_score(instrument: Instrument, answers: Any) -> Scored:
    """Check every answer and score them. Raises ``InvalidInput`` naming each bad or
    missing item (``answers.N``, N counted from 1 as printed on the form)."""
    if not isinstance(answers, list):
        raise InvalidInput(errors={"answers": [f"Must be a list of {len(instrument.items)} answers from 0 to 3."]})
    errors: dict[str, list[str]] = {}
    for index in range(max(len(answers), len(instrument.items))):
        number = index + 1
        if index >= len(instrument.items):
            errors[f"answers.{number}"] = [f"{instrument.key} has only {len(instrument.items)} items."]
            continue
        if index >= len(answers) or answers[index] is None:
            errors[f"answers.{number}"] = [f"Item {number} is unanswered."]
            continue
        value = answers[index]
        if isinstance(value, bool) or not isinstance(value, int) or not ANSWER_MIN <= value <= ANSWER_MAX:
            errors[f"answers.{number}"] = [f"Item {number} must be an integer from {ANSWER_MIN} to {ANSWER_MAX}."]
    if errors:
        raise InvalidInput("Every item needs an answer from 0 to 3.", errors=errors)
    score = sum(answers)
    flags = [FLAG_SELF_HARM] if instrument is PHQ9 and answers[8] > 0 else []
    return Scored(answers=list(answers), score=score, severity=severity_of(instrument, score), flags=flags)


def instrument_describe(instrument: Instrument) -> dict[str, Any]:
    """The form as shown to whoever answers it."""
    return {
        "instrument": instrument.key,
        "title": instrument.title,
        "preamble": instrument.preamble,
        "items": [{"number": n, "text": text} for n, text in enumerate(instrument.items, start=1)],
        "options": [{"value": value, "label": label} for value, label in ANSWER_OPTIONS],
    }
