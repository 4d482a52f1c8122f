"""The gunicorn worker of the ASGI processes (``gunicorn.conf.py``): uvicorn's, with
Scribe's choices.

- ``lifespan="off"``: Django's ASGI application has no lifespan events.
- ``proxy_headers=False``: the client address and scheme are Scribe's to work out
  (``TRUSTED_PROXY_COUNT``, ``scribe.core.clientip``), never rewritten by the server
  from headers a client could send.
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker as _UvicornWorker


class UvicornWorker(_UvicornWorker):
    CONFIG_KWARGS: dict[str, Any] = {"loop": "auto", "http": "auto", "lifespan": "off", "proxy_headers": False}
