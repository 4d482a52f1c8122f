"""Operators' commands, run as the operator runs them (a separate process, its own database):
exports are owner-only files, output folders are checked before any work, and seed_demo
holds its email and password to the rules of registration."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from consultations.tests.legacy_support import SAMPLE_DUMP
from scribe.testing.processes import BASE_DIR, child_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> dict[str, str]:
    """A migrated SQLite database of its own, with the demo data in it."""
    folder = tmp_path_factory.mktemp("operator")
    env = {"DEBUG": "true", "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}"}
    done = command(env, "migrate", "--verbosity=0")
    assert done.returncode == 0, done.stderr
    done = command(env, "seed_demo")
    assert done.returncode == 0, done.stderr
    return env


def command(env: dict[str, str], *args: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(umask),
    )


def shell(env: dict[str, str], code: str) -> str:
    done = command(env, "shell", "--verbosity=0", "-c", code)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def a_consultation_id(env: dict[str, str]) -> str:
    return shell(env, "from consultations.models import Consultation; print(Consultation.objects.first().pk)")


def test_it_writes_an_export_readable_by_its_owner_only(database, tmp_path):
    target = tmp_path / "export.json"
    target.write_text("old")
    target.chmod(0o644)  # an existing world-readable file is replaced, not reused
    done = command(database, "export_consultation", a_consultation_id(database), "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text())["consultation"]["patient_data"]["name"]
    assert [p.name for p in tmp_path.iterdir()] == ["export.json"]  # no temporary file left


def test_it_refuses_an_export_into_a_missing_folder_before_reading_anything(database, tmp_path):
    target = tmp_path / "no-such-folder" / "export.json"
    done = command(database, "export_consultation", "999999", "--output", str(target))
    assert done.returncode == 1
    assert "does not exist" in done.stderr
    assert "No consultation" not in done.stderr  # refused before the lookup
    assert "Traceback" not in done.stderr
    assert not target.parent.exists()


def test_it_refuses_an_import_report_into_a_missing_folder_before_importing(database, tmp_path):
    before = shell(database, "from consultations.models import Consultation; print(Consultation.objects.count())")
    report = tmp_path / "missing" / "report.json"
    done = command(database, "import_legacy", "--dump", str(SAMPLE_DUMP), "--report", str(report), "--progress", "off")
    assert done.returncode == 1
    assert "--report" in done.stderr
    assert "does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    after = shell(database, "from consultations.models import Consultation; print(Consultation.objects.count())")
    assert after == before


@pytest.mark.parametrize(
    ("args", "refused"),
    [
        (["--email", "not-an-email", "--password", "A-long-Unusual-passphrase-42"], "--email"),
        (["--email", "other.demo@scribe.example", "--password", "123"], "--password"),
        (["--email", "other.demo@scribe.example", "--password", "password123"], "--password"),
    ],
)
def test_it_seeds_no_demo_clinician_with_an_email_or_password_registration_refuses(database, args, refused):
    done = command(database, "seed_demo", *args)
    assert done.returncode == 1
    assert refused in done.stderr
    assert "Traceback" not in done.stderr
    emails = shell(
        database, "from accounts.models import User; print(sorted(User.objects.values_list('email', flat=True)))"
    )
    assert "not-an-email" not in emails
    assert "other.demo" not in emails


def test_it_refuses_a_weak_new_password_for_the_existing_demo_clinician(database):
    done = command(database, "seed_demo", "--password", "123")
    assert done.returncode == 1
    assert "--password" in done.stderr


def test_it_still_seeds_with_a_good_email_and_password(database):
    done = command(
        database, "seed_demo", "--email", "third.demo@scribe.example", "--password", "A-long-Unusual-pass-42"
    )
    assert done.returncode == 0, done.stderr
