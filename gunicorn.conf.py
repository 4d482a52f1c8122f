"""Gunicorn settings for the container (read from the working directory by default).

Two kinds of process share this file (README "Deploying", chosen by measurement with
bench/bench_ai_wait.py):

- the REST API, ``gunicorn scribe.wsgi:application``: threaded (``gthread``) workers,
  ``GUNICORN_THREADS`` each, with persistent database connections;
- the AI endpoints and the live-transcription WebSocket, ``gunicorn
  scribe.asgi:application`` with ``GUNICORN_WORKER_CLASS=scribe.workers.UvicornWorker``:
  one event loop per worker, so a request waiting on the AI provider holds no thread.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))  # gthread only
# Longer than AI_REQUEST_BUDGET_SECONDS (150 s by default) so a slow upstream answers
# 504 from Scribe instead of the worker being killed. For uvicorn workers it is also the
# heartbeat: an event loop blocked this long gets its worker restarted.
_ai_budget = float(os.environ.get("AI_REQUEST_BUDGET_SECONDS", "150"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", str(int(_ai_budget) + 30)))
# A worker restarting (max_requests, reload) lets requests in flight finish, an AI wait
# included; a stop (SIGTERM) is bounded by the orchestrator's own grace period.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", str(int(_ai_budget) + 10)))
keepalive = 5
# Scribe writes its own JSON access line per request (no query strings); gunicorn's
# access log would repeat the request line with its query string.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Bodies are bounded by Scribe's BodySizeLimitMiddleware.
# --- Request limits and JSON refusals (issue 13) ---
# Request line (method + URL) up to 8190 bytes (gunicorn's maximum), at most 100 header
# fields of at most 8190 bytes each; beyond them gunicorn answers 414/431 itself, before
# Django. Those answers, and its 400s for malformed or ambiguous requests (Transfer-Encoding
# with Content-Length, duplicate Content-Length...), are JSON in the contract's shape
# (scribe/gunicorn_errors.py) instead of gunicorn's HTML page. See README "Hardening".
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
import scribe.gunicorn_errors  # noqa: E402,F401  (replaces gunicorn's HTML error writer)

# --- Worker lifetime (issue 16) ---
# A restart takes a worker's share of capacity away while the new one starts (10-17 s
# measured under load), so restarts are a leak safety net only: at the 100-200 requests/s
# a worker serves under load (bench/bench_http.py), 2,000,000 +- 10% is 3-6 hours; the
# jitter keeps the workers from restarting together. 0 turns restarts off.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000000"))
max_requests_jitter = max_requests // 10
# The application is imported once in the master and the workers fork from it (shared
# memory pages, faster restarts). Nothing opened before the fork may be shared after it:
# the master closes its database and cache connections before each fork (pre_fork).
# GUNICORN_PRELOAD=false imports the application in each worker instead.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in ("1", "true", "yes")


def pre_fork(server, worker):
    if not preload_app:
        return
    from django.core.cache import caches
    from django.db import connections

    connections.close_all()
    for cache in caches.all(initialized_only=True):
        cache.close()


# --- Prometheus multi-process mode (README "Metrics") ---
# Every worker writes its metric values to files in PROMETHEUS_MULTIPROC_DIR, and a scrape
# answered by any worker adds up all of them (prometheus-client's multi-process mode).
# Unset: a folder of this server's own in the temporary folder (/tmp, an emptyDir in
# Kubernetes), removed when the server stops. Set: that folder, created if missing. Either
# way it is emptied at start-up, so a restarted server starts its counters from zero (a
# counter reset, which Prometheus's rate() expects) and never adds a previous run's values.
# One folder per server: the REST and the ASGI servers must not share one.
_metrics_dir_given = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
if not _metrics_dir_given:
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(tempfile.gettempdir(), f"scribe-prometheus-{os.getpid()}")


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    # A dead worker's "live" gauges (open live-transcription sockets) stop counting.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if not _metrics_dir_given:
        import shutil

        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
