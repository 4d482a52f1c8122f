"""Prometheus metrics (prometheus-client), served at ``/metrics`` to allowed scrapers only.

Every metric is defined here, in the lowest layer, so any app may count without importing
another app. With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py sets and empties it at
start-up) every worker process writes its values to files there and a scrape of any worker
adds them all up (prometheus-client's multi-process mode); without it (runserver, tests)
the values live in the process. Labels are closed sets: the route *pattern* (never a path,
which carries ids), the method, the status, the error envelope's ``code``, the AI task and
model, outcomes. README "Metrics" lists every metric.

Database and cache health are measured at scrape time, by the same checks as
``/health/ready``, so a scrape reports the dependencies as the scraped process sees them.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from scribe.core.clientip import client_ip
from scribe.core.exceptions import json_error

UNMATCHED_ROUTE = "<unmatched>"
METRICS_PATHS = frozenset({"/metrics", "/metrics/"})

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # gunicorn.conf.py creates it; a command run with the variable set must not fail on it.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# Seconds. Requests: from a cached probe (~1 ms) to a long AI wait (the 150 s budget).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 150.0)
AI_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 180.0)

HTTP_REQUESTS = Counter(
    "scribe_http_requests",
    "HTTP requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "scribe_http_request_duration_seconds",
    "Time from the request reaching Django to its response (a stream's body not included).",
    ["route", "method", "status"],
    buckets=REQUEST_BUCKETS,
)
HTTP_ERRORS = Counter(
    "scribe_http_errors",
    "Error answers (4xx/5xx) by the error envelope's code (`<none>` when the body has none).",
    ["code", "status"],
)
AI_CALLS = Counter(
    "scribe_ai_calls",
    "Calls to the AI provider by task, model and outcome (`ok` or the error's class).",
    ["task", "model", "outcome"],
)
AI_CALL_DURATION = Histogram(
    "scribe_ai_call_duration_seconds",
    "Latency of one AI provider call (retries included).",
    ["task", "model", "outcome"],
    buckets=AI_BUCKETS,
)
AI_TOKENS = Counter(
    "scribe_ai_tokens",
    "Tokens the AI provider reported, by task, model and kind (prompt, completion).",
    ["task", "model", "kind"],
)
AI_QUOTA_REFUSALS = Counter(
    "scribe_ai_quota_refusals",
    "Requests refused because the user's daily AI quota was used up (ai, live).",
    ["quota"],
)
RATE_LIMIT_REFUSALS = Counter(
    "scribe_rate_limit_refusals",
    "Requests refused by a rate limit, by limit (group).",
    ["limit"],
)
LIVE_SOCKETS_OPEN = Gauge(
    "scribe_live_sockets_open",
    "Live-transcription WebSockets open now (summed over live processes).",
    multiprocess_mode="livesum",
)
LIVE_WINDOWS = Counter(
    "scribe_live_windows",
    "Live-transcription windows by outcome (stored, skipped, failed, closed).",
    ["outcome"],
)


# --- Recording -------------------------------------------------------------------------


def ai_call_observe(*, task: str, model: str, outcome: str, seconds: float, usage: dict[str, int]) -> None:
    AI_CALLS.labels(task, model, outcome).inc()
    AI_CALL_DURATION.labels(task, model, outcome).observe(seconds)
    for kind in ("prompt", "completion"):
        tokens = usage.get(f"{kind}_tokens")
        if tokens:
            AI_TOKENS.labels(task, model, kind).inc(tokens)


def quota_refused(*, quota: str) -> None:
    AI_QUOTA_REFUSALS.labels(quota).inc()


def rate_limit_refused(*, limits: Iterable[str]) -> None:
    for limit in limits:
        RATE_LIMIT_REFUSALS.labels(limit).inc()


def live_socket_opened() -> None:
    LIVE_SOCKETS_OPEN.inc()


def live_socket_closed() -> None:
    LIVE_SOCKETS_OPEN.dec()


def live_window_done(*, outcome: str) -> None:
    LIVE_WINDOWS.labels(outcome).inc()


def _error_code(response: HttpResponse) -> str:
    data = getattr(response, "data", None)  # a DRF Response, before rendering
    if isinstance(data, dict):
        return str(data.get("code") or "<none>")
    if response.streaming or not response.get("Content-Type", "").startswith("application/json"):
        return "<none>"
    content = response.content
    if len(content) > 65_536:
        return "<none>"
    try:
        body = json.loads(content)
    except ValueError:
        return "<none>"
    return str(body.get("code") or "<none>") if isinstance(body, dict) else "<none>"


class MetricsMiddleware:
    """Counts and times every request (just inside RequestIdMiddleware), and refuses
    ``/metrics`` and (when ``ADMIN_ALLOWED_NETWORKS`` is set) ``/admin/`` to clients
    that are not allowed, before anything else runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        route = None
        if request.path_info in METRICS_PATHS:
            # Answered here, before sessions, CSRF and CommonMiddleware's host check: a
            # scraper reaches the pod by its IP address, which ALLOWED_HOSTS does not list.
            route = "metrics"
            response = _refusal(request) or metrics_view(request)
        else:
            response = _refusal(request) or self.get_response(request)
        if route is None:
            match = getattr(request, "resolver_match", None)
            route = match.route if match and match.url_name != "not-found" else UNMATCHED_ROUTE
        status = str(response.status_code)
        HTTP_REQUESTS.labels(route, request.method, status).inc()
        HTTP_REQUEST_DURATION.labels(route, request.method, status).observe(time.perf_counter() - started)
        if response.status_code >= 400:
            HTTP_ERRORS.labels(_error_code(response), status).inc()
        return response


