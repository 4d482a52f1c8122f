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
