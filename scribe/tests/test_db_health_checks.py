"""Persistent connections are health-checked only after being idle (scribe.core.dbhealth)."""

from __future__ import annotations

import time
import weakref

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection

from scribe.core import dbhealth

pytestmark = pytest.mark.django_db


def _receivers(signal) -> list:
    return [ref() if isinstance(ref, weakref.ReferenceType) else ref for _, ref, *_rest in signal.receivers]


def test_it_connects_its_receivers_to_the_request_signals():
    assert dbhealth.note_connections_used in _receivers(request_finished)
    assert dbhealth.skip_fresh_health_checks in _receivers(request_started)


def test_it_skips_the_check_of_a_connection_used_moments_ago():
    connection.ensure_connection()
    dbhealth.note_connections_used()
    connection.health_check_done = False  # as Django's close_old_connections leaves it

    dbhealth.skip_fresh_health_checks()

    assert connection.health_check_done is True


def test_it_still_checks_a_connection_idle_for_longer():
    connection.ensure_connection()
    connection.scribe_used_at = time.monotonic() - dbhealth.FRESH_SECONDS - 1
    connection.health_check_done = False

    dbhealth.skip_fresh_health_checks()

    assert connection.health_check_done is False
