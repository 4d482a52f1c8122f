"""Schemathesis over every operation of Scribe's own /openapi.json, in-process.

Each operation gets a few generated requests (valid and invalid) with a
clinician's bearer token; every response must be a non-5xx whose status,
content type and body match the schema. The operations come from the schema
itself, so the fuzzer grows with the API.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Loaded at collection (the schema needs no database). Not `schemathesis.pytest.from_fixture`:
# its lazy runner relies on a pytest attribute that pytest 9 removed (Function._nodeid).
schema = schemathesis.openapi.from_wsgi("/openapi.json", get_wsgi_application())


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
    case.call_and_validate(headers=fuzz_environment.headers, checks=CHECKS)


def test_it_fuzzes_every_operation_in_the_schema(fuzz_environment):
    # Guards the guard: the schema the fuzzer walks lists the API's operations.
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert "GET /health/ready" in labels
    assert any(label.startswith("POST /api/v1/") for label in labels)