# --- Who may scrape (and reach the admin) ------------------------------------------------


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def address_allowed(request: HttpRequest, cidrs: Iterable[str]) -> bool:
    """Whether the client (as the rate limits see it, TRUSTED_PROXY_COUNT) is in ``cidrs``."""
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(tuple(cidrs)))


def _bearer_matches(request: HttpRequest, token: str) -> bool:
    if not token:
        return False
    scheme, _, offered = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not offered:
        return False
    return hmac.compare_digest(offered.strip().encode(), token.encode())


def _refusal(request: HttpRequest) -> HttpResponse | None:
    path = request.path_info
    if path in METRICS_PATHS:
        if address_allowed(request, settings.METRICS_ALLOWED_NETWORKS) or _bearer_matches(
            request, settings.METRICS_TOKEN
        ):
            return None
        return json_error(403, "Metrics are not available to this client.", "permission_denied")
    admin_networks = settings.ADMIN_ALLOWED_NETWORKS
    if admin_networks and path.startswith("/admin/") and not address_allowed(request, admin_networks):
        return json_error(403, "The admin is not available from this network.", "permission_denied")
    return None


# --- The scrape -------------------------------------------------------------------------


class DependencyHealthCollector(Collector):
    """``scribe_dependency_up`` and its check's duration, measured when scraped."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from scribe.core.views import ReadyView

        up = GaugeMetricFamily(
            "scribe_dependency_up",
            "1 when the dependency answered the readiness check during this scrape, else 0.",
            labels=["dependency"],
        )
        took = GaugeMetricFamily(
            "scribe_dependency_check_seconds",
            "How long the dependency's readiness check took during this scrape.",
            labels=["dependency"],
        )
        for name, check in ReadyView.checks.items():
            started = time.perf_counter()
            try:
                ok = check() == "ok"
            except Exception:  # a scrape reports, it does not raise
                ok = False
            up.add_metric([name], 1.0 if ok else 0.0)
            took.add_metric([name], time.perf_counter() - started)
        yield up
        yield took


def multiprocess_enabled() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition() -> bytes:
    """The text exposition of every metric: all processes' (multi-process mode) or this one's."""
    if multiprocess_enabled():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        main = generate_latest(registry)
    else:
        main = generate_latest(REGISTRY)
    health = CollectorRegistry()
    health.register(DependencyHealthCollector())
    return main + generate_latest(health)


def metrics_view(request: HttpRequest) -> HttpResponse:
    # MetricsMiddleware refuses first (before sessions and CSRF); checked again here so the
    # view is never open when the middleware is left out.
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    if request.method not in ("GET", "HEAD"):
        return json_error(405, "Method not allowed.", "method_not_allowed")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
