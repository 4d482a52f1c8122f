"""Keys as an operator handles them, each step a separate process on a SQLite file of its own:
`rotate_field_keys` while the old key is still listed, then the old key removed; a wrong or
missing key stops start-up with a clear message."""

from __future__ import annotations

import pytest

from scribe.core import crypto
from scribe.testing.processes import PRODUCTION_ENV, manage, run

KEY_A, KEY_B = crypto.generate_key(), crypto.generate_key()
INDEX_A, INDEX_B = crypto.generate_key(), crypto.generate_key()

WRITE = """
from accounts.models import User
from consultations import services
user = User.objects.create_user(username="dr", email="dr@example.nhs.uk", password="x" * 12, role="clinician")
for i in range(7):
    c = services.consultation_start(clinician=user, patient_data={"name": f"Hermione Tarrant{i}", "nhs_number": "9434765919"})
    services.segment_append(transcript=c.transcript, seq=0, text=f"Wheeze at night {i}", speaker="patient")
"""

READ = """
from consultations.models import Consultation, Segment
from consultations.selectors import patient_index_match
print(sorted(c.patient_data["name"] for c in Consultation.objects.all())[0])
print(sorted(s.text for s in Segment.objects.all())[0])
print(Consultation.objects.filter(patient_index_match(name="hermione tar")).count())
print(Consultation.objects.filter(patient_index_match(nhs_number="943 476 5919")).count())
"""


def _env(db_file, keys: str, index_keys: str) -> dict[str, str]:
    return {
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{db_file}",
        "FIELD_ENCRYPTION_KEYS": keys,
        "FIELD_BLIND_INDEX_KEYS": index_keys,
    }


def _shell(env: dict, code: str):
    return manage("shell", "--verbosity=0", "-c", code, **env)


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    db_file = tmp_path_factory.mktemp("keys") / "db.sqlite3"
    env = _env(db_file, KEY_A, INDEX_A)
    done = manage("migrate", "--verbosity=0", **env)
    assert done.returncode == 0, done.stderr
    done = _shell(env, WRITE)
    assert done.returncode == 0, done.stderr
    return db_file


def test_it_rotates_to_a_new_key_in_a_separate_process_and_then_runs_without_the_old_one(database):
    rotating = _env(database, f"{KEY_B},{KEY_A}", f"{INDEX_B},{INDEX_A}")
    assert manage("rotate_field_keys", "--check", **rotating).returncode != 0

    done = manage("rotate_field_keys", "--batch-size", "3", **rotating)

    assert done.returncode == 0, done.stderr
    assert "consultations.Segment.text: 7 re-encrypted" in done.stdout
    assert "consultations.Consultation.patient_name: 7 rebuilt" in done.stdout
    assert "Tarrant" not in done.stdout + done.stderr
    again = manage("rotate_field_keys", **rotating)
    assert again.returncode == 0, again.stderr
    assert "Done: 0 values re-encrypted, 0 blind-index values rebuilt" in again.stdout
    new_only = _env(database, KEY_B, INDEX_B)
    assert manage("rotate_field_keys", "--check", **new_only).returncode == 0
    read = _shell(new_only, READ)
    assert read.returncode == 0, read.stderr
    assert read.stdout.split("\n")[:4] == ["Hermione Tarrant0", "Wheeze at night 0", "7", "7"]
    stored = database.read_bytes()
    assert b"Tarrant" not in stored
    assert b"Wheeze" not in stored
    assert f"enc1:{crypto.parse_keys(KEY_A, name='a')[0].kid}:".encode() not in stored


def test_it_refuses_to_start_with_a_key_that_does_not_open_the_stored_data(database):
    wrong = _env(database, crypto.generate_key(), INDEX_B)

    check = manage("check", "--database", "default", **wrong)
    server = run(["-c", "import scribe.wsgi"], **wrong)

    assert check.returncode != 0
    assert "scribe.E014" in check.stderr
    assert "not in FIELD_ENCRYPTION_KEYS" in check.stderr
    assert server.returncode != 0
    assert "ImproperlyConfigured: Stored patient data does not decrypt with FIELD_ENCRYPTION_KEYS" in server.stderr
    assert "Tarrant" not in check.stderr + server.stderr


@pytest.mark.parametrize("missing", ["FIELD_ENCRYPTION_KEYS", "FIELD_BLIND_INDEX_KEYS"])
def test_it_refuses_to_start_in_production_without_a_key(missing):
    env = {**PRODUCTION_ENV, missing: ""}
    done = run(["manage.py", "check"], **env)
    assert done.returncode == 78
    assert "refusing to start with DEBUG off" in done.stderr
    assert missing in done.stderr


def test_it_refuses_a_key_that_is_not_32_bytes():
    done = run(["manage.py", "check"], DEBUG="true", FIELD_ENCRYPTION_KEYS="too-short")
    assert done.returncode == 78
    assert "FIELD_ENCRYPTION_KEYS: key #1 is not 32 bytes of urlsafe base64" in done.stderr
