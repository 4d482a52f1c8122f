"""Segments are never lost, never doubled and always in order under concurrent writers.

20 writers post 50 segments each, in shuffled order, to a real threaded WSGI
server (pytest-django's ``live_server``); every segment is posted a second time
by another writer at the same time (a retry racing the original), so the unique
(transcript, seq) constraint is what decides. Runs on whatever database the
suite runs on (SQLite file with WAL, PostgreSQL).
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import httpx
import pytest

from accounts.tokens import token_pair_for
from consultations.models import Segment
from consultations.tests.factories import consultation_for

WRITERS = 20
PER_WRITER = 50
TOTAL = WRITERS * PER_WRITER


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_keeps_every_segment_once_and_in_order_under_concurrent_retried_writers(live_server, clinician):
    transcript = consultation_for(clinician).transcript
    token = token_pair_for(clinician)["access_token"]
    url = f"{live_server.url}/api/v1/transcripts/{transcript.pk}/segments"

    seqs = list(range(TOTAL))
    random.Random(20).shuffle(seqs)
    shares = [seqs[i * PER_WRITER : (i + 1) * PER_WRITER] for i in range(WRITERS)]
    # Each writer sends its own 50 segments and, as the "retry", its neighbour's 50, interleaved.
    plans = []
    for i in range(WRITERS):
        plan = shares[i] + shares[(i + 1) % WRITERS]
        random.Random(i).shuffle(plan)
        plans.append(plan)

    statuses: dict[int, list[int]] = {seq: [] for seq in seqs}
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def writer(plan: list[int]) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            start.wait()
            for seq in plan:
                try:
                    response = client.post(url, json={"seq": seq, "text": f"segment {seq}", "speaker": "patient"})
                except httpx.HTTPError as exc:
                    with lock:
                        failures.append(f"seq {seq}: {exc!r}")
                    continue
                with lock:
                    statuses[seq].append(response.status_code)

    threads = [threading.Thread(target=writer, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    every_status = Counter(code for codes in statuses.values() for code in codes)
    assert set(every_status) <= {200, 201}, every_status
    # Exactly one of the two posts of each segment stored it; the other saw it stored.
    assert all(sorted(codes) == [200, 201] for codes in statuses.values())

    assert Segment.objects.filter(transcript=transcript).count() == TOTAL
    body = httpx.get(
        f"{live_server.url}/api/v1/transcripts/{transcript.pk}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert body["segments_count"] == TOTAL
    assert body["transcript_text"] == "\n".join(f"segment {seq}" for seq in range(TOTAL))
