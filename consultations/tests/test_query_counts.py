"""What the hot read and write paths of ``/api/v1`` cost in database statements.

Counted through the HTTP client, the way a clinician calls them, and pinned
exactly; authentication's own lookups (``accounts_*`` tables, another piece of
work), the audit trail's one insert per request (audit/tests pin that one) and the
savepoints a test's surrounding transaction adds are left out, so the pins say what the
records cost. The counts must not grow with the data:
every case is measured on a small and a larger world.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations import services
from consultations.models import Transcript
from consultations.tests.factories import consultation_for

pytestmark = pytest.mark.django_db

TRANSACTION_NOISE = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


def record_statements(captured: CaptureQueriesContext) -> list[str]:
    """The statements a request ran on the records (not authentication's, not savepoints)."""
    statements = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith(TRANSACTION_NOISE):
            continue
        if sql.startswith("SELECT") and ' FROM "accounts_' in sql:
            continue
        if sql.startswith('INSERT INTO "audit_auditevent"'):
            continue
        statements.append(sql)
    return statements


def populate(clinician, *, consultations: int, segments: int, versions: int) -> list:
    made = []
    for n in range(consultations):
        consultation = consultation_for(clinician, name=f"Patient {n}")
        transcript = consultation.transcript
        for seq in range(segments):
            services.segment_append(transcript=transcript, seq=seq, text=f"line {seq}")
        for version in range(versions):
            services.transcript_summary_add(
                transcript=transcript, content={"plan": f"v{version}"}, text=f"v{version}", model="m", prompt=None
            )
        services.note_create(clinician=clinician, consultation=consultation, body="Follow up.")
        services.note_create(clinician=clinician, consultation=consultation, body="Bloods.")
        made.append(consultation)
    return made


def statements_of(client, method: str, path: str, body: dict | None = None) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as captured:
        call = getattr(client, method)
        response = call(path) if body is None else call(path, body, format="json")
    assert response.status_code in (200, 201), response.content
    return record_statements(captured), response


@pytest.mark.parametrize(("consultations", "segments", "versions"), [(1, 1, 1), (25, 8, 4)])
def test_it_lists_a_page_in_four_statements_with_only_the_newest_summary(
    client_for, clinician, consultations, segments, versions
):
    populate(clinician, consultations=consultations, segments=segments, versions=versions)
    statements, response = statements_of(client_for(clinician), "get", "/api/v1/consultations/")
    # COUNT, the page (transcript joined), the note ids, the current summaries.
    assert len(statements) == 4, statements
    rows = response.json()["results"]
    assert {row["current_summary"]["version"] for row in rows} == {versions}
    assert {row["current_summary"]["text"] for row in rows} == {f"v{versions - 1}"}


@pytest.mark.parametrize(("segments", "versions"), [(1, 1), (50, 6)])
def test_it_answers_a_consultation_in_three_statements(client_for, clinician, segments, versions):
    (consultation,) = populate(clinician, consultations=1, segments=segments, versions=versions)
    statements, response = statements_of(client_for(clinician), "get", f"/api/v1/consultations/{consultation.pk}")
    assert len(statements) == 3, statements
    assert response.json()["current_summary"]["version"] == versions
    assert len(response.json()["notes"]) == 2


@pytest.mark.parametrize(("segments", "versions"), [(1, 1), (200, 6)])
def test_it_answers_a_transcript_in_four_statements_counting_segments_once(client_for, clinician, segments, versions):
    (consultation,) = populate(clinician, consultations=1, segments=segments, versions=versions)
    path = f"/api/v1/transcripts/{consultation.transcript.pk}"
    statements, response = statements_of(client_for(clinician), "get", path)
    # The transcript (consultation and prompt joined), its segments' texts, their newest
    # time (the transcript's updated_at: appends do not write the transcript row), its
    # current summary; the count is the texts', never a second COUNT.
    assert len(statements) == 4, statements
    assert not any("COUNT(" in sql for sql in statements)
    body = response.json()
    assert body["segments_count"] == segments
    assert body["transcript_text"].splitlines() == [f"line {seq}" for seq in range(segments)]
    assert body["current_summary"]["version"] == versions


def test_it_appends_a_segment_with_one_insert_and_one_read_and_no_write_to_the_transcript(client_for, clinician):
    (consultation,) = populate(clinician, consultations=1, segments=30, versions=1)
    transcript = consultation.transcript
    before = Transcript.objects.get(pk=transcript.pk).updated_at
    client = client_for(clinician)
    path = f"/api/v1/transcripts/{transcript.pk}/segments"

    statements, response = statements_of(client, "post", path, {"seq": 30, "text": "Any chest pain?"})
    assert response.status_code == 201
    # The caller's transcript (ownership, and the closed check from the same row), the
    # insert, the fresh closed check after it.
    assert len(statements) == 3, statements
    assert [sql.split()[0] for sql in statements] == ["SELECT", "INSERT", "SELECT"]
    assert Transcript.objects.get(pk=transcript.pk).updated_at == before

    retried, response = statements_of(client, "post", path, {"seq": 30, "text": "Any chest pain?"})
    assert response.status_code == 200
    # The transcript, the insert the unique constraint refuses, the stored segment.
    assert len(retried) == 3, retried


def test_it_appends_for_a_long_held_transcript_in_two_statements(clinician):
    # The live WebSocket and the AI transcription hold a transcript loaded without its
    # consultation: the insert, then the fresh closed check.
    transcript = Transcript.objects.get(pk=consultation_for(clinician).transcript.pk)
    with CaptureQueriesContext(connection) as captured:
        _, created = services.segment_append(transcript=transcript, seq=0, text="Hello.")
    assert created
    assert [sql.split()[0] for sql in record_statements(captured)] == ["INSERT", "SELECT"]


def test_it_shows_the_newest_segment_time_as_the_transcript_updated_at(client_for, clinician):
    transcript = consultation_for(clinician).transcript
    client = client_for(clinician)
    created = client.post(f"/api/v1/transcripts/{transcript.pk}/segments", {"seq": 0, "text": "Hi."}, format="json")
    body = client.get(f"/api/v1/transcripts/{transcript.pk}").json()
    assert body["updated_at"] == created.json()["created_at"]
