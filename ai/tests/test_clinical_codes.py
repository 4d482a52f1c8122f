"""SNOMED CT search against the NHS terminology server (OAuth2 + FHIR ValueSet/$expand)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

URL = "/api/v1/ai/clinical-codes"


def test_it_answers_snomed_concepts_for_a_term(nhs_stub, settings, clinician, client_for):
    response = client_for(clinician).get(URL, {"term": "asthma"})
    assert response.status_code == 200, response.content
    assert response.json() == [{"name": "Asthma", "code": "195967001", "url": "http://snomed.info/id/195967001"}]
    token_request, expand = nhs_stub.requests
    assert token_request.json == {
        "grant_type": "client_credentials",
        "client_id": nhs_stub.CLIENT_ID,
        "client_secret": nhs_stub.CLIENT_SECRET,
    }
    query = parse_qs(urlsplit(expand.path).query)
    assert query["url"] == [settings.NHS_VALUESET_URL]
    assert query["filter"] == ["asthma"]
    assert expand.headers["authorization"].startswith("Bearer ")


def test_it_reuses_the_token_until_shortly_before_it_expires(nhs_stub, clinician, client_for):
    client = client_for(clinician)
    client.get(URL, {"term": "asthma"})
    client.get(URL, {"term": "cough"})
    assert nhs_stub.tokens_issued == 1
    assert len(nhs_stub.expand_requests()) == 2


def test_it_does_not_keep_a_token_that_expires_within_the_margin(nhs_stub, clinician, client_for):
    nhs_stub.token_expires_in = 30  # less than the 60 s margin
    client = client_for(clinician)
    client.get(URL, {"term": "asthma"})
    client.get(URL, {"term": "cough"})
    assert nhs_stub.tokens_issued == 2


def test_it_caches_results_per_term(nhs_stub, clinician, client_for):
    client = client_for(clinician)
    first = client.get(URL, {"term": "Fever"})
    again = client.get(URL, {"term": "  fever "})
    assert (
        first.json()
        == again.json()
        == [{"name": "Fever", "code": "386661006", "url": "http://snomed.info/id/386661006"}]
    )
    assert len(nhs_stub.expand_requests()) == 1


def test_it_fetches_a_fresh_token_when_the_server_rejects_the_cached_one(nhs_stub, clinician, client_for):
    client = client_for(clinician)
    client.get(URL, {"term": "asthma"})
    nhs_stub.valid_tokens.clear()  # the server forgot (revoked) the token Scribe holds
    response = client.get(URL, {"term": "cough"})
    assert response.status_code == 200
    assert nhs_stub.tokens_issued == 2


def test_it_answers_an_empty_list_when_nothing_matches(nhs_stub, clinician, client_for):
    response = client_for(clinician).get(URL, {"term": "zzzz"})
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("params", [{}, {"term": "a"}, {"term": "x" * 101}])
def test_it_rejects_bad_terms(nhs_stub, clinician, client_for, params):
    response = client_for(clinician).get(URL, params)
    assert response.status_code == 400
    assert nhs_stub.requests == []


@pytest.mark.parametrize("missing", ["NHS_CLIENT_ID", "NHS_CLIENT_SECRET"])
def test_it_answers_503_naming_missing_credentials(nhs_stub, settings, clinician, client_for, missing):
    setattr(settings, missing, "")
    response = client_for(clinician).get(URL, {"term": "asthma"})
    assert response.status_code == 503
    assert missing in response.json()["detail"]


def test_it_maps_terminology_faults(nhs_stub, settings, clinician, client_for):
    client = client_for(clinician)
    nhs_stub.fail_status = 429
    nhs_stub.retry_after = "9"
    busy = client.get(URL, {"term": "asthma"})
    assert busy.status_code == 503
    assert busy["Retry-After"] == "9"
    nhs_stub.fail_status = 500
    assert client.get(URL, {"term": "asthma"}).status_code == 502
    nhs_stub.fail_status = None
    nhs_stub.garbage = True
    assert client.get(URL, {"term": "asthma"}).status_code == 502
    nhs_stub.garbage = False
    from scribe.testing.cache import cache_clear

    cache_clear()  # drop the token obtained above
    settings.NHS_CLIENT_SECRET = "wrong"
    assert client.get(URL, {"term": "asthma"}).status_code == 502
    settings.NHS_CLIENT_SECRET = nhs_stub.CLIENT_SECRET
    settings.NHS_TIMEOUT_SECONDS = 0.3
    nhs_stub.delay = 1.0
    timed_out = client.get(URL, {"term": "asthma"})
    assert timed_out.status_code == 504
    assert timed_out.json()["code"] == "terminology_timeout"


def test_it_still_answers_when_the_cache_is_down(nhs_stub, settings, clinician, client_for):
    import socket

    with socket.socket() as probe:  # a port nobody listens on: Redis is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client = client_for(clinician)
    for _ in range(2):  # the token and the results are simply not kept
        response = client.get(URL, {"term": "asthma"})
        assert response.status_code == 200, response.content
        assert response.json()[0]["code"] == "195967001"
    assert nhs_stub.tokens_issued == 2


def test_it_answers_503_when_the_terminology_server_cannot_be_reached(nhs_stub, settings, clinician, client_for):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.NHS_AUTH_URL = f"http://127.0.0.1:{port}/token"
    response = client_for(clinician).get(URL, {"term": "asthma"})
    assert response.status_code == 503
    assert response.json()["code"] == "terminology_unreachable"
    assert int(response["Retry-After"]) > 0


def test_it_answers_502_for_a_token_answer_that_is_not_an_object(nhs_stub, clinician, client_for):
    nhs_stub.garbage_token = True
    response = client_for(clinician).get(URL, {"term": "asthma"})
    assert response.status_code == 502
    assert response.json()["code"] == "terminology_error"
