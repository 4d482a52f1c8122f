"""The per-user daily AI quota."""

from __future__ import annotations

import pytest

from ai.models import AiUsage

# The quota is per local day: a stopped clock keeps a test from straddling midnight.
pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_it_answers_429_when_the_daily_quota_is_used(openai_stub, settings, clinician, other_clinician, client_for):
    settings.AI_DAILY_QUOTA = 2
    client = client_for(clinician)
    for _ in range(2):
        assert client.post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json").status_code == 200
    refused = client.post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "ai_quota_exceeded"
    assert 0 < int(refused["Retry-After"]) <= 86_400
    assert len(openai_stub.chat_requests()) == 2  # the refused call never reached the provider
    # The quota is per user.
    other = client_for(other_clinician).post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json")
    assert other.status_code == 200


def test_it_counts_every_ai_operation_against_one_quota(openai_stub, settings, clinician, client_for):
    settings.AI_DAILY_QUOTA = 1
    client = client_for(clinician)
    assert client.post("/api/v1/ai/summary", {"transcript_text": "Cough."}, format="json").status_code == 200
    assert client.post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json").status_code == 429


def test_a_failed_call_gives_its_slot_back(openai_stub, settings, clinician, client_for):
    settings.AI_DAILY_QUOTA = 1
    client = client_for(clinician)
    openai_stub.fail_status = 500
    assert client.post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json").status_code == 502
    assert AiUsage.objects.filter(user=clinician).count() == 0
    openai_stub.fail_status = None
    assert client.post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json").status_code == 200
    assert AiUsage.objects.filter(user=clinician).count() == 1


def test_a_slot_freed_below_a_later_one_is_reused(settings, clinician, db):
    # Slots are unique per (user, day, n); a gap left by a released slot is found again.
    from ai.quota import quota_claim, quota_release

    settings.AI_DAILY_QUOTA = 3
    first = quota_claim(user=clinician, operation="search")
    quota_claim(user=clinician, operation="search")
    quota_release(first)
    assert quota_claim(user=clinician, operation="search").n == 1
    assert quota_claim(user=clinician, operation="search").n == 3
    assert AiUsage.objects.filter(user=clinician).count() == 3


def test_concurrent_calls_never_exceed_the_quota(settings, clinician, transactional_db):
    import threading

    from django.db import connection

    from scribe.core.exceptions import RateLimited

    settings.AI_DAILY_QUOTA = 3
    results: list[str] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        from ai.quota import quota_claim

        barrier.wait()
        try:
            quota_claim(user=clinician, operation="search")
            results.append("ok")
        except RateLimited:
            results.append("429")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["429"] * 5 + ["ok"] * 3
    assert sorted(AiUsage.objects.filter(user=clinician).values_list("n", flat=True)) == [1, 2, 3]
