"""A database outage is a 503 ``database_unavailable`` with Retry-After, logged once, never a 500.

The SQL drivers' errors are tried for real (PostgreSQL on a closed port, in a child
process); PyMongo's are raised by probe views, because django-mongodb-backend only
re-raises them (as ``DatabaseError`` from the PyMongo error).
"""

from __future__ import annotations

import json
import socket

import pytest
from django.test import override_settings

from scribe.core.exceptions import DATABASE_RETRY_AFTER_SECONDS
from scribe.testing.processes import PRODUCTION_ENV, manage

pytestmark = pytest.mark.django_db


def assert_database_unavailable(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert body["request_id"] == response["X-Request-ID"]


@override_settings(ROOT_URLCONF="scribe.tests.urls", DEBUG=False)
@pytest.mark.parametrize("kind", ["operational", "interface", "selection", "wrapped-autoreconnect"])
@pytest.mark.parametrize("prefix", ["/probe", "/probe/plain"])
def test_it_maps_every_database_availability_error_to_a_503(api_client, log, kind, prefix):
    api_client.raise_request_exception = False
    response = api_client.get(f"{prefix}/database-down/{kind}")
    assert_database_unavailable(response)
    error_lines = [r for r in log.records if r["level"] in ("ERROR", "CRITICAL")]
    assert [r["message"] for r in error_lines] == ["database_unavailable"]
    assert "Quagmire" not in log.text
    assert "Traceback" not in log.text


@override_settings(ROOT_URLCONF="scribe.tests.urls", DEBUG=False)
def test_it_still_answers_other_errors_with_a_500(api_client):
    api_client.raise_request_exception = False
    assert api_client.get("/probe/crash").status_code == 500


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PROBE = """
import json
from django.test import Client
client = Client(raise_request_exception=False)
answers = {}
r = client.post("/api/v1/users/login", {"email": "a@example.com", "password": "x"}, content_type="application/json")
answers["api"] = [r.status_code, r.get("Retry-After"), json.loads(r.content)]
r = client.post("/admin/login/", {"username": "a@example.com", "password": "x"})
answers["plain"] = [r.status_code, r.get("Retry-After"), json.loads(r.content)]
print(json.dumps(answers))
"""


@pytest.mark.slow
def test_it_answers_503_when_postgresql_is_unreachable():
    done = manage(
        "shell",
        "--verbosity=0",
        "-c",
        PROBE,
        **{**PRODUCTION_ENV, "ALLOWED_HOSTS": "testserver"},
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{_closed_port()}/scribe_unreachable",
        DB_CONN_MAX_AGE="0",
        LOG_LEVEL="INFO",
    )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    for name in ("api", "plain"):
        status, retry_after, body = answers[name]
        assert (status, retry_after, body["code"]) == (503, str(DATABASE_RETRY_AFTER_SECONDS), "database_unavailable")
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert [line["message"] for line in errors] == ["database_unavailable", "database_unavailable"]
    assert {line["error"] for line in errors} == {"OperationalError"}
    assert "a@example.com" not in done.stderr
    assert "Traceback" not in done.stderr
