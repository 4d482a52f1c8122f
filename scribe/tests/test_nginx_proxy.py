"""deploy/nginx/scribe.conf works: a real nginx in front of two real servers (uvicorn
standing in for the REST and the ASGI process) passes the WebSocket handshake of
/transcription-stream, sends the AI paths to the ASGI process and everything else to
REST, with the forwarded headers Scribe reads."""

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


def echo_app(name: str):
    """HTTP: answers its name and the request headers it got. WebSocket: echoes text."""

    async def app(scope, receive, send):
        await _echo(name, scope, receive, send)

    return app


async def _echo(name, scope, receive, send):
    if scope["type"] == "http":
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        body = json.dumps({"server": name, "path": scope["path"], "headers": headers}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        message = await receive()
        await send({"type": "websocket.send", "text": f"{name}{scope['path']}:{message.get('text')}"})
        await send({"type": "websocket.close"})


def _serve(name: str):
    server = uvicorn.Server(
        uvicorn.Config(echo_app(name), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    return server, thread


@pytest.fixture
def upstreams():
    """(REST port, ASGI port)."""
    running = [_serve("rest"), _serve("asgi")]
    yield tuple(server.servers[0].sockets[0].getsockname()[1] for server, _ in running)
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def proxy(tmp_path, upstreams):
    """nginx with deploy/nginx/scribe.conf, only its upstreams and listen address changed."""
    site = (BASE_DIR / "deploy/nginx/scribe.conf").read_text()
    for line in ("server api:8000;", "server asgi:8000;", "listen 80;"):
        assert line in site
    port = _free_port()
    rest, asgi = upstreams
    site = (
        site.replace("server api:8000;", f"server 127.0.0.1:{rest};")
        .replace("server asgi:8000;", f"server 127.0.0.1:{asgi};")
        .replace("listen 80;", f"listen 127.0.0.1:{port};")
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
    check = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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


def test_it_passes_the_websocket_handshake_of_the_live_transcription_to_asgi(proxy):
    with connect(f"ws://127.0.0.1:{proxy}/transcription-stream?token=abc", open_timeout=10) as socket_:
        socket_.send("start_recording")
        assert socket_.recv(timeout=10) == "asgi/transcription-stream:start_recording"


@pytest.mark.parametrize(
    ("path", "server"),
    [
        ("/api/v1/ai/search", "asgi"),
        ("/api/v1/ai/summary/", "asgi"),
        ("/api/v1/transcripts/7f3c/summarize", "asgi"),
        ("/api/ai/search", "asgi"),
        ("/api/ai/3f2a/summarise", "asgi"),
        ("/api/consultation/3f2a/end", "asgi"),
        ("/api/v1/consultations/", "rest"),
        ("/api/v1/transcripts/7f3c/segments", "rest"),
        ("/api/consultation/3f2a", "rest"),
        ("/users/login", "rest"),
        ("/health", "rest"),
    ],
)
def test_it_sends_the_ai_paths_to_asgi_and_the_rest_to_rest(proxy, path, server):
    response = httpx.post(f"http://127.0.0.1:{proxy}{path}", json={})
    assert response.status_code == 200
    assert response.json() == {**response.json(), "server": server, "path": path}


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
