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
# Bodies are bounded by Scribe's BodySizeLimitMiddleware; header sizes by gunicorn's defaults.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
