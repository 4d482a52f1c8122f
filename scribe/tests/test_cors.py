"""CORS: the frontend's origins by default, credentials allowed, X-Request-ID readable."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

FRONTENDS = [
    "http://localhost:3000",
    "http://localhost:3001",
    "http://127.0.0.1:3000",
    "http://127.0.0.1:3001",
    "https://scribe-project-nextjs.vercel.app",
]


def preflight(client, origin: str, method: str = "POST", headers: str = "authorization, content-type, x-request-id"):
    return client.options(
        "/api/v1/consultations",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


@pytest.mark.parametrize("origin", FRONTENDS)
def test_it_allows_the_frontend_origins_with_credentials(api_client, origin):
    response = preflight(api_client, origin)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == origin
    assert response["Access-Control-Allow-Credentials"] == "true"
    allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-request-id"} <= allowed
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_it_refuses_other_origins(api_client):
    response = preflight(api_client, "https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


def test_it_exposes_the_request_id_and_retry_after_to_the_browser(api_client):
    response = api_client.get("/health", HTTP_ORIGIN="http://localhost:3000")
    assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "retry-after"} <= exposed


def test_it_adds_cors_headers_to_errors_too(api_client):
    response = api_client.get("/no/such/thing", HTTP_ORIGIN="https://scribe-project-nextjs.vercel.app")
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == "https://scribe-project-nextjs.vercel.app"
