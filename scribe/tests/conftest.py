from __future__ import annotations

import pytest

from scribe.testing.logcapture import capture_log


@pytest.fixture
def log():
    """What the real JSON log handler wrote during the test."""
    with capture_log() as captured:
        yield captured


@pytest.fixture
def fuzz_environment(request, clinician, settings):
    """The world the schema fuzzer's requests meet (see scribe.testing.fuzz)."""
    from django.core import signals
    from django.db import close_old_connections

    from accounts.tokens import token_pair_for
    from scribe.testing.fuzz import EXTRA_FIXTURES, FuzzEnvironment

    # The fuzzer sends many requests from one client; rate limits would turn its
    # findings into 429s. Rate limiting has its own tests.
    settings.RATELIMIT_ENABLE = False
    environment = FuzzEnvironment(
        user=clinician, headers={"Authorization": f"Bearer {token_pair_for(clinician)['access_token']}"}
    )
    for name in EXTRA_FIXTURES:
        try:
            value = request.getfixturevalue(name)
        except pytest.FixtureLookupError:
            continue
        environment.fixtures[name] = value
        if isinstance(value, dict):
            environment.headers.update(value)
    # The fuzzer calls Django's real WSGI handler, which closes the database connection
    # after each request; the test's transaction lives on it. Django's test client
    # does the same disconnection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield environment
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
