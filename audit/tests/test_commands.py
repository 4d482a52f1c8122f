"""audit_export (JSON lines) and audit_purge (retention), in-process and as a separate process."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Caller, audit_purge, audit_record
from scribe.testing.processes import run

pytestmark = pytest.mark.django_db


def manage(*args: str, **env: str):
    # A generous timeout: a migrate on a loaded shared machine can take minutes.
    return run(["manage.py", *args], timeout=600, **env)


def event_at(when: datetime, *, user_id: str = "7", object_id: str = "1") -> AuditEvent:
    return AuditEvent.objects.create(
        at=when, user_id=user_id, role="clinician", model="consultation", object_id=object_id, action="read"
    )


def export(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("audit_export", *args, stdout=out, stderr=io.StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_it_exports_json_lines_in_time_order_filtered_by_dates_and_user():
    day = datetime(2026, 3, 1, tzinfo=UTC)
    event_at(day + timedelta(days=2), object_id="late")
    event_at(day, object_id="early")
    event_at(day + timedelta(days=1), user_id="8", object_id="other-user")
    assert [row["object_id"] for row in export()] == ["early", "other-user", "late"]
    assert [row["object_id"] for row in export("--since", "2026-03-02")] == ["other-user", "late"]
    assert [row["object_id"] for row in export("--since", "2026-03-01", "--until", "2026-03-03")] == [
        "early",
        "other-user",
    ]
    rows = export("--user", "7", "--since", "2026-03-01T00:00:00+00:00")
    assert [row["object_id"] for row in rows] == ["early", "late"]
    assert rows[0]["at"] == "2026-03-01T00:00:00+00:00"
    assert set(rows[0]) >= {"id", "at", "user_id", "role", "action", "model", "object_id", "request_id", "ip"}


@pytest.mark.parametrize("args", [["--since", "yesterday"], ["--since", "2026-03-02", "--until", "2026-03-01"]])
def test_it_refuses_bad_dates(args):
    with pytest.raises(CommandError):
        export(*args)


def test_it_purges_only_events_older_than_the_retention_in_batches(settings):
    now = timezone.now()
    for n in range(5):
        event_at(now - timedelta(days=400 + n), object_id=f"old{n}")
    kept = event_at(now - timedelta(days=10), object_id="recent")
    settings.AUDIT_RETENTION_DAYS = 365
    out = io.StringIO()
    call_command("audit_purge", "--batch-size", "2", stdout=out)
    assert "Deleted 5 audit event(s)" in out.getvalue()
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    assert audit_purge(before=now - timedelta(days=365)) == 0  # again: nothing left to delete


def test_a_command_records_itself_as_an_operator(clinician):
    from consultations.tests.factories import consultation_for

    consultation = consultation_for(clinician)
    call_command("export_consultation", str(consultation.pk), stdout=io.StringIO())
    event = AuditEvent.objects.get()
    assert (event.role, event.source, event.action, event.consultation_id) == (
        "operator",
        "manage.py export_consultation",
        "export",
        str(consultation.pk),
    )


def test_outside_a_request_a_record_is_written_at_once():
    audit_record(caller=Caller(user_id="3", role="clinician"), model="transcript", action="ai", object_id=9)
    assert AuditEvent.objects.get().object_id == "9"


@pytest.mark.slow
def test_the_commands_run_as_separate_processes(tmp_path):
    env = {"DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert manage("migrate", "--verbosity=0", **env).returncode == 0
    code = (
        "from datetime import timedelta; from django.utils import timezone; from audit.models import AuditEvent; "
        "now = timezone.now(); "
        "[AuditEvent.objects.create(at=now - timedelta(days=d), user_id='5', role='clinician', model='note', "
        "object_id=str(d), action='read') for d in (1, 3000)]"
    )
    assert manage("shell", "--verbosity=0", "-c", code, **env).returncode == 0

    done = manage("audit_export", "--user", "5", **env)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["object_id"] for line in done.stdout.splitlines()] == ["3000", "1"]
    assert "2 audit event(s) written." in done.stderr

    done = manage("audit_purge", **env)  # the default retention (8 years) keeps the 1-day-old one
    assert done.returncode == 0, done.stderr
    assert "Deleted 1 audit event(s)" in done.stdout
    assert [json.loads(line)["object_id"] for line in manage("audit_export", **env).stdout.splitlines()] == ["1"]

    refused = manage("audit_export", "--since", "last week", **env)
    assert refused.returncode != 0
    assert "--since must be a date" in refused.stderr
