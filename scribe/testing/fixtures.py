"""Pytest plugin: stub servers for the AI provider and the NHS terminology server.

Registered in the root ``conftest.py`` (``pytest_plugins``). Each server runs
once per test session on 127.0.0.1 in a thread; each test gets it reset and
the settings pointed at it (fault tests set ``delay``/``fail_status``/
``garbage`` on the stub). Retries are off so a fault is seen once, quickly.

- ``openai_stub``: an :class:`~scribe.testing.openai_stub.OpenAIStub`, with
  ``OPENAI_API_KEY``/``OPENAI_BASE_URL`` set to it.
- ``nhs_stub``: an :class:`~scribe.testing.nhs_stub.NHSTerminologyStub`, with
  the ``NHS_*`` settings set to it.
"""

from __future__ import annotations

import pytest

from scribe.testing.nhs_stub import NHSTerminologyStub
from scribe.testing.openai_stub import OpenAIStub


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
    settings.AI_TIMEOUT_SECONDS = 2.0


def nhs_stub_configure(settings, stub: NHSTerminologyStub) -> None:
    settings.NHS_AUTH_URL = stub.auth_url
    settings.NHS_TERMINOLOGY_URL = stub.fhir_url
    settings.NHS_CLIENT_ID = stub.CLIENT_ID
    settings.NHS_CLIENT_SECRET = stub.CLIENT_SECRET
    settings.NHS_TIMEOUT_SECONDS = 2.0


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
