"""database_sync_to_async gives the thread's connection back after each step (the ASGI
process's requests would otherwise hold one each while they wait on the AI provider),
but never closes a connection inside a transaction."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.db import connection

from scribe.core.asyncdb import database_sync_to_async


def _query_then_report() -> bool:
    get_user_model().objects.count()
    return connection.connection is not None


def _is_closed() -> bool:
    return connection.connection is None


async def _two_steps() -> tuple[bool, bool]:
    return await database_sync_to_async(_query_then_report)(), await database_sync_to_async(_is_closed)()


def test_it_closes_the_connection_after_a_step(transactional_db, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)  # as in the ASGI process
    connection.close()  # reopened by the step with the setting above
    opened_during_step, closed_after = async_to_sync(_two_steps)()
    assert opened_during_step
    assert closed_after


def test_it_keeps_a_persistent_connection(transactional_db, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    connection.close()
    assert async_to_sync(_two_steps)() == (True, False)


def test_it_never_closes_a_connection_inside_a_transaction(db, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    assert connection.in_atomic_block
    assert async_to_sync(_two_steps)() == (True, False)
