"""Scores, bands and the item 9 flag over every band edge of both instruments."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires.instruments import FLAG_SELF_HARM, GAD7, PHQ9, answers_score
from scribe.core.exceptions import InvalidInput


def answers_summing_to(total: int, items: int, *, item9: int | None = None) -> list[int]:
    """Answers adding up to ``total`` (item 9 fixed when given), filled from the first item."""
    answers = [0] * items
    remaining = total
    if item9 is not None:
        answers[8] = item9
        remaining -= item9
    for index in range(items):
        if index == 8 and item9 is not None:
            continue
        answers[index] = min(3, remaining)
        remaining -= answers[index]
    assert remaining == 0
    return answers


PHQ9_EDGES = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "moderately severe"),
    (19, "moderately severe"),
    (20, "severe"),
    (27, "severe"),
]
GAD7_EDGES = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "severe"),
    (21, "severe"),
]


@pytest.mark.parametrize(("score", "severity"), PHQ9_EDGES)
def test_it_bands_every_phq9_edge(score, severity):
    scored = answers_score(PHQ9, answers_summing_to(score, 9, item9=0 if score <= 24 else 3))
    assert scored.score == score
    assert scored.severity == severity


@pytest.mark.parametrize(("score", "severity"), GAD7_EDGES)
def test_it_bands_every_gad7_edge(score, severity):
    scored = answers_score(GAD7, answers_summing_to(score, 7))
    assert scored.score == score
    assert scored.severity == severity
    assert scored.flags == []


@pytest.mark.parametrize("item9", [0, 1, 2, 3])
def test_it_flags_phq9_item9_above_zero_whatever_the_total(item9):
    scored = answers_score(PHQ9, answers_summing_to(item9, 9, item9=item9))
    assert scored.score == item9
    assert scored.flags == ([FLAG_SELF_HARM] if item9 > 0 else [])


def test_gad7_item7_is_never_a_self_harm_flag():
    assert answers_score(GAD7, [0, 0, 0, 0, 0, 0, 3]).flags == []


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=9, max_size=9))
def test_every_phq9_answer_set_scores_to_its_sum_and_one_band(answers):
    scored = answers_score(PHQ9, answers)
    assert scored.score == sum(answers)
    matching = [sev for low, high, sev in PHQ9.bands if low <= scored.score <= high]
    assert matching == [scored.severity]
    assert (FLAG_SELF_HARM in scored.flags) == (answers[8] > 0)


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        ([0] * 8, {"answers.9"}),
        ([0] * 8 + [4], {"answers.9"}),
        ([0, -1] + [0] * 7, {"answers.2"}),
        ([0, 0, "2"] + [0] * 6, {"answers.3"}),
        ([0, 0, 1.5] + [0] * 6, {"answers.3"}),
        ([True] + [0] * 8, {"answers.1"}),
        ([None] + [0] * 8, {"answers.1"}),
        ([0] * 10, {"answers.10"}),
    ],
)
def test_it_names_each_incomplete_or_out_of_range_item(answers, named):
    with pytest.raises(InvalidInput) as caught:
        answers_score(PHQ9, answers)
    assert set(caught.value.errors) == named
