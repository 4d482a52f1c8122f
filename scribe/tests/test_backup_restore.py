"""`manage.py backup` and `manage.py restore`, run as separate processes on real databases."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import uuid
from pathlib import Path

import pytest

from scribe.core.backup import Archive
from scribe.testing.processes import manage, run

PG_SERVER = "postgres://postgres@127.0.0.1:5432"

# Data a clinic cannot lose: legacy ids, a Node.js bcrypt hash, an Argon2 hash, a revocation,
# two summary versions, a user permission and a group (many-to-many tables), an admin log entry.
SEED = r"""
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "scribe.settings"
django.setup()
from datetime import timedelta
from django.contrib.admin.models import LogEntry, ADDITION
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from accounts.models import User, RevokedToken
from consultations.models import Consultation, Transcript, Segment, Summary, Note, Prompt
doc = User.objects.create_user(email="dr.who@scribe.example", password="correct horse battery", username="drwho",
                               role="clinician")
old = User.objects.create(email="legacy@scribe.example", username="legacy", role="clinician",
                          password="$2b$10$abcdefghijklmnopqrstuuJ9v8vQy1Qq3xZ0Jm7m2a3b4c5d6e7f8g", legacy_id="5f1d7e0c9a1b2c3d4e5f6a7b")
group = Group.objects.create(name="auditors")
perm = Permission.objects.get(codename="view_consultation")
doc.user_permissions.add(perm)
doc.groups.add(group)
group.permissions.add(perm)
prompt = Prompt.objects.create(owner=doc, name="SOAP", text="Write a SOAP note", legacy_id="5f1d7e0c9a1b2c3d4e5f6a7c")
for i in range(7):
    c = Consultation.objects.create(clinician=doc if i % 2 else old, patient_data={"name": f"Patient {i}", "nhs": "943 476 5919"},
                                    patient_name=f"patient {i}", status="ended", ended_at=timezone.now(),
                                    legacy_id=f"5f1d7e0c9a1b2c3d4e5f6b{i:02d}")
    t = Transcript.objects.create(consultation=c, clinician=c.clinician, prompt_used=prompt, summary_version=2)
    for s in range(3):
        Segment.objects.create(transcript=t, seq=s, text=f"Patient: line {s} \u00e9\u2603", speaker="patient", start_ms=s * 1000)
    Summary.objects.create(transcript=t, version=1, content={"plan": "rest"}, text="v1", model="legacy")
    Summary.objects.create(transcript=t, version=2, content={"plan": "rest, fluids"}, text="v2", model="gpt-4o", prompt=prompt)
    Note.objects.create(consultation=c, transcript=t, clinician=c.clinician, body=f"note {i}")
RevokedToken.objects.create(key="legacy:" + "a" * 40, expires_at=timezone.now() + timedelta(days=3))
LogEntry.objects.create(user=doc, content_type=ContentType.objects.get_for_model(Consultation), object_id="1",
                        object_repr="Consultation 1", action_flag=ADDITION)
