"""Gunicorn settings for the container (read from the working directory by default).

Threaded workers: a request that waits on the AI provider (up to
AI_TIMEOUT_SECONDS) holds a thread, not a whole process.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Longer than the AI timeout (60 s by default, plus retries) so a slow upstream
# answers 504 from Scribe instead of the worker being killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "180"))
graceful_timeout = 30
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

max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
