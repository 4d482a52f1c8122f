"""Schemathesis over the clinical records' operations, aimed at objects that exist.

The project-wide fuzzer (scribe/tests/test_fuzz_openapi.py) mostly meets 404s
on these paths because it cannot guess ids; here every ``{id}`` names a real
object of the calling clinician, so generated bodies reach the services.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from accounts.tokens import token_pair_for
from consultations.tests.factories import consultation_for, note_for, prompt_for

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

schema = (
    schemathesis.openapi.from_wsgi("/openapi.json", get_wsgi_application())
    .include(path_regex=r"^/api/v1/(consultations|transcripts|notes|prompts)/")
    .exclude(path_regex=r"summarize")
)


@pytest.fixture
def world(clinician, settings):
    settings.RATELIMIT_ENABLE = False
    consultation = consultation_for(clinician)
    ids = {
        "consultations": str(consultation.pk),
        "transcripts": str(consultation.transcript.pk),
        "notes": str(note_for(consultation).pk),
        "prompts": str(prompt_for(clinician).pk),
    }
    # Django's WSGI handler closes the connection after each request; the test's transaction lives on it.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield {"ids": ids, "headers": {"Authorization": f"Bearer {token_pair_for(clinician)['access_token']}"}}
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_it_never_answers_5xx_on_real_records(case, world):
    if "id" in (case.path_parameters or {}):
        collection = case.path.split("/")[3]
        case.path_parameters = {**case.path_parameters, "id": world["ids"][collection]}
    case.call_and_validate(
        headers=world["headers"], checks=[not_a_server_error, status_code_conformance, content_type_conformance]
    )