"""

CHECK_LOGIN = r"""
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "scribe.settings"
django.setup()
from accounts.models import User
doc = User.objects.get(email="dr.who@scribe.example")
assert doc.check_password("correct horse battery")
assert doc.has_perm("consultations.view_consultation")
print("ok")
"""


def _sqlite(path: Path) -> str:
    return f"sqlite:///{path}"


def _ok(done) -> str:
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _fresh_sqlite(tmp_path: Path, name: str) -> str:
    url = _sqlite(tmp_path / f"{name}.sqlite3")
    _ok(manage("migrate", "--noinput", "-v0", DEBUG="true", DATABASE_URL=url))
    return url


@pytest.fixture
def postgres_url():
    psycopg = pytest.importorskip("psycopg")
    name = f"scribe_h17_bk_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_SERVER}/{name}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def seeded(tmp_path: Path) -> str:
    url = _fresh_sqlite(tmp_path, "source")
    _ok(run(["-c", SEED], DEBUG="true", DATABASE_URL=url))
    return url


def _backup(url: str, out: Path, **env: str) -> Path:
    _ok(manage("backup", "--output", str(out), "--batch-size", "4", DEBUG="true", DATABASE_URL=url, **env))
    return out


def canonical(path: Path, key: str = "") -> dict[str, list]:
    """Every model's rows, content types and permissions by natural key (their ids are the database's)."""
    archive = Archive(path, encryption_key=key)
    tables = {}
    for entry in archive.manifest["models"]:
        rows = [dict(zip(entry["fields"], row, strict=True)) for part in archive.rows(entry) for row in part]
        tables[entry["model"]] = rows
    archive.close()
    cts = {r["id"]: (r["app_label"], r["model"]) for r in tables.pop("contenttypes.contenttype")}
    perms = {r["id"]: (cts[r["content_type_id"]], r["codename"]) for r in tables.pop("auth.permission")}
    out: dict[str, list] = {"contenttypes": sorted(cts.values()), "permissions": sorted(perms.values())}
    for label, rows in tables.items():
        for row in rows:
            if "content_type_id" in row:
                row["content_type_id"] = cts[row["content_type_id"]]
            if "permission_id" in row:
                row["permission_id"] = perms[row["permission_id"]]
        out[label] = sorted(rows, key=lambda r: r["id"])
    return out


def test_it_round_trips_sqlite_postgresql_sqlite(seeded, postgres_url, tmp_path):
    first = _backup(seeded, tmp_path / "first.tar")
    assert stat.S_IMODE(first.stat().st_mode) == 0o600

    _ok(manage("migrate", "--noinput", "-v0", DEBUG="true", DATABASE_URL=postgres_url))
    _ok(manage("restore", str(first), DEBUG="true", DATABASE_URL=postgres_url))
    second = _backup(postgres_url, tmp_path / "second.tar")
    assert _ok(run(["-c", CHECK_LOGIN], DEBUG="true", DATABASE_URL=postgres_url)).strip() == "ok"
    # New rows after a restore get fresh ids (PostgreSQL's sequences were moved past the restored ones).
    _ok(manage("seed_demo", DEBUG="true", DATABASE_URL=postgres_url))

    back = _fresh_sqlite(tmp_path, "back")
    _ok(manage("restore", str(second), DEBUG="true", DATABASE_URL=back))
    third = _backup(back, tmp_path / "third.tar")

    a, b, c = canonical(first), canonical(second), canonical(third)
    assert a == b == c
    assert len(a["consultations.consultation"]) == 7
    assert {s["version"] for s in a["consultations.summary"]} == {1, 2}
    assert [r["key"] for r in a["accounts.revokedtoken"]] == ["legacy:" + "a" * 40]
    hashes = {u["email"]: u["password"] for u in a["accounts.user"]}
    assert hashes["legacy@scribe.example"].startswith("$2b$10$")
    assert hashes["dr.who@scribe.example"].startswith("argon2")
    assert {u["legacy_id"] for u in a["accounts.user"]} == {None, "5f1d7e0c9a1b2c3d4e5f6a7b"}
    assert a["accounts.user_user_permissions"]
    assert a["auth.group_permissions"]
    assert a["admin.logentry"]
    assert _ok(run(["-c", CHECK_LOGIN], DEBUG="true", DATABASE_URL=back)).strip() == "ok"


def test_it_refuses_a_database_that_holds_records(seeded, tmp_path):
    archive = _backup(seeded, tmp_path / "a.tar")
    done = manage("restore", str(archive), DEBUG="true", DATABASE_URL=seeded)
    assert done.returncode == 1
    assert "already holds records" in done.stderr


def test_it_refuses_a_second_try_after_a_half_done_restore(seeded, tmp_path):
    archive = _backup(seeded, tmp_path / "a.tar")
    target = _fresh_sqlite(tmp_path, "target")
    stopped = manage("restore", str(archive), "--stop-after-rows", "10", DEBUG="true", DATABASE_URL=target)
    assert stopped.returncode == 4, stopped.stderr
    again = manage("restore", str(archive), DEBUG="true", DATABASE_URL=target)
    assert again.returncode == 1
    assert "never finished" in again.stderr


def test_it_refuses_a_tampered_part_before_writing(seeded, tmp_path):
    archive = _backup(seeded, tmp_path / "a.tar")
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(archive) as src, tarfile.open(tampered, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if "consultations.note" in member.name:
                data = data[:-6] + bytes(b ^ 0xFF for b in data[-6:])
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    target = _fresh_sqlite(tmp_path, "target")
    done = manage("restore", str(tampered), DEBUG="true", DATABASE_URL=target)
    assert done.returncode == 1
    assert "does not match its checksum" in done.stderr
    # Nothing was written: the intact archive still restores into the same database.
    _ok(manage("restore", str(archive), DEBUG="true", DATABASE_URL=target))


def test_it_encrypts_with_the_key_and_refuses_a_wrong_one(seeded, tmp_path):
    from cryptography.fernet import Fernet

    key, wrong = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    archive = _backup(seeded, tmp_path / "secret.tar", BACKUP_ENCRYPTION_KEY=key)
    with tarfile.open(archive) as tar:
        stored = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.name.startswith("parts/"))
    assert b"Patient" not in stored  # not even compressed plain text
    assert b"note 1" not in stored
    target = _fresh_sqlite(tmp_path, "target")
    for env, message in (({}, "is encrypted"), ({"BACKUP_ENCRYPTION_KEY": wrong}, "wrong key")):
        done = manage("restore", str(archive), DEBUG="true", DATABASE_URL=target, **env)
        assert done.returncode == 1
        assert message in done.stderr
    # Rotation: the new key first, the old one still opens older archives.
    _ok(manage("restore", str(archive), DEBUG="true", DATABASE_URL=target, BACKUP_ENCRYPTION_KEY=f"{wrong},{key}"))
    assert canonical(_backup(target, tmp_path / "again.tar")) == canonical(archive, key)


def test_it_checks_the_output_folder_before_work(seeded, tmp_path):
    done = manage("backup", "--output", str(tmp_path / "missing" / "a.tar"), DEBUG="true", DATABASE_URL=seeded)
    assert done.returncode == 1
    assert "does not exist" in done.stderr
    existing = tmp_path / "taken.tar"
    existing.write_text("keep me")
    done = manage("backup", "--output", str(existing), DEBUG="true", DATABASE_URL=seeded)
    assert done.returncode == 1
    assert existing.read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".backup-")]
