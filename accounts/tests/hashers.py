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
