"""Schemathesis over every operation of Scribe's own /openapi.json, in-process.

Each operation gets a few generated requests (valid and invalid) with a
clinician's bearer token; every response must be a non-5xx whose status,
content type and body match the schema. The operations come from the schema
itself, so the fuzzer grows with the API.

The server and the schema also agree on what is valid: a request the schema
refuses must be refused (negative_data_rejection), and one it allows must not be
refused as invalid (positive_data_acceptance), except by the rules no schema can
state, listed in SCHEMA_CANNOT_SAY.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Operations whose schema-valid requests can still be refused as invalid, for reasons the
# schema cannot state: the bytes of an upload, an id that names nothing, a password rule.
SCHEMA_CANNOT_SAY = {
    "POST /api/v1/ai/images/": "the uploaded files must be images by their bytes",
    "POST /api/v1/ai/transcribe/": "the upload must be audio by its bytes",
    "POST /api/v1/notes/": "the consultation id must name one of the caller's consultations",
    "PATCH /api/v1/users/profile/": "current_password must be the password; new_password passes the validators",
    "POST /api/v1/users/register/": "the password validators (similarity, common passwords)",
    "POST /api/v1/users/login/": "wrong credentials are a 401 (allowed); listed for the same password rules",
    # The Node.js face (legacy_api), read as Express read it:
    "POST /api/ai/analyze": "each image must be an image by its bytes, or an https URL",
    "POST /api/ai/search": "the query comes from the query string or else the body; one must be non-blank",
    "POST /users/register": "the password validators (similarity, common passwords)",
}


def checks_for(case) -> list:
    checks = list(CHECKS)
    meta = case.meta
    header = meta.components.get(ParameterLocation.HEADER) if meta is not None else None
    # A negated header is the bearer token, which the fuzz environment always sends.
    if header is None or not header.mode.is_negative:
        checks.append(negative_data_rejection)
    if case.operation.label not in SCHEMA_CANNOT_SAY:
        checks.append(positive_data_acceptance)
    return checks


# Loaded at collection (the schema needs no database). Not `schemathesis.pytest.from_fixture`:
# its lazy runner relies on a pytest attribute that pytest 9 removed (Function._nodeid).
schema = schemathesis.openapi.from_wsgi("/openapi.json", get_wsgi_application())
# No NUL characters in generated strings or keys: the JSON parser refuses a NUL anywhere in a
# body (scribe.core.parsers; test_json_input_limits), including under keys the Node.js face
# ignores, a rule of every operation that no request schema states.
schema.config.generation.update(allow_x00=False)


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here reproduces
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_it_answers_every_operation_within_its_schema(case, fuzz_environment):
    case.call_and_validate(headers=fuzz_environment.headers, checks=checks_for(case))


def test_it_fuzzes_every_operation_in_the_schema(fuzz_environment):
    # Guards the guard: the schema the fuzzer walks lists the API's operations.
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert "GET /health/ready" in labels
    assert any(label.startswith("POST /api/v1/") for label in labels)
