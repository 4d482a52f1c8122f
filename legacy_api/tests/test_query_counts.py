"""What the Node.js face's hot reads cost in database statements (the same selectors
as ``/api/v1``): pinned exactly, through the HTTP client, authentication's own lookups
left out (see consultations/tests/test_query_counts.py), and not growing with the data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.tests.test_query_counts import populate, record_statements

pytestmark = pytest.mark.django_db


def statements_of(client, path: str) -> tuple[list[str], dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return record_statements(captured), response.json()


@pytest.mark.parametrize(("consultations", "versions"), [(1, 1), (12, 5)])
def test_it_lists_whole_consultations_in_four_statements_with_only_the_newest_summary(
    client_for, clinician, consultations, versions
):
    populate(clinician, consultations=consultations, segments=3, versions=versions)
    statements, body = statements_of(client_for(clinician), "/api/consultation")
    # Consultations (clinician, transcript, prompt joined), notes, segments, current summaries.
    assert len(statements) == 4, statements
    assert {c["transcript"]["summary"] for c in body["consultations"]} == {f"v{versions - 1}"}
    assert len(body["consultations"]) == consultations


@pytest.mark.parametrize("versions", [1, 5])
def test_it_answers_a_whole_consultation_in_four_statements(client_for, clinician, versions):
    (consultation,) = populate(clinician, consultations=1, segments=40, versions=versions)
    statements, body = statements_of(client_for(clinician), f"/api/consultation/{consultation.pk}")
    assert len(statements) == 4, statements
    assert body["consultation"]["transcript"]["summary"] == f"v{versions - 1}"
    assert body["consultation"]["transcript"]["transcript_text"].count("\n") == 39


@pytest.mark.parametrize(("segments", "versions"), [(1, 1), (120, 5)])
def test_it_answers_a_transcript_in_four_statements(client_for, clinician, segments, versions):
    (consultation,) = populate(clinician, consultations=1, segments=segments, versions=versions)
    statements, body = statements_of(client_for(clinician), f"/api/transcript/{consultation.pk}")
    # The transcript found by its consultation (joined), its segments' texts, their newest
    # time, its current summary.
    assert len(statements) == 4, statements
    assert body["summary"] == f"v{versions - 1}"
    assert body["transcript_text"].splitlines() == [f"line {seq}" for seq in range(segments)]


def test_it_still_answers_404_for_another_clinicians_transcript(client_for, clinician, other_clinician):
    (consultation,) = populate(other_clinician, consultations=1, segments=1, versions=0)
    response = client_for(clinician).get(f"/api/transcript/{consultation.pk}")
    assert response.status_code == 404
    assert response.json()["msg"] == "Transcript not found"
