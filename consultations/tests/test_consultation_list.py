from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from consultations.models import Consultation
from consultations.services import transcript_summary_add
from consultations.tests.factories import consultation_for, note_for, prompt_for

pytestmark = pytest.mark.django_db


def started(consultation, when: datetime):
    Consultation.objects.filter(pk=consultation.pk).update(started_at=when)
    return consultation


def ids(response) -> list[str]:
    return [row["id"] for row in response.json()["results"]]


def test_it_lists_newest_first_with_pagination(client_for, clinician):
    base = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
    made = [started(consultation_for(clinician, f"p{i}"), base + timedelta(hours=i)) for i in range(5)]
    client = client_for(clinician)
    page1 = client.get("/api/v1/consultations/?page_size=2")
    assert page1.status_code == 200
    body = page1.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5
    assert ids(page1) == [str(made[4].pk), str(made[3].pk)]
    assert body["previous"] is None
    page3 = client.get("/api/v1/consultations/?page_size=2&page=3")
    assert ids(page3) == [str(made[0].pk)]
    assert page3.json()["next"] is None


def test_it_caps_the_page_size_at_100(client_for, clinician):
    for i in range(101):
        Consultation.objects.create(clinician=clinician, patient_data={"name": f"p{i}"})  # hidden: no transcript
    for _ in range(102):
        consultation_for(clinician)
    body = client_for(clinician).get("/api/v1/consultations/?page_size=500").json()
    assert body["count"] == 102
    assert len(body["results"]) == 100


def test_it_filters_by_status(client_for, clinician):
    active = consultation_for(clinician)
    ended = consultation_for(clinician)
    client = client_for(clinician)
    client.post(f"/api/v1/consultations/{ended.pk}/end")
    assert ids(client.get("/api/v1/consultations/?status=active")) == [str(active.pk)]
    assert ids(client.get("/api/v1/consultations/?status=ended")) == [str(ended.pk)]


def test_it_filters_by_start_time(client_for, clinician):
    early = started(consultation_for(clinician), datetime(2025, 1, 10, 9, tzinfo=UTC))
    middle = started(consultation_for(clinician), datetime(2025, 2, 10, 9, tzinfo=UTC))
    late = started(consultation_for(clinician), datetime(2025, 3, 10, 9, tzinfo=UTC))
    client = client_for(clinician)
    assert ids(client.get("/api/v1/consultations/?started_after=2025-02-01")) == [str(late.pk), str(middle.pk)]
    assert ids(client.get("/api/v1/consultations/?started_before=2025-02-01T00:00:00Z")) == [str(early.pk)]
    both = client.get("/api/v1/consultations/?started_after=2025-02-10T09:00:00Z&started_before=2025-03-01")
    assert ids(both) == [str(middle.pk)]


def test_it_searches_by_patient_name_case_insensitively(client_for, clinician):
    leo = consultation_for(clinician, "Leo Jones")
    consultation_for(clinician, "Amira Khan")
    client = client_for(clinician)
    assert ids(client.get("/api/v1/consultations/?search=jONES")) == [str(leo.pk)]
    assert ids(client.get("/api/v1/consultations/?search=nobody")) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=paused", "status"),
        ("started_after=yesterday", "started_after"),
        ("started_before=2025-13-01", "started_before"),
    ],
)
def test_it_rejects_bad_filters(client_for, clinician, query, field):
    consultation_for(clinician)
    response = client_for(clinician).get(f"/api/v1/consultations/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]


@pytest.mark.parametrize("query", ["page=0", "page=abc", "page=2"])
def test_it_answers_404_for_a_page_that_does_not_exist(client_for, clinician, query):
    consultation_for(clinician)
    response = client_for(clinician).get(f"/api/v1/consultations/?{query}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_lists_a_page_of_50_in_a_fixed_number_of_queries(client_for, clinician, django_assert_max_num_queries):
    prompt = prompt_for(clinician)
    for i in range(50):
        consultation = consultation_for(clinician, f"patient {i}")
        note_for(consultation)
        note_for(consultation)
        transcript_summary_add(
            transcript=consultation.transcript, content={"plan": "v1"}, text="v1", model="m", prompt=None
        )
        transcript_summary_add(
            transcript=consultation.transcript, content={"plan": "v2"}, text="v2", model="m", prompt=prompt
        )
    client = client_for(clinician)
    # Authentication (token, session, user) + count + page + notes + summaries + the audit insert.
    with django_assert_max_num_queries(7):
        response = client.get("/api/v1/consultations/?page_size=50")
    rows = response.json()["results"]
    assert len(rows) == 50
    assert all(len(row["notes"]) == 2 for row in rows)
    assert all(row["current_summary"]["content"] == {"plan": "v2"} for row in rows)
    assert all(row["current_summary"]["version"] == 2 for row in rows)
    assert all(row["transcript"] for row in rows)
