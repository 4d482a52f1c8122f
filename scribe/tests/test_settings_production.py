"""With DEBUG off, Scribe refuses development secrets with one clear line, and starts with real ones."""

from __future__ import annotations

import pytest

from scribe.testing.processes import PRODUCTION_ENV, manage

DEV_SECRET = "django-insecure-scribe-development-only-secret-key"
DEV_JWT = "scribe-development-only-jwt-secret-do-not-deploy"


def assert_refused(done, *names: str) -> str:
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert line.startswith("scribe: refusing to start with DEBUG off")
    for name in ("SECRET_KEY", "JWT_SECRET_KEY", "LEGACY_JWT_SECRET_KEY", "ALLOWED_HOSTS"):
        # "SECRET_KEY" is also inside "JWT_SECRET_KEY": look for the listed names as words.
        listed = [part.strip(" ,") for part in line.split(": set ")[1].split(" (")[0].split(",")]
        assert (name in listed) == (name in names), line
    return line


def test_it_refuses_to_start_with_nothing_configured():
    assert_refused(manage("check", DEBUG="false"), "SECRET_KEY", "JWT_SECRET_KEY", "ALLOWED_HOSTS")


def test_it_treats_a_missing_debug_as_production():
    assert_refused(manage("check"), "SECRET_KEY", "JWT_SECRET_KEY", "ALLOWED_HOSTS")


@pytest.mark.parametrize(
    ("override", "refused"),
    [
        ({"SECRET_KEY": DEV_SECRET}, "SECRET_KEY"),
        ({"SECRET_KEY": "short-but-not-a-dev-value"}, "SECRET_KEY"),
        ({"JWT_SECRET_KEY": DEV_JWT}, "JWT_SECRET_KEY"),
        ({"JWT_SECRET_KEY": "changeme"}, "JWT_SECRET_KEY"),
        ({"LEGACY_JWT_SECRET_KEY": DEV_JWT}, "LEGACY_JWT_SECRET_KEY"),
        ({"LEGACY_JWT_SECRET_KEY": "secret"}, "LEGACY_JWT_SECRET_KEY"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
    ],
)
def test_it_refuses_a_development_or_missing_value(override, refused):
    assert_refused(manage("check", **{**PRODUCTION_ENV, **override}), refused)


def test_it_starts_with_production_values():
    done = manage("check", **PRODUCTION_ENV)
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_it_accepts_a_short_node_secret_it_did_not_choose():
    done = manage("check", **PRODUCTION_ENV, LEGACY_JWT_SECRET_KEY="node-tokenSecretKey")
    assert done.returncode == 0, done.stderr


def test_it_accepts_development_values_with_debug_on():
    done = manage("check", DEBUG="true")
    assert done.returncode == 0, done.stderr
