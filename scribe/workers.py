"""The gunicorn worker of the ASGI processes (``gunicorn.conf.py``): uvicorn's, with
Scribe's choices.

- ``lifespan="off"``: Django's ASGI application has no lifespan events.
- ``proxy_headers=False``: the client address and scheme are Scribe's to work out
  (``TRUSTED_PROXY_COUNT``, ``scribe.core.clientip``), never rewritten by the server
  from headers a client could send.
- ``DB_CONN_MAX_AGE=0`` unless set: under ASGI each request's sync code runs in a fresh
  thread, so a persistent connection is never reused, only held, one per request waiting
  on the AI provider (measured: PostgreSQL ran out of connections). Async code closes
  its connection after each database step instead (``scribe.core.asyncdb``). Gunicorn
  imports the worker class before it loads the application, so settings.py reads this.
"""

from __future__ import annotations

import os
from typing import Any

from uvicorn_worker import UvicornWorker as _UvicornWorker

os.environ.setdefault("DB_CONN_MAX_AGE", "0")


class UvicornWorker(_UvicornWorker):
    CONFIG_KWARGS: dict[str, Any] = {"loop": "auto", "http": "auto", "lifespan": "off", "proxy_headers": False}
