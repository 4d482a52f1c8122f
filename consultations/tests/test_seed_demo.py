"""``manage.py seed_demo``: a demo clinician one can log in as, made once."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from consultations.management.commands.seed_demo import DEMO_EMAIL, Command
from consultations.models import Consultation, Note, Segment, Summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def development():
    # pytest-django runs tests with DEBUG off; seed_demo is for development (DEBUG on).
    with override_settings(DEBUG=True):
        yield


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _login(api_client, password: str) -> dict:
    response = api_client.post("/api/v1/users/login", {"email": DEMO_EMAIL, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_it_prints_a_login_that_works(api_client, development):
    out = _seed()
    password = re.search(r"^Password: (\S+)$", out, re.MULTILINE).group(1)

    tokens = _login(api_client, password)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    listing = api_client.get("/api/v1/consultations/").json()

    assert "curl -s -X POST http://127.0.0.1:8000/api/v1/users/login" in out
    assert listing["count"] == 3
    assert {c["status"] for c in listing["results"]} == {"active", "ended"}
    ended = next(c for c in listing["results"] if c["status"] == "ended")
    transcript = api_client.get(f"/api/v1/transcripts/{ended['transcript']}").json()
    assert transcript["transcript_text"].startswith("Clinician:")
    assert transcript["segments_count"] > 0


def test_it_makes_everything_once(api_client, development):
    first = _seed()
    before = (Consultation.objects.count(), Segment.objects.count(), Note.objects.count(), Summary.objects.count())

    second = _seed()

    assert (
        Consultation.objects.count(),
        Segment.objects.count(),
        Note.objects.count(),
        Summary.objects.count(),
    ) == before
    assert before[0] == 3
    assert "3 new" in first
    assert "0 new" in second
    assert "Password: unchanged" in second
    password = re.search(r"^Password: (\S+)$", first, re.MULTILINE).group(1)
    _login(api_client, password)


def test_it_sets_a_chosen_password(api_client, development):
    _seed()
    _seed("--password", "a-new-demo-passphrase-42")

    _login(api_client, "a-new-demo-passphrase-42")


@override_settings(DEBUG=False)
def test_it_refuses_a_deployment_without_force():
    with pytest.raises(CommandError, match="--force"):
        _seed()
    assert not Consultation.objects.exists()


@override_settings(DEBUG=False)
def test_it_seeds_a_deployment_with_force():
    out = _seed("--force")
    assert "3 new" in out


def test_it_explains_itself_in_help():
    text = Command().create_parser("manage.py", "seed_demo").format_help()
    assert "demo clinician" in text
    assert "--password" in text


@pytest.mark.skipif(not shutil.which("curl"), reason="needs curl")
def test_it_prints_a_curl_that_summarises_with_the_demo_provider(live_server, transactional_db, settings):
    settings.DEBUG = True
    settings.AI_PROVIDER = "demo"  # what `make run` sets when no provider is configured
    out = _seed("--url", live_server.url)
    commands = out.split("A SOAP summary of a demo consultation:\n", 1)[1]

    done = subprocess.run(["bash", "-c", commands], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["model"] == "scribe-demo"
    assert summary["unsupported_count"] == 0
    assert summary["statements"]["subjective"][0]["text"] == "I've had a dry cough for about ten days."
