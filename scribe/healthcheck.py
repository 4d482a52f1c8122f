"""The container's HEALTHCHECK: ``python -m scribe.healthcheck`` (the slim image has no curl).

Standard library only, so it costs milliseconds, not a Django start-up. It asks
the local server for /health with a Host header Scribe accepts (the first of
ALLOWED_HOSTS) and as if through the TLS proxy (no SSL redirect). Exit 0 healthy.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    host = os.environ.get("ALLOWED_HOSTS", "").split(",")[0].strip().lstrip(".") or "localhost"
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/health", headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=float(os.environ.get("HEALTHCHECK_TIMEOUT", "4"))) as response:  # noqa: S310 (always http://127.0.0.1)
            healthy = response.status == 200 and b'"healthy"' in response.read()
    except OSError as exc:
        sys.stderr.write(f"healthcheck: {type(exc).__name__}\n")
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
