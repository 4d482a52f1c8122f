"""Security events (login/refresh/logout failures, token rejections, role denials).

Ids only: the user's id, the client's IP and the request id. Never an email,
a password or a token.
"""

from __future__ import annotations

import logging
from typing import Any

from scribe.core.clientip import client_ip
from scribe.core.logging import current_request_id

security_logger = logging.getLogger("scribe.security")


def security_event(
    event: str, *, request, user_id: object | None = None, level: int = logging.WARNING, **fields: Any
) -> None:
    security_logger.log(
        level,
        event,
        extra={
            "event": event,
            "user_id": None if user_id is None else str(user_id),
            "ip": client_ip(getattr(request, "_request", request)) if request is not None else None,
            "request_id": current_request_id(),
            **fields,
        },
    )
