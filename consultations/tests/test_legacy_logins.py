"""After the import, old passwords log in and unexpired Node.js tokens keep working,
except the ones the old backend had logged out (``blacktokens``)."""

from __future__ import annotations

import pytest
from bson import ObjectId

from accounts.models import User
from consultations.tests.legacy_support import MANIFEST, legacy_token, modified_dump, run_import

pytestmark = pytest.mark.django_db

PRIYA = MANIFEST["users"][0]
ISLA = MANIFEST["users"][1]


def _import_with_revoked(tmp_path, revoked: str):
    def add_revoked(docs):
        docs["blacktokens"].append({"_id": ObjectId("6b030b30a6a5ecbbd9af7fff"), "token": revoked, "__v": 0})

    dump = modified_dump(tmp_path, add_revoked)
    run_import("--dump", str(dump), "--allow-skips", tmp_path=tmp_path)


@pytest.mark.real_password_hashers
@pytest.mark.parametrize("user", MANIFEST["users"], ids=lambda u: u["hash_prefix"] + u["username"])
def test_it_logs_in_with_the_old_password(api_client, tmp_path, user):
    run_import("--dump", str(modified_dump(tmp_path)), "--allow-skips", tmp_path=tmp_path)

    response = api_client.post(
        "/api/v1/users/login", {"email": user["email"].upper(), "password": user["password"]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["user"]["email"] == user["email"]
    # The Node.js hash was replaced by Django's preferred (Argon2) hash on that login.
    assert User.objects.get(legacy_id=user["id"]).password.startswith("argon2")


def test_it_refuses_a_wrong_old_password(api_client, tmp_path):
    run_import("--dump", str(modified_dump(tmp_path)), "--allow-skips", tmp_path=tmp_path)

    response = api_client.post("/api/v1/users/login", {"email": ISLA["email"], "password": "dr_isla1-pass-124"})

    assert response.status_code == 401
    assert User.objects.get(legacy_id=ISLA["id"]).password.startswith("$2a$")


def test_it_accepts_an_unexpired_node_token(api_client, tmp_path):
    _import_with_revoked(tmp_path, legacy_token(ISLA["id"], ISLA["username"]))
    token = legacy_token(PRIYA["id"], PRIYA["username"])

    response = api_client.get("/api/v1/users/profile", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200, response.content
    assert response.json()["email"] == PRIYA["email"]


def test_it_refuses_a_node_token_that_was_logged_out(api_client, tmp_path):
    revoked = legacy_token(PRIYA["id"], PRIYA["username"])
    _import_with_revoked(tmp_path, revoked)

    response = api_client.get("/api/v1/users/profile", HTTP_AUTHORIZATION=f"Bearer {revoked}")

    assert response.status_code == 401
    assert response.json()["detail"] == "Session logged out. Please log in again."


def test_it_refuses_an_expired_node_token(api_client, tmp_path):
    run_import("--dump", str(modified_dump(tmp_path)), "--allow-skips", tmp_path=tmp_path)
    token = legacy_token(PRIYA["id"], PRIYA["username"], lifetime=-60)

    response = api_client.get("/api/v1/users/profile", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401


def test_it_imports_a_hash_above_the_cost_cap_as_a_password_to_reset(api_client, tmp_path):
    # Cost 16 and up would make every login attempt hold a worker for seconds to hours.
    over_cap = "$2b$16$zndD0LpGwDpmYc5IphQ3fuvxf.TNDnpWkZHJWaZS0dBpFK4SD7PVW"

    def raise_the_cost(docs):
        next(u for u in docs["users"] if str(u["_id"]) == ISLA["id"])["password"] = over_cap

    report, _, _ = run_import(
        "--dump", str(modified_dump(tmp_path, raise_the_cost)), "--allow-skips", tmp_path=tmp_path
    )

    issues = [i for i in report["issues"] if i["collection"] == "users" and i["id"] == ISLA["id"]]
    assert [(i["action"], i["rule"]) for i in issues] == [("repaired", "missing_field")]
    assert "cost above 15" in issues[0]["reason"]
    isla = User.objects.get(legacy_id=ISLA["id"])
    assert not isla.has_usable_password()
    response = api_client.post("/api/v1/users/login", {"email": ISLA["email"], "password": ISLA["password"]})
    assert response.status_code == 401
