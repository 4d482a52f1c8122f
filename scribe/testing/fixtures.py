"""Pytest plugin: the test settings, and stub servers for the AI provider and the NHS
terminology server.

Registered in the root ``conftest.py`` (``pytest_plugins``).

Test settings (whole session, every xdist worker):

- passwords are hashed with Django's fast MD5 hasher (Argon2 costs 0.1-2 s per login
  under load); tests about hashing carry ``@pytest.mark.real_password_hashers`` and get
  the production list (Argon2 first, the Node.js bcrypt hasher).
- with ``REDIS_URL`` set, each xdist worker's cache keys carry its own prefix and
  :func:`cache_clear` deletes only those, so parallel workers (and two runs at once on
  one Redis database) never wipe each other's rate-limit counters or tokens.
- ``frozen_clock``: a fixture that stops wall-clock time (freezegun) for tests whose
  outcome depends on which fixed window a request falls in (rate limits).

Stub servers: each runs once per test session (per worker) on 127.0.0.1 in a thread;
each test gets it reset and the settings pointed at it (fault tests set
``delay``/``fail_status``/``garbage`` on the stub). Retries are off so a fault is seen
once, quickly.

- ``openai_stub``: an :class:`~scribe.testing.openai_stub.OpenAIStub`, with
  ``OPENAI_API_KEY``/``OPENAI_BASE_URL`` set to it.
- ``nhs_stub``: an :class:`~scribe.testing.nhs_stub.NHSTerminologyStub`, with
  the ``NHS_*`` settings set to it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from scribe.testing.nhs_stub import NHSTerminologyStub
from scribe.testing.openai_stub import OpenAIStub

FAST_PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    # Node.js-era hashes in fixtures are bcrypt at cost 4: cheap, and they must verify.
    "accounts.hashers.LegacyNodeBcryptHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
# A stub on this machine answers in milliseconds; the timeout only has to catch a hang.
# Generous, so a loaded machine (8 runs on 2 cores) never turns a slow answer into a 504.
# Fault tests that want a timeout set their own small one with a longer stub delay.
STUB_TIMEOUT_SECONDS = 15.0


def worker_name() -> str:
    """``gw0``, ``gw1``... under pytest-xdist, ``main`` otherwise."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _test_caches(caches: dict) -> dict:
    default = dict(caches["default"])
    if default["BACKEND"].endswith("RedisCache"):
        # Process id too: two runs at once on one Redis database have the same worker names.
        default["KEY_PREFIX"] = f"scribe-test-{worker_name()}-{os.getpid()}"
    return {**caches, "default": default}


# The project's own list (Argon2 first), kept for the tests about hashing.
PRODUCTION_PASSWORD_HASHERS: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _scribe_test_settings(django_test_environment) -> Iterator[None]:
    from django.conf import settings
    from django.test.utils import override_settings

    PRODUCTION_PASSWORD_HASHERS[:] = settings.PASSWORD_HASHERS
    override = override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS, CACHES=_test_caches(settings.CACHES))
    override.enable()
    yield
    override.disable()


@pytest.fixture(autouse=True)
def _real_password_hashers(request) -> None:
    if request.node.get_closest_marker("real_password_hashers") is not None:
        request.getfixturevalue("settings").PASSWORD_HASHERS = list(PRODUCTION_PASSWORD_HASHERS)


@pytest.fixture
def frozen_clock() -> Iterator[object]:
    """Wall-clock time stands still (``time.time``, ``datetime.now``); ``.tick(s)`` moves it.

    Fixed-window rate limits count per window: with a running clock, requests of one
    test straddle a window edge now and then (slow logins under load) and the count
    starts again. Frozen, the test decides when time passes.
    """
    from freezegun import freeze_time

    with freeze_time(tick=False) as frozen:
        yield frozen


@pytest.fixture(scope="session")
def openai_stub_server():
    stub = OpenAIStub()
    yield stub
    stub.close()


@pytest.fixture(scope="session")
def nhs_stub_server():
    stub = NHSTerminologyStub()
    yield stub
    stub.close()


def openai_stub_configure(settings, stub: OpenAIStub) -> None:
    settings.OPENAI_API_KEY = "sk-scribe-test"
    settings.OPENAI_BASE_URL = stub.base_url
    settings.AI_MAX_RETRIES = 0
    settings.AI_TIMEOUT_SECONDS = STUB_TIMEOUT_SECONDS


def nhs_stub_configure(settings, stub: NHSTerminologyStub) -> None:
    settings.NHS_AUTH_URL = stub.auth_url
    settings.NHS_TERMINOLOGY_URL = stub.fhir_url
    settings.NHS_CLIENT_ID = stub.CLIENT_ID
    settings.NHS_CLIENT_SECRET = stub.CLIENT_SECRET
    settings.NHS_TIMEOUT_SECONDS = STUB_TIMEOUT_SECONDS


@pytest.fixture
def openai_stub(openai_stub_server, settings):
    openai_stub_server.reset()
    openai_stub_configure(settings, openai_stub_server)
    yield openai_stub_server
    openai_stub_server.reset()


@pytest.fixture
def nhs_stub(nhs_stub_server, settings):
    nhs_stub_server.reset()
    nhs_stub_configure(settings, nhs_stub_server)
    yield nhs_stub_server
    nhs_stub_server.reset()
