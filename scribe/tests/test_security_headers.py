"""Security headers on every response; a strict CSP on the API, a page CSP where pages are served."""

from __future__ import annotations

import pytest

from scribe.testing.processes import PRODUCTION_ENV, manage, settings_under

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, str]:
    directives = [d.strip() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in directives}


@pytest.mark.parametrize("path", ["/", "/health", "/openapi.json", "/no/such/path", "/docs", "/admin/login/"])
def test_it_sends_the_basic_security_headers(client, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    # The admin's forms need the Origin header for Django's CSRF check (see the browser test).
    assert response["Referrer-Policy"] == ("same-origin" if path.startswith("/admin/") else "no-referrer")
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/health", "/openapi.json", "/no/such/path", "/api/v1/consultations"])
def test_it_locks_api_responses_down(client, path):
    policy = csp(client.get(path))
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "script-src" not in policy


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/admin/login/"])
def test_it_lets_the_pages_load_their_own_scripts_only(client, path):
    policy = csp(client.get(path))
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no CDN
    assert policy["connect-src"] == "'self'"  # the schema fetch
    assert "blob:" in policy["worker-src"]  # ReDoc's search worker
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


def test_it_sends_no_hsts_or_secure_cookies_in_development():
    values = settings_under(["SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"], DEBUG="true")
    assert values == {"SECURE_HSTS_SECONDS": 0, "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False}


def test_it_sends_hsts_and_secure_cookies_in_production():
    values = settings_under(
        [
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SECURE_SSL_REDIRECT",
            "SESSION_COOKIE_HTTPONLY",
        ],
        **PRODUCTION_ENV,
    )
    assert values == {
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_HTTPONLY": True,
    }


def test_it_sends_the_hsts_header_over_https_behind_the_proxy(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # TRUSTED_PROXY_COUNT >= 1
    response = client.get("/health", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_it_ignores_a_clients_claim_of_https_when_no_proxy_is_trusted(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    assert settings.SECURE_PROXY_SSL_HEADER is None  # TRUSTED_PROXY_COUNT=0, the default
    response = client.get("/health", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in response


def test_it_trusts_x_forwarded_proto_only_behind_trusted_proxies():
    behind = settings_under(["SECURE_PROXY_SSL_HEADER"], DEBUG="true", TRUSTED_PROXY_COUNT="1")
    direct = settings_under(["SECURE_PROXY_SSL_HEADER"], DEBUG="true")
    assert behind["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert direct["SECURE_PROXY_SSL_HEADER"] is None


def test_it_passes_the_deployment_checks_with_production_settings():
    done = manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV, REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
