"""deploy/nginx/scribe.conf works: a real nginx in front of a real ASGI server (uvicorn)
passes the WebSocket handshake of /transcription-stream and proxies plain requests
with the forwarded headers Scribe reads."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time

import httpx
import pytest
import uvicorn
from websockets.sync.client import connect

from scribe.testing.processes import BASE_DIR

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs it)")


async def echo_app(scope, receive, send):
    """HTTP: answers the request headers it got. WebSocket: echoes text with the path."""
    if scope["type"] == "http":
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        body = json.dumps({"path": scope["path"], "headers": headers}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        message = await receive()
        await send({"type": "websocket.send", "text": f"{scope['path']}:{message.get('text')}"})
        await send({"type": "websocket.close"})


@pytest.fixture
def upstream():
    server = uvicorn.Server(uvicorn.Config(echo_app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    thread.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def proxy(tmp_path, upstream):
    """nginx with deploy/nginx/scribe.conf, only its upstream and listen address changed."""
    site = (BASE_DIR / "deploy/nginx/scribe.conf").read_text()
    assert "server api:8000;" in site
    assert "listen 80;" in site
    port = _free_port()
    site = site.replace("server api:8000;", f"server 127.0.0.1:{upstream};").replace(
        "listen 80;", f"listen 127.0.0.1:{port};"
    )
    (tmp_path / "scribe.conf").write_text(site)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
        (tmp_path / name).chmod(0o777)
    (tmp_path / "nginx.conf").write_text(
        f"""
worker_processes 1;
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/scribe.conf;
}}
"""
    )
    check = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(timeout=10)


def test_it_passes_the_websocket_handshake_of_the_live_transcription(proxy):
    with connect(f"ws://127.0.0.1:{proxy}/transcription-stream?token=abc", open_timeout=10) as socket_:
        socket_.send("start_recording")
        assert socket_.recv(timeout=10) == "/transcription-stream:start_recording"


def test_it_proxies_plain_requests_with_the_forwarded_headers_and_no_upgrade(proxy):
    response = httpx.get(f"http://127.0.0.1:{proxy}/api/v1/consultations/", headers={"Host": "scribe.example"})
    assert response.status_code == 200
    seen = response.json()
    assert seen["path"] == "/api/v1/consultations/"
    headers = seen["headers"]
    assert headers["host"] == "scribe.example"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert "upgrade" not in headers
    assert headers.get("connection", "") != "upgrade"
