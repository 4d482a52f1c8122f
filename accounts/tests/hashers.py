"""A test-only hasher that counts Argon2 computations (never Scribe code)."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher

CALLS: list[str] = []


class CountingArgon2PasswordHasher(Argon2PasswordHasher):
    def encode(self, password, salt):
        CALLS.append("encode")
        return super().encode(password, salt)

    def verify(self, password, encoded):
        CALLS.append("verify")
        return super().verify(password, encoded)


# Callables run right after a password check: a write that lands between Scribe's
# password check and the login's session insert, as a concurrent request's would.
AFTER_VERIFY: list = []


class InterruptingArgon2PasswordHasher(Argon2PasswordHasher):
    def verify(self, password, encoded):
        correct = super().verify(password, encoded)
        while AFTER_VERIFY:
            AFTER_VERIFY.pop(0)()
        return correct
