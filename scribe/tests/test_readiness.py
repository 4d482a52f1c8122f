"""/health/ready reports each dependency; 503 with the breakdown when one is down."""

from __future__ import annotations

import json
import socket

import pytest
from django.core.cache import caches
from django.test import override_settings

from scribe.testing.processes import run


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends


@pytest.mark.django_db
def test_it_is_ready_when_database_and_cache_answer(api_client):
    response = api_client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
def test_it_answers_503_naming_the_cache_when_redis_is_down(api_client):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with override_settings(CACHES=unreachable):
        assert type(caches["default"]).__name__ == "RedisCache"
        response = api_client.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "cache": "unavailable"}}
    assert response["X-Request-ID"]


def test_it_answers_503_naming_the_database_when_postgres_is_down():
    # A real unreachable PostgreSQL, in a child process with its own settings.
    code = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/health/ready')\n"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))\n"
    )
    done = run(
        ["-c", code],
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="scribe.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/scribe?connect_timeout=2",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "status": 503,
        "body": {"status": "unavailable", "checks": {"database": "unavailable", "cache": "ok"}},
    }
