"""Prometheus metrics at /metrics: each family after the action that moves it, read back
the way Prometheus reads it (prometheus_client.parser), and who may scrape.

Values are process-wide counters shared by every test of this xdist worker, so each test
compares a scrape after its action with one before (deltas, never absolute values).
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from accounts.tests.conftest import LOGIN_URL
from consultations.services import consultation_start

Samples = dict[tuple[str, frozenset], float]


def scrape(**extra) -> Samples:
    response = Client().get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def routes_of(samples: Samples, name: str) -> set[str]:
    return {dict(labels)["route"] for (sample, labels) in samples if sample == name}


def test_it_counts_requests_by_route_pattern_method_and_status(clinician, client_for):
    consultation = consultation_start(clinician=clinician, patient_data={"name": "Alice Example"})
    client = client_for(clinician)
    before = scrape()

    assert client.get(f"/api/v1/consultations/{consultation.pk}").status_code == 200
    assert client.get("/api/v1/consultations").status_code == 200

    after = scrape()
    new_routes = {
        route
        for route in routes_of(after, "scribe_http_requests_total")
        if route != "metrics"  # the scrape before counts itself
        and delta(before, after, "scribe_http_requests_total", route=route, method="GET", status="200")
    }
    # Two patterns (detail, list), never the path with the consultation's id in it.
    assert len(new_routes) == 2
    assert all(route.startswith("api/v1/consultations") for route in new_routes)
    assert not any(f"consultations/{consultation.pk}" in route for route in new_routes)
    assert any("<pk>" in route for route in new_routes)
    for route in new_routes:
        labels = {"route": route, "method": "GET", "status": "200"}
        assert delta(before, after, "scribe_http_requests_total", **labels) == 1
        assert delta(before, after, "scribe_http_request_duration_seconds_count", **labels) == 1
        assert delta(before, after, "scribe_http_request_duration_seconds_bucket", **labels, le="+Inf") == 1


def test_it_counts_errors_by_the_envelope_code(clinician, client_for):
    before = scrape()

    assert APIClient().get("/api/v1/consultations").status_code == 401
    assert client_for(clinician).get("/no/such/path").status_code == 404
    response = client_for(clinician).post("/api/v1/consultations/start", [{"patient_data": {}}], format="json")
    assert response.status_code == 400

    after = scrape()
    assert delta(before, after, "scribe_http_errors_total", code="not_authenticated", status="401") == 1
    assert delta(before, after, "scribe_http_errors_total", code="not_found", status="404") == 1
    assert delta(before, after, "scribe_http_errors_total", code="invalid", status="400") == 1
    # An unknown path is counted under one route, whatever the path was.
    assert delta(before, after, "scribe_http_requests_total", route="<unmatched>", method="GET", status="404") == 1


def test_it_counts_ai_calls_with_latency_and_tokens(openai_stub, settings, clinician, client_for):
    model = settings.AI_CHAT_MODEL
    before = scrape()

    response = client_for(clinician).post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json")

    assert response.status_code == 200
    after = scrape()
    calls = [
        dict(labels)
        for (name, labels) in after
        if name == "scribe_ai_calls_total"
        and delta(before, after, name, **dict(labels))
        and dict(labels)["outcome"] == "ok"
    ]
    assert len(calls) == 1
    task = calls[0]["task"]
    assert calls[0]["model"] == model
    labels = {"task": task, "model": model}
    assert delta(before, after, "scribe_ai_calls_total", **labels, outcome="ok") == 1
    assert delta(before, after, "scribe_ai_call_duration_seconds_count", **labels, outcome="ok") == 1
    assert delta(before, after, "scribe_ai_call_duration_seconds_sum", **labels, outcome="ok") > 0
    # The stub reports 120 prompt and 45 completion tokens per answer.
    assert delta(before, after, "scribe_ai_tokens_total", **labels, kind="prompt") == openai_stub.usage["prompt_tokens"]
    assert (
        delta(before, after, "scribe_ai_tokens_total", **labels, kind="completion")
        == openai_stub.usage["completion_tokens"]
    )


def test_it_counts_sync_and_async_provider_calls_and_their_failures(openai_stub, settings):
    from ai import client

    model = settings.AI_CHAT_MODEL
    messages = [{"role": "user", "content": "Hello"}]
    before = scrape()

    client.chat_text(task="metrics_sync", messages=messages)
    async_to_sync(client.achat_text)(task="metrics_async", messages=messages)
    openai_stub.fail_status = 500
    with pytest.raises(Exception):  # noqa: B017 (Scribe's UpstreamError; the metric is what is tested)
        client.chat_text(task="metrics_sync", messages=messages)

    after = scrape()
    assert delta(before, after, "scribe_ai_calls_total", task="metrics_sync", model=model, outcome="ok") == 1
    assert delta(before, after, "scribe_ai_calls_total", task="metrics_async", model=model, outcome="ok") == 1
    failed = {
        dict(labels)["outcome"]
        for (name, labels) in after
        if name == "scribe_ai_calls_total"
        and dict(labels)["task"] == "metrics_sync"
        and dict(labels)["outcome"] != "ok"
        and delta(before, after, name, **dict(labels))
    }
    assert failed == {"InternalServerError"}
    assert delta(before, after, "scribe_ai_tokens_total", task="metrics_async", model=model, kind="prompt") == 120


@pytest.mark.usefixtures("frozen_clock")
def test_it_counts_quota_refusals(openai_stub, settings, clinician, client_for):
    settings.AI_DAILY_QUOTA = 1
    client = client_for(clinician)
    before = scrape()

    assert client.post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json").status_code == 200
    refused = client.post("/api/v1/ai/search", {"query": "What is asthma?"}, format="json")

    assert refused.status_code == 429
    after = scrape()
    assert delta(before, after, "scribe_ai_quota_refusals_total", quota="ai") == 1
    assert delta(before, after, "scribe_http_errors_total", code="ai_quota_exceeded", status="429") == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_clock")
def test_it_counts_rate_limit_refusals_by_limit(settings):
    settings.RATELIMIT_LOGIN_IP = "1/m"
    before = scrape()

    first = APIClient().post(
        LOGIN_URL, {"email": "a@example.org", "password": "wrong-password"}, REMOTE_ADDR="10.7.0.1"
    )
    second = APIClient().post(
        LOGIN_URL, {"email": "b@example.org", "password": "wrong-password"}, REMOTE_ADDR="10.7.0.1"
    )

    assert (first.status_code, second.status_code) == (401, 429)
    after = scrape()
    assert delta(before, after, "scribe_rate_limit_refusals_total", limit="accounts.login.ip") == 1
    assert delta(before, after, "scribe_http_errors_total", code="rate_limited", status="429") == 1


@pytest.mark.django_db
def test_it_reports_database_and_cache_health_when_scraped():
    samples = scrape()
    assert value(samples, "scribe_dependency_up", dependency="database") == 1
    assert value(samples, "scribe_dependency_up", dependency="cache") == 1


# --- Who may scrape, and the admin's networks ---------------------------------------------


@pytest.mark.django_db
def test_it_refuses_metrics_to_a_client_outside_the_allowed_networks():
    response = Client().get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert b"scribe_http_requests" not in response.content


@pytest.mark.django_db
def test_it_serves_metrics_with_the_token_from_anywhere(settings):
    settings.METRICS_TOKEN = "a-long-random-metrics-token-for-the-test-0123456789"
    allowed = Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}")
    wrong = Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert allowed.status_code == 200
    assert b"scribe_http_requests_total" in allowed.content
    assert wrong.status_code == 403


@pytest.mark.django_db
def test_it_never_accepts_an_empty_token(settings):
    settings.METRICS_TOKEN = ""
    response = Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


@pytest.mark.django_db
def test_it_reads_the_client_address_as_the_rate_limits_do(settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    # No trusted proxy: a forwarded-for header written by the client is ignored.
    settings.TRUSTED_PROXY_COUNT = 0
    spoofed = Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.20.1.1")
    assert spoofed.status_code == 403
    # One trusted proxy: the address it saw.
    settings.TRUSTED_PROXY_COUNT = 1
    proxied = Client().get("/metrics", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.20.1.1")
    assert proxied.status_code == 200
    outside = Client().get("/metrics", REMOTE_ADDR="10.20.1.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert outside.status_code == 403


@pytest.mark.django_db
def test_it_restricts_the_admin_to_its_networks_when_set(settings):
    settings.ADMIN_ALLOWED_NETWORKS = ["10.30.0.0/16"]
    refused = Client().get("/admin/", REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    login_refused = Client().post("/admin/login/", {"username": "x", "password": "y"}, REMOTE_ADDR="203.0.113.9")
    assert login_refused.status_code == 403
    # From the allowed network the admin answers as usual (its login page).
    allowed = Client().get("/admin/", REMOTE_ADDR="10.30.4.5")
    assert allowed.status_code == 302
    assert "/admin/login/" in allowed["Location"]


@pytest.mark.django_db
def test_it_leaves_the_admin_open_when_no_admin_networks_are_set(settings):
    settings.ADMIN_ALLOWED_NETWORKS = []
    assert Client().get("/admin/", REMOTE_ADDR="203.0.113.9").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_it_counts_live_sockets_open_and_windows_transcribed(openai_stub, settings, clinician):
    from accounts.tokens import token_pair_for
    from ai.tests.live_support import EventLoop, Socket, close_worker_connections, heard

    openai_stub.transcription_reply = heard
    settings.LIVE_IDLE_SECONDS = 60.0
    consultation = consultation_start(clinician=clinician, patient_data={"name": "Alice Example"})
    loop = EventLoop()
    try:
        before = scrape()
        socket = Socket(loop, f"/transcription-stream?token={token_pair_for(clinician)['access_token']}")
        socket.receive()
        during = scrape()
        messages = socket.record(consultation.pk)
        socket.close()
        after = scrape()
    finally:
        loop.stop()
        close_worker_connections()

    assert messages[-1]["type"] == "recording_stopped"
    assert delta(before, during, "scribe_live_sockets_open") == 1
    assert delta(before, after, "scribe_live_sockets_open") == 0
    # Three windows of the recording were transcribed and stored (the final pass is no window).
    assert delta(before, after, "scribe_live_windows_total", outcome="stored") == 3
    assert (
        delta(
            before, after, "scribe_ai_calls_total", task="transcribe", model=settings.AI_TRANSCRIBE_MODEL, outcome="ok"
        )
        == 4
    )
