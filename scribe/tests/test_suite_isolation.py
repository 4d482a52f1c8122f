"""The test harness itself: parallel workers and consecutive tests do not disturb each other."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import urllib.parse
import urllib.request

import pytest

from scribe.testing.cache import cache_clear


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (the PostgreSQL + Redis run)")
def test_clearing_the_cache_leaves_other_test_processes_keys_alone():
    from django.core.cache import cache

    client = cache._cache.get_client(None, write=True)
    foreign = "scribe-test-gw99-1:1:another-workers-counter"
    client.set(foreign, b"7", ex=60)
    cache.set("mine", 1)
    try:
        cache_clear()
        assert cache.get("mine") is None
        assert client.get(foreign) == b"7"
    finally:
        client.delete(foreign)


def test_a_stub_request_left_over_from_the_previous_test_changes_nothing(nhs_stub_server):
    stub = nhs_stub_server
    stub.reset()
    stub.delay = 0.5
    form = {"grant_type": "client_credentials", "client_id": stub.CLIENT_ID, "client_secret": stub.CLIENT_SECRET}

    def send() -> None:  # answered with a closed connection, or not at all: either is fine
        with contextlib.suppress(OSError):
            urllib.request.urlopen(stub.auth_url, data=urllib.parse.urlencode(form).encode(), timeout=30)

    client = threading.Thread(target=send)
    client.start()
    deadline = time.monotonic() + 30
    while not stub.requests:  # wait until the stub holds the request (it then sleeps on it)
        assert time.monotonic() < deadline, "the stub never received the request"
        time.sleep(0.01)
    stub.reset()  # the next test starts while the stub still sleeps on that request
    client.join()
    assert stub.wait_idle()  # the stub's thread woke up and answered (or not) by now
    assert stub.tokens_issued == 0
    assert stub.valid_tokens == set()
