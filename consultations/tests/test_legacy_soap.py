"""Summaries the model wrote as text are split into S/O/A/P in every style it used.

The property test builds summaries from random parts in each style (with or without a
preamble, bullets, blank lines, a disclaimer) and checks the parts come back exactly.
"""

from __future__ import annotations

import bson
from hypothesis import given, settings
from hypothesis import strategies as st

from consultations.legacy.rules import summary_content
from consultations.legacy.soap import SOAP_KEYS, is_heading, split_soap
from consultations.tests.legacy_support.node_dump import NODE_DB, NODE_MANIFEST

NAMES = {"subjective": "Subjective", "objective": "Objective", "assessment": "Assessment", "plan": "Plan"}

# Clinical-ish words, SOAP words and letters among them; a line that itself reads as a
# heading ("plan:" alone) is left out: no text could tell it from one.
WORDS = st.sampled_from(
    [
        "reports",
        "cough",
        "on",
        "examination",
        "chest",
        "clear",
        "BP",
        "148/92",
        "review",
        "2",
        "weeks",
        "ibuprofen",
        "400mg",
        "TDS",
        "no",
        "fever.",
        "safety-net",
        "advice,",
        "likely",
        "viral",
        "(URTI)",
        "plan:",
        "A",
        "S",
        "P",
        "O",
        "objective",
        "subjective",
    ]
)
LINE = st.lists(WORDS, min_size=1, max_size=8).map(" ".join).filter(lambda line: not is_heading(line))
PART = st.lists(LINE, min_size=1, max_size=4)
STYLES = [
    "letters",
    "bold_inline",
    "heading_bullets",
    "md_headings",
    "preamble_letters",
    "plain_headings",
    "bold_letters",
]


def render(
    style: str, parts: dict[str, list[str]], *, bullets: bool, gap: str, preamble: str | None, disclaimer: str | None
) -> tuple[str, dict[str, str]]:
    """A summary in ``style`` and the parts a perfect split gives back."""
    blocks, expected = [], {}
    for key in SOAP_KEYS:
        lines = [f"- {line}" if bullets else line for line in parts[key]]
        body = "\n".join(lines)
        expected[key] = body
        name, letter = NAMES[key], NAMES[key][0]
        if style == "letters":
            blocks.append(f"{letter}: {body}")
        elif style == "bold_inline":
            blocks.append(f"**{name}:** {body}")
        elif style == "bold_letters":
            blocks.append(f"**{letter}:** {body}")
        elif style == "preamble_letters":
            blocks.append(f"**{letter} ({name}):** {body}")
        elif style == "heading_bullets":
            blocks.append(f"**{name}:**\n{body}")
        elif style == "md_headings":
            blocks.append(f"## {name}\n{body}")
        else:
            blocks.append(f"{name}\n{body}")
    text = gap.join(blocks)
    if preamble:
        text = f"{preamble}\n\n{text}"
    if disclaimer:
        text = f"{text}\n\n*{disclaimer}*"
    return text, expected


@settings(max_examples=150, deadline=None)
@given(
    style=st.sampled_from(STYLES),
    parts=st.fixed_dictionaries(dict.fromkeys(SOAP_KEYS, PART)),
    bullets=st.booleans(),
    gap=st.sampled_from(["\n", "\n\n", "\n\n\n"]),
    preamble=st.none() | st.sampled_from(["Here is the SOAP summary of the consultation:", "### SOAP Note"]),
    disclaimer=st.none() | st.just("This summary is AI-generated and should be reviewed by the clinician."),
)
def test_it_splits_every_style_the_model_wrote(style, parts, bullets, gap, preamble, disclaimer):
    text, expected = render(style, parts, bullets=bullets, gap=gap, preamble=preamble, disclaimer=disclaimer)

    assert split_soap(text) == expected
    content, kept, _ = summary_content(text)
    assert kept == text  # the original is always kept verbatim
    assert {key: content[key] for key in SOAP_KEYS} == expected


@given(parts=st.fixed_dictionaries(dict.fromkeys(SOAP_KEYS, PART)), missing=st.sampled_from(SOAP_KEYS))
def test_it_splits_nothing_when_a_part_is_missing(parts, missing):
    text = "\n\n".join(f"**{NAMES[key]}:** {' '.join(parts[key])}" for key in SOAP_KEYS if key != missing)

    assert split_soap(text) is None
    content, kept, _ = summary_content(text)
    assert kept == text
    assert all(content[key] == "" for key in SOAP_KEYS)


def test_it_splits_a_one_line_letters_summary():
    assert split_soap("S: cough. O: chest clear. A: viral. P: rest.") == {
        "subjective": "cough.",
        "objective": "chest clear.",
        "assessment": "viral.",
        "plan": "rest.",
    }


def test_it_does_not_take_a_sentence_starting_with_plan_for_a_heading():
    text = "Subjective: cough\nObjective: clear\nAssessment: viral\nPlan: rest\nPlan to review in a week"
    assert split_soap(text)["plan"] == "rest\nPlan to review in a week"


def test_it_splits_every_summary_in_the_node_dump():
    summaries = [
        doc.get("summary") or doc.get("soapSummary")
        for doc in bson.decode_file_iter((NODE_DB / "transcripts.bson").open("rb"))
    ]
    summaries = [s for s in summaries if s]
    assert len(summaries) == sum(NODE_MANIFEST["summary_formats"].values())
    for text in summaries:
        parts = split_soap(text)
        assert parts is not None, text[:40]
        assert all(parts.values()), text[:40]
