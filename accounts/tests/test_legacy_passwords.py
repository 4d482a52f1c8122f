"""Node.js bcrypt hashes, stored as Node wrote them, log in and move to Argon2."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests import hashers as counting
from accounts.tests.conftest import LOGIN_URL

pytestmark = [pytest.mark.django_db, pytest.mark.real_password_hashers]


def _legacy_user(raw_hash: str, email: str = "legacy@example-clinic.nhs.uk") -> User:
    # What the legacy importer does: the hash goes into the row untouched.
    return User.objects.create(email=email, username="legacy", role="clinician", password=raw_hash)


def _login(email: str, password: str):
    return APIClient().post(LOGIN_URL, {"email": email, "password": password})


@pytest.mark.parametrize("prefix", ["2a", "2b"])
def test_it_logs_in_with_a_node_hash_and_rehashes_it_with_argon2(node_bcrypt, prefix):
    raw_hash = node_bcrypt("legacy-pass-123", prefix=prefix)
    assert raw_hash.startswith(f"${prefix}$")
    user = _legacy_user(raw_hash)

    response = _login(user.email, "legacy-pass-123")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert _login(user.email, "legacy-pass-123").status_code == 200


@pytest.mark.parametrize("prefix", ["2a", "2b"])
def test_it_refuses_a_wrong_password_and_keeps_the_node_hash(node_bcrypt, prefix):
    raw_hash = node_bcrypt("legacy-pass-123", prefix=prefix)
    user = _legacy_user(raw_hash)

    response = _login(user.email, "legacy-pass-124")

    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password"
    user.refresh_from_db()
    assert user.password == raw_hash


@pytest.mark.parametrize("prefix", ["2a", "2b"])
def test_it_matches_node_on_passwords_longer_than_72_bytes(node_bcrypt, prefix):
    # Node's bcrypt libraries hash only the first 72 bytes of the UTF-8 password.
    long_password = "é" * 30 + "x" * 20 + "tail-one"  # 60 + 20 + 8 = 88 bytes
    user = _legacy_user(node_bcrypt(long_password, prefix=prefix))

    assert _login(user.email, long_password).status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


@pytest.mark.parametrize("prefix", ["2a", "2b"])
def test_it_accepts_what_node_accepted_past_the_72nd_byte(node_bcrypt, prefix):
    user = _legacy_user(node_bcrypt("p" * 72 + "original-tail", prefix=prefix))

    assert _login(user.email, "p" * 72 + "different-tail").status_code == 200


def test_it_refuses_a_password_that_differs_within_the_first_72_bytes(node_bcrypt):
    user = _legacy_user(node_bcrypt("p" * 71 + "q" + "tail"))

    assert _login(user.email, "p" * 72 + "tail").status_code == 401


MALFORMED = [
    "",
    "$2b$10$short",
    "$2x$10$" + "a" * 53,
    "$argon2id$v=19$m=1,t=1,p=1$abc$def",
    # The exact shape of a Node hash, but salts no bcrypt library writes (bcrypt raises).
    "$2b$04$" + "z" * 53,
    "$2a$10$" + "a" * 53,
    # A well-formed hash above the cost cap (MAX_NODE_BCRYPT_COST): never verified, since a
    # stored cost of up to 31 would hold a worker for hours per attempt.
    "$2b$16$zndD0LpGwDpmYc5IphQ3fuvxf.TNDnpWkZHJWaZS0dBpFK4SD7PVW",
]


@pytest.mark.parametrize("stored", MALFORMED)
def test_it_refuses_malformed_dollar_prefixed_hashes(stored):
    user = _legacy_user(stored)

    response = _login(user.email, "anything-at-all")

    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect email or password"


@pytest.mark.parametrize("stored", [*MALFORMED, "!" + "u" * 40])
def test_it_spends_one_argon2_hash_on_a_row_with_no_usable_password(settings, stored):
    # A damaged or unusable password column costs what an unknown email costs (no timing tell).
    settings.PASSWORD_HASHERS = [
        "accounts.tests.hashers.CountingArgon2PasswordHasher",
        "accounts.hashers.LegacyNodeBcryptHasher",
    ]
    user = _legacy_user(stored)
    counting.CALLS.clear()

    assert _login(user.email, "anything-at-all").status_code == 401
    assert counting.CALLS == ["encode"]


def test_it_refuses_every_password_for_an_account_with_an_unusable_password():
    user = User.objects.create_user("nopass@example-clinic.nhs.uk", password=None, username="nopass")
    assert not user.has_usable_password()

    for password in ("", " ", "anything-at-all", user.password, user.password[1:]):
        assert _login(user.email, password).status_code in (400, 401)
    assert _login(user.email, "anything-at-all").json()["detail"] == "Incorrect email or password"


def test_it_never_verifies_a_hash_above_the_cost_cap_even_with_the_right_password():
    user = _legacy_user("$2b$16$zndD0LpGwDpmYc5IphQ3fuvxf.TNDnpWkZHJWaZS0dBpFK4SD7PVW")

    response = _login(user.email, "over-cost-pass-123")

    assert response.status_code == 401
