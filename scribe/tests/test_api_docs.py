"""/docs, /redoc and /openapi.json work offline: every asset the pages reference is served here."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db


class PageAssets(HTMLParser):
    """Collects script/stylesheet/icon URLs, inline scripts and inline event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self.event_handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.event_handlers += [name for name in attributes if name.startswith("on")]
        if tag == "script":
            if attributes.get("src"):
                self.urls.append(attributes["src"])
            else:
                self._in_script = True
        elif tag == "link" and attributes.get("rel") in {"stylesheet", "icon"}:
            self.urls.append(attributes["href"])

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data.strip())

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def parse(html: str) -> PageAssets:
    page = PageAssets()
    page.feed(html)
    return page


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/admin/login/"])
def test_it_serves_the_page_and_every_asset_locally(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = parse(response.content.decode())
    assert page.urls, "the page references no assets"
    for url in page.urls:
        if url.startswith("data:"):  # inline, e.g. ReDoc's empty icon
            continue
        assert url.startswith("/"), f"{url} would need the internet"
        asset = client.get(url)
        assert asset.status_code == 200, url
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert len(body) > 100, url


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/admin/login/"])
def test_it_has_no_inline_script_the_page_policy_would_block(client, path):
    page = parse(client.get(path).content.decode())
    assert page.inline_scripts == []
    assert page.event_handlers == []


def test_it_serves_the_swagger_ui_bundles_from_the_sidecar(client):
    page = parse(client.get("/docs").content.decode())
    names = " ".join(page.urls)
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in names
    assert "/docs?script=" in names  # the initialiser, a same-origin script (no inline code)
    script = client.get("/docs?script=")
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content
    assert b"/openapi.json" in script.content


def test_it_points_redoc_at_the_schema_without_external_fonts(client):
    html = client.get("/redoc").content.decode()
    assert 'spec-url="/openapi.json"' in html
    assert "googleapis" not in html
    assert '<script src="/redoc/redoc.standalone.js">' in html


def test_it_serves_redoc_without_its_logo_from_the_internet(client):
    bundle = client.get("/redoc/redoc.standalone.js")
    assert bundle.status_code == 200
    assert bundle["Content-Type"].startswith("text/javascript")
    assert len(bundle.content) > 100_000  # the whole bundle
    assert b"cdn.redoc.ly" not in bundle.content
    assert b"fonts.googleapis" not in bundle.content


def test_it_serves_an_openapi_3_schema_of_the_service(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    import json

    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Scribe API"
    assert {"/", "/health", "/health/ready"} <= set(schema["paths"])
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "code", "request_id"]
    assert "404" in schema["paths"]["/health"]["get"]["responses"]


def test_it_shows_the_admin_login_page(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    login = client.get(response["Location"])
    assert login.status_code == 200
    assert b"Scribe administration" in login.content


def test_it_generates_a_schema_that_validates_with_no_warnings():
    # OpenAPI 3.0 validation of the whole schema (drf-spectacular's validator); a warning
    # (an undocumented view, an unresolvable type) fails it too.
    from scribe.testing.processes import manage

    done = manage("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", DEBUG="true")
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"openapi": "3.0.3"' in done.stdout


def test_it_groups_operations_by_tag(client):
    import json

    schema = json.loads(client.get("/openapi.json").content)
    tags = {
        path: {
            operation["tags"][0] for operation in item.values() if isinstance(operation, dict) and "tags" in operation
        }
        for path, item in schema["paths"].items()
    }
    assert tags["/api/v1/users/login/"] == {"users"}
    assert tags["/api/v1/consultations/start/"] == {"consultations"}
    assert tags["/api/v1/transcripts/{id}/segments/"] == {"transcripts"}
    assert tags["/api/v1/transcripts/{id}/summarize/"] == {"AI"}
    assert tags["/api/v1/notes/{id}/"] == {"notes"}
    assert tags["/api/v1/prompts/"] == {"prompts"}
    assert tags["/api/v1/ai/search/"] == {"AI"}
    assert tags["/health"] == {"service"}
    assert "api" not in set().union(*tags.values())
    names = [tag["name"] for tag in schema["tags"]]
    assert names[:7] == ["users", "consultations", "transcripts", "notes", "prompts", "AI", "service"]
