from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from consultations.models import Consultation, Segment
from consultations.services import SEGMENT_MAX_CHARS, SEGMENT_MAX_SEQ
from consultations.tests.factories import consultation_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def transcript(clinician):
    return consultation_for(clinician).transcript


def url(transcript) -> str:
    return f"/api/v1/transcripts/{transcript.pk}/segments"


def test_it_assembles_segments_in_seq_order_whatever_the_arrival_order(client_for, clinician, transcript):
    client = client_for(clinician)
    for seq, text in [(3, "three"), (1, "one"), (2, "two"), (0, "zero")]:
        response = client.post(url(transcript), {"seq": seq, "text": text, "speaker": "patient"})
        assert response.status_code == 201, response.json()
        assert response.json()["seq"] == seq
    body = client.get(f"/api/v1/transcripts/{transcript.pk}").json()
    assert body["transcript_text"] == "zero\none\ntwo\nthree"
    assert body["segments_count"] == 4
    assert body["text_source"] == "segments"


def test_it_answers_200_for_the_same_seq_and_text_again(client_for, clinician, transcript):
    client = client_for(clinician)
    first = client.post(url(transcript), {"seq": 5, "text": "Chest pain since Monday."})
    again = client.post(url(transcript), {"seq": 5, "text": "Chest pain since Monday."})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Segment.objects.filter(transcript=transcript).count() == 1


def test_it_answers_409_for_the_same_seq_with_other_text(client_for, clinician, transcript):
    client = client_for(clinician)
    client.post(url(transcript), {"seq": 5, "text": "Chest pain since Monday."})
    response = client.post(url(transcript), {"seq": 5, "text": "Chest pain since Tuesday."})
    assert response.status_code == 409
    assert response.json()["code"] == "segment_conflict"
    assert Segment.objects.get(transcript=transcript, seq=5).text == "Chest pain since Monday."


def test_it_refuses_segments_after_the_consultation_ended(client_for, clinician, transcript):
    client = client_for(clinician)
    client.post(url(transcript), {"seq": 1, "text": "before"})
    assert client.post(f"/api/v1/consultations/{transcript.consultation_id}/end").status_code == 200

    response = client.post(url(transcript), {"seq": 2, "text": "after"})
    assert response.status_code == 409
    assert response.json()["code"] == "transcript_closed"
    # A late retry of a segment stored before the end is still idempotent.
    assert client.post(url(transcript), {"seq": 1, "text": "before"}).status_code == 200
    assert list(Segment.objects.filter(transcript=transcript).values_list("seq", flat=True)) == [1]


def test_it_takes_back_a_segment_that_raced_the_end(client_for, clinician, transcript):
    # Another request ends the consultation after this append checked it was open and
    # before its insert (here: just before the INSERT reaches the database).
    ended = []

    def end_just_before_the_insert(execute, sql, params, many, context):
        if not ended and sql.lstrip().upper().startswith("INSERT") and "consultations_segment" in sql:
            ended.append(sql)
            Consultation.objects.filter(pk=transcript.consultation_id).update(status="ended", ended_at=timezone.now())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(end_just_before_the_insert):
        response = client_for(clinician).post(url(transcript), {"seq": 0, "text": "too late"})

    assert ended
    assert response.status_code == 409
    assert response.json()["code"] == "transcript_closed"
    assert not Segment.objects.filter(transcript=transcript).exists()


def test_it_stores_speaker_and_timings(client_for, clinician, transcript):
    response = client_for(clinician).post(
        url(transcript), {"seq": 0, "text": "Hello", "speaker": "clinician", "start_ms": 0, "end_ms": 1500}
    )
    assert response.status_code == 201
    segment = Segment.objects.get(transcript=transcript)
    assert (segment.speaker, segment.start_ms, segment.end_ms) == ("clinician", 0, 1500)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"seq": -1, "text": "x"}, "seq"),
        ({"seq": SEGMENT_MAX_SEQ + 1, "text": "x"}, "seq"),
        ({"seq": "1", "text": "x"}, "seq"),
        ({"seq": 1.5, "text": "x"}, "seq"),
        ({"seq": True, "text": "x"}, "seq"),
        ({"text": "x"}, "seq"),
        ({"seq": 1, "text": "x" * (SEGMENT_MAX_CHARS + 1)}, "text"),
        ({"seq": 1, "text": "   "}, "text"),
        ({"seq": 1, "text": 42}, "text"),
        ({"seq": 1}, "text"),
        ({"seq": 1, "text": "x", "speaker": "nurse"}, "speaker"),
        ({"seq": 1, "text": "x", "start_ms": -5}, "start_ms"),
        ({"seq": 1, "text": "x", "start_ms": 900, "end_ms": 100}, "end_ms"),
        ({"seq": 1, "text": "x", "confidence": 0.9}, "confidence"),
    ],
)
def test_it_rejects_bad_segments_with_400_and_stores_nothing(client_for, clinician, transcript, payload, field):
    response = client_for(clinician).post(url(transcript), payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    assert Segment.objects.count() == 0


def test_it_accepts_the_limits_themselves(client_for, clinician, transcript):
    client = client_for(clinician)
    assert client.post(url(transcript), {"seq": SEGMENT_MAX_SEQ, "text": "x" * SEGMENT_MAX_CHARS}).status_code == 201
    assert client.post(url(transcript), {"seq": 0, "text": "y"}).status_code == 201
