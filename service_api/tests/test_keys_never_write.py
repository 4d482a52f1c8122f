"""An API key is never a credential where patient data is written, on either face.

A table over every operation of the OpenAPI schema (both faces are in it): each write
that needs a clinician's or patient's token, sent with a valid key holding every scope
(as ``Api-Key ...`` and as a bearer token), is refused with 401 and writes nothing. The
operations that take a key at all are GETs under /api/v1/service/.
"""

from __future__ import annotations

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.models import ApiKey, ApiKeyScope, User
from consultations.tests.factories import owned_records, records_snapshot
from documents.models import Document, DriveUpload
from questionnaires.models import QuestionnaireLink, QuestionnaireResponse

WRITES = ("post", "put", "patch", "delete")
# Writes that take no credential at all (they never read a key either).
PUBLIC_WRITES = {
    ("post", "/api/v1/users/login/"),
    ("post", "/api/v1/users/register/"),
    ("post", "/api/v1/users/refresh/"),
    ("post", "/api/v1/questionnaire-links/{token}/"),
    ("post", "/users/login"),
    ("post", "/users/register"),
}


def _operations() -> list[tuple[str, str, list]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, path, operation.get("security"))
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", *WRITES)
    ]


OPERATIONS = _operations()
AUTHENTICATED_WRITES = [
    (method, path) for method, path, security in OPERATIONS if method in WRITES and (method, path) not in PUBLIC_WRITES
]


def test_the_table_covers_both_faces():
    paths = {path for _method, path in AUTHENTICATED_WRITES}
    assert any(path.startswith("/api/v1/") for path in paths)
    assert any(path.startswith("/api/") and not path.startswith("/api/v1/") for path in paths)
    assert len(AUTHENTICATED_WRITES) >= 30


def test_only_reads_under_the_service_routes_take_a_key():
    with_key = [(method, path) for method, path, security in OPERATIONS if {"apiKeyAuth": []} in (security or [])]

    assert with_key
    assert all(method == "get" and path.startswith("/api/v1/service/") for method, path in with_key)
    assert {(m, p) for m, p, s in OPERATIONS if s is None and m in WRITES} == PUBLIC_WRITES


def _everything() -> list:
    others = (User, ApiKey, Document, DriveUpload, QuestionnaireLink, QuestionnaireResponse)
    return [*records_snapshot(), *(list(model.objects.order_by("pk").values()) for model in others)]


def _concrete(path: str, ids: dict[str, str]) -> str:
    values = {
        "id": ids["consultation"],
        "kind": "referral-letter",
        "version": "1",
        "transcript_pk": ids["transcript"],
        "token": "x" * 20,
    }
    if path.startswith(("/api/v1/notes", "/api/notes")):
        values["id"] = ids["note"]
    elif path.startswith(("/api/v1/prompts", "/api/prompts")):
        values["id"] = ids["prompt"]
    elif path.startswith(("/api/v1/transcripts", "/api/transcript")):
        values["id"] = ids["transcript"]
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), AUTHENTICATED_WRITES)
@pytest.mark.parametrize("keyword", ["Api-Key", "Bearer"])
def test_it_refuses_a_key_on_every_write(method, path, keyword, clinician, make_key, api_client):
    ids = owned_records(clinician)
    _row, key = make_key(scopes=list(ApiKeyScope.values))
    before = _everything()
    api_client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")

    response = getattr(api_client, method)(_concrete(path, ids), {"body": "x", "name": "x"}, format="json")

    assert response.status_code == 401, (method, path, response.status_code)
    assert set(response.json()) >= {"detail", "code", "request_id"}
    assert _everything() == before
