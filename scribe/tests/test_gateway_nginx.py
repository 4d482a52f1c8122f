"""deploy/nginx: the cutover gateway. Parsed (crossplane) on every machine; where nginx is
installed (``.ci/run`` installs it) also checked by ``nginx -t`` and run for real in front
of two stub backends on 127.0.0.1, one per switch setting."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import crossplane
import pytest

from scribe.testing.http import StubHandler, serve, stop

GATEWAY = Path(__file__).resolve().parents[2] / "deploy" / "nginx"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install -y nginx; .ci/run does): only parsed here"
)


def _directives(block: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for directive in block:
        yield directive
        yield from _directives(directive.get("block", []))


def _parsed() -> list[dict[str, Any]]:
    parsed = crossplane.parse(str(GATEWAY / "nginx.conf"), combine=True)
    assert parsed["status"] == "ok", parsed["errors"]
    return list(_directives(parsed["config"][0]["parsed"]))


def test_it_parses_with_each_switch_off_and_node_serving():
    switches = {
        d["args"][1]: d["block"][0]["args"][0]
        for d in _parsed()
        if d["directive"] == "map" and d["file"].endswith("scribe-cutover.conf")
    }
    assert switches == {
        "$cutover_target": "node",
        "$cutover_freeze": "off",
        "$cutover_retry_after": "30",
        "$cutover_mirror": "off",
    }


def test_every_path_follows_the_switch_except_scribes_own():
    directives = _parsed()
    upstreams = {d["args"][0] for d in directives if d["directive"] == "upstream"}
    assert upstreams == {"node", "scribe"}
    locations = {tuple(d["args"]): d for d in directives if d["directive"] == "location"}
    for where in (("/",), ("=", "/transcription-stream")):
        passes = [d["args"] for d in locations[where]["block"] if d["directive"] == "proxy_pass"]
        assert passes == [["http://$cutover_target"]]
    mirror = [d["args"] for d in locations[("/",)]["block"] if d["directive"] == "mirror"]
    assert mirror == [["/_cutover_mirror"]]


# --- nginx itself -----------------------------------------------------------------------


class Backend(StubHandler):
    name = ""
    seen: list[tuple[str, str, str | None]]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.seen.append((self.command, self.path, self.headers.get("X-Cutover-Mirror")))
        self._send_json(200, {"backend": self.name})

    do_GET = do_POST = do_PATCH = do_DELETE = do_HEAD = _answer


def _backend(name: str):
    handler = type(f"{name}Backend", (Backend,), {"name": name, "seen": []})
    return serve(handler), handler


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gateway(tmp_path: Path, node_port: int, scribe_port: int, **switches: str) -> Iterator[str]:
    """nginx with the repository's configuration, the upstreams pointed at the stubs and the
    switches set as an operator sets them (the value in scribe-cutover.conf)."""
    prefix = tmp_path / f"nginx-{len(list(tmp_path.iterdir()))}"
    (prefix / "logs").mkdir(parents=True)
    for conf in GATEWAY.glob("*.conf"):
        shutil.copy(conf, prefix / conf.name)
    upstreams = (prefix / "scribe-upstreams.conf").read_text()
    upstreams = upstreams.replace("127.0.0.1:3000", f"127.0.0.1:{node_port}")
    (prefix / "scribe-upstreams.conf").write_text(upstreams.replace("127.0.0.1:8000", f"127.0.0.1:{scribe_port}"))
    cutover = (prefix / "scribe-cutover.conf").read_text()
    for name, value in switches.items():
        default = {"target": "node", "freeze": "off", "mirror": "off"}[name]
        block = f"map $host $cutover_{name} {{\n    default {default};"
        assert block in cutover
        cutover = cutover.replace(block, f"map $host $cutover_{name} {{\n    default {value};")
    (prefix / "scribe-cutover.conf").write_text(cutover)
    for _attempt in range(3):
        port = _free_port()
        gateway_conf = (
            (GATEWAY / "scribe-gateway.conf").read_text().replace("listen 8080;", f"listen 127.0.0.1:{port};")
        )
        (prefix / "scribe-gateway.conf").write_text(gateway_conf)
        process = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(prefix),
                "-c",
                str(prefix / "nginx.conf"),
                "-e",
                "stderr",
                "-g",
                "daemon off; master_process off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            if _ready(port, process):
                yield f"http://127.0.0.1:{port}"
                return
        finally:
            process.terminate()
            process.wait(timeout=10)
    pytest.fail(f"nginx did not start: {process.stderr.read().decode()[-2000:]}")


def _ready(port: int, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # e.g. the port was taken meanwhile: the caller tries another
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def _call(url: str, method: str = "GET", body: dict | None = None) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


@pytest.fixture
def backends() -> Iterator[tuple[Any, Any, Any, Any]]:
    node, node_handler = _backend("node")
    scribe, scribe_handler = _backend("scribe")
    yield node, node_handler, scribe, scribe_handler
    stop(node)
    stop(scribe)


@needs_nginx
def test_nginx_accepts_the_configuration(tmp_path):
    prefix = tmp_path / "prefix"
    (prefix / "logs").mkdir(parents=True)
    for conf in GATEWAY.glob("*.conf"):
        shutil.copy(conf, prefix / conf.name)
    done = subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


@needs_nginx
def test_one_switch_sends_the_frontends_paths_to_node_or_scribe(tmp_path, backends):
    node, _, scribe, scribe_handler = backends
    ports = node.server_address[1], scribe.server_address[1]
    with gateway(tmp_path, *ports) as url:
        assert _call(f"{url}/api/consultation")[2] == {"backend": "node"}
        assert _call(f"{url}/users/login", "POST", {"email": "a@b.c"})[2] == {"backend": "node"}
        assert _call(f"{url}/api/v1/consultations/")[2] == {"backend": "scribe"}
    assert [path for _, path, _ in scribe_handler.seen] == ["/api/v1/consultations/"]  # no mirror while off
    with gateway(tmp_path, *ports, target="scribe") as url:
        assert _call(f"{url}/api/consultation")[2] == {"backend": "scribe"}
        assert _call(f"{url}/users/login", "POST", {"email": "a@b.c"})[2] == {"backend": "scribe"}


@needs_nginx
def test_a_freeze_answers_writes_503_with_retry_after_and_lets_reads_through(tmp_path, backends):
    node, node_handler, scribe, scribe_handler = backends
    with gateway(tmp_path, node.server_address[1], scribe.server_address[1], freeze="on") as url:
        status, headers, body = _call(f"{url}/api/notes/68f779809c74431238e9ea1e", "PATCH", {"body": "x"})
        assert status == 503
        assert headers["Retry-After"] == "30"
        assert body["code"] == "maintenance"
        assert body["msg"]
        assert _call(f"{url}/api/v1/notes/", "POST", {"body": "x"})[0] == 503
        assert _call(f"{url}/api/consultation")[2] == {"backend": "node"}
    assert [seen for seen in node_handler.seen if seen[0] != "GET"] == []
    assert [seen for seen in scribe_handler.seen if seen[0] != "GET"] == []


@needs_nginx
def test_a_mirror_sends_reads_to_scribe_too_and_never_writes(tmp_path, backends):
    node, node_handler, scribe, scribe_handler = backends
    with gateway(tmp_path, node.server_address[1], scribe.server_address[1], mirror="on") as url:
        assert _call(f"{url}/api/notes/abc", "POST", {"body": "x"})[2] == {"backend": "node"}
        assert _call(f"{url}/api/consultation?page=2")[2] == {"backend": "node"}
        deadline = time.monotonic() + 10
        while not scribe_handler.seen and time.monotonic() < deadline:
            time.sleep(0.05)  # the mirror is sent in the background
    assert ("GET", "/api/consultation?page=2", "1") in scribe_handler.seen
    assert [seen for seen in scribe_handler.seen if seen[0] != "GET"] == []
    assert ("POST", "/api/notes/abc", None) in node_handler.seen
    # Both answers logged side by side under one request id, without the query string.
    logs = {log.name: log.read_text() for log in tmp_path.glob("*/logs/cutover-*.log")}
    mirrored = logs["cutover-mirror.log"].split()
    assert mirrored[2:5] == ["GET", "/api/consultation", "200"]
    assert mirrored[1] in logs["cutover-access.log"]
    assert "page=2" not in "".join(logs.values())
