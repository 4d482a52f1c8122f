"""A production worker carries only what it uses (README "Memory"): the openai SDK,
google-api-python-client, reportlab, PyMongo and daphne/Twisted are loaded by the first
request that needs them, not by every REST worker at start-up. Each case is a separate
process with production settings, as gunicorn's workers are."""

from __future__ import annotations

import json

from scribe.testing.processes import PRODUCTION_ENV, manage, run

HEAVY = ("openai", "googleapiclient", "reportlab", "pymongo", "twisted", "daphne")

PROBE = """
import json, sys
from scribe.wsgi import application
from django.test import Client
from django.urls import get_resolver
get_resolver().url_patterns  # every view module imported, as a worker's first request does
client = Client(SERVER_NAME="scribe.example.nhs.uk")
statuses = [client.get("/health").status_code, client.post("/api/v1/ai/search", {}).status_code]
print("PROBE " + json.dumps({"statuses": statuses, "loaded": [m for m in %r if m in sys.modules]}))
"""


def _probe(db_file) -> dict:
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{db_file}", "REDIS_URL": ""}
    migrated = manage("migrate", "--noinput", **env)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    done = run(["-c", PROBE % (HEAVY,)], **env)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("PROBE "))
    return json.loads(line[len("PROBE ") :])


def test_a_rest_worker_loads_no_provider_sdk_pdf_drive_or_mongodb_library(tmp_path):
    found = _probe(tmp_path / "worker.sqlite3")
    # /health answers; an AI route refuses the anonymous caller before any provider work.
    assert found["statuses"] == [200, 401]
    assert found["loaded"] == []


def test_the_openai_sdk_is_loaded_by_the_first_provider_call():
    done = run(
        [
            "-c",
            "import sys, django; django.setup()\n"
            "from ai import client\n"
            "before = 'openai' in sys.modules\n"
            "client._timeout()\n"
            "print('SDK', before, 'openai' in sys.modules)",
        ],
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="scribe.settings",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "SDK False True" in done.stdout


def test_the_asgi_process_loads_the_provider_sdk_at_start_up(tmp_path):
    # The AI endpoints' process: the SDK is imported once, before any request (in gunicorn's
    # preloaded master), never by a worker's first AI request on its event loop.
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{tmp_path / 'asgi.sqlite3'}", "REDIS_URL": ""}
    done = run(["-c", "import sys, scribe.asgi; print('SDK', 'openai' in sys.modules)"], **env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "SDK True" in done.stdout
