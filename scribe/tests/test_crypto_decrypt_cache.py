"""The per-process cache of decrypted values (``scribe.core.crypto``): it serves repeat reads,
never outlives the keys it was filled under, stays bounded and never holds long values."""

from __future__ import annotations

import pytest

from scribe.core import crypto

KEY_A, KEY_B = crypto.generate_key(), crypto.generate_key()


@pytest.fixture(autouse=True)
def _empty_cache():
    crypto.decrypt_cache_clear()
    yield
    crypto.decrypt_cache_clear()


def test_a_repeat_read_is_served_from_the_cache(settings, monkeypatch):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    stored = crypto.encrypt("Wheeze at night")
    assert crypto.decrypt(stored) == "Wheeze at night"
    assert crypto.decrypt_cache_size() == 1

    def no_decryption(*args):
        raise AssertionError("decrypted again")

    monkeypatch.setattr(crypto, "_decrypt", no_decryption)
    # A copy (as a database fetch returns) is found by value, not by identity.
    assert crypto.decrypt("".join(list(stored))) == "Wheeze at night"
    assert crypto.decrypt_cache_size() == 1


def test_a_key_removed_without_the_settings_signal_decrypts_nothing_new(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    stored = crypto.encrypt("Asthma since childhood")
    from django.conf import settings as live_settings

    live_settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # plain assignment: no setting_changed signal
    crypto.decrypt_cache_clear()
    with pytest.raises(crypto.FieldKeyError, match="not in FIELD_ENCRYPTION_KEYS"):
        crypto.decrypt(stored)


def test_a_key_removed_from_the_settings_is_not_served_from_the_cache(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    stored = crypto.encrypt("Chest pain on exertion")
    assert crypto.decrypt(stored) == "Chest pain on exertion"

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    assert crypto.decrypt_cache_size() == 0
    with pytest.raises(crypto.FieldKeyError, match="not in FIELD_ENCRYPTION_KEYS"):
        crypto.decrypt(stored)

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]  # the old key listed again: readable again
    assert crypto.decrypt(stored) == "Chest pain on exertion"


def test_it_stays_bounded_and_keeps_answering_right(settings, monkeypatch):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    monkeypatch.setattr(crypto, "DECRYPT_CACHE_SIZE", 40)
    stored = [crypto.encrypt(f"segment {n}") for n in range(100)]
    for n, value in enumerate(stored):
        assert crypto.decrypt(value) == f"segment {n}"
        assert crypto.decrypt_cache_size() <= 40
    # The oldest were dropped, the newest kept; both still decrypt right.
    assert crypto.decrypt(stored[0]) == "segment 0"
    assert crypto.decrypt(stored[-1]) == "segment 99"


def test_long_values_are_not_kept(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    long_value = crypto.encrypt("x" * crypto.DECRYPT_CACHE_MAX_CHARS)
    assert crypto.decrypt(long_value) == "x" * crypto.DECRYPT_CACHE_MAX_CHARS
    assert crypto.decrypt_cache_size() == 0


def test_a_damaged_value_is_an_error_not_a_cached_answer(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    stored = crypto.encrypt("Penicillin allergy")
    damaged = stored[:-6] + ("AAAAAA" if not stored.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(crypto.FieldKeyError, match="does not decrypt"):
        crypto.decrypt(damaged)
    assert crypto.decrypt_cache_size() == 0
