"""What the stub servers share: a quiet handler with one way to send an answer, and
starting/stopping a threaded server on a free loopback port."""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a burst of concurrent clients (64 live
    # windows awaiting the provider at once in bench_live) overflowed it and some
    # connections failed (APIConnectionError) before Scribe's code was involved.
    request_queue_size = 128


def serve(
    handler: type[BaseHTTPRequestHandler], *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
) -> ThreadingHTTPServer:
    """Serve ``handler`` on a free port of ``host`` from a daemon thread (HTTPS with ``tls``)."""
    server = _Server((host, 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def _send(
        self,
        status: int,
        body: bytes,
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(
        self,
        status: int,
        payload: Any,
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self._send(status, json.dumps(payload).encode(), headers=headers, content_type=content_type)
