"""The operator's side of ``import_legacy``: report file, summary, progress, exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from consultations.tests.legacy_support import MANIFEST, SAMPLE_DUMP, run_import

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_it_writes_the_full_report_as_json(tmp_path):
    report_file = tmp_path / "report.json"

    with pytest.raises(CommandError):
        call_command(
            "import_legacy",
            "--dump",
            str(SAMPLE_DUMP),
            "--report",
            str(report_file),
            stdout=StringIO(),
            stderr=StringIO(),
        )

    report = json.loads(report_file.read_text())
    assert report["completed"] is True
    assert report["source"].endswith("sample-dump/scribe")
    assert report["collections"]["transcripts"]["extra_rows"] == {"segments": 312, "summaries": 34}
    assert len(report["issues"]) == len(MANIFEST["anomalies"])
    for issue in report["issues"]:
        assert set(issue) == {"collection", "id", "action", "rule", "reason"}
    # The report names documents, never their content.
    text = report_file.read_text()
    assert "Walk-in patient" not in text
    assert "$2b$" not in text


def test_it_exits_non_zero_when_documents_were_skipped(tmp_path):
    _, out, status = run_import("--dump", str(SAMPLE_DUMP), tmp_path=tmp_path)

    assert status == 3
    assert "1 document(s) skipped" in out
    assert "skipped  notes/6b030b30a6a5ecbbd9af7aa6: dangling_reference" in out


def test_it_exits_zero_with_allow_skips(tmp_path):
    _, out, status = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)

    assert status == 0
    assert "Imported: 476 rows written." in out


def test_it_prints_a_summary_table(tmp_path):
    _, out, _ = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)

    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("collection"))
    rows = {line.split()[0]: line.split()[1:6] for line in lines[header + 2 : header + 8]}
    assert rows["consultations"] == ["40", "40", "0", "1", "0"]
    assert rows["notes"] == ["39", "38", "0", "0", "1"]


def test_it_refuses_a_directory_that_is_no_dump(tmp_path):
    with pytest.raises(CommandError, match=r"holds no \.bson files") as error:
        call_command("import_legacy", "--dump", str(tmp_path), stdout=StringIO(), stderr=StringIO())
    assert error.value.returncode == 1


def test_it_needs_exactly_one_source():
    with pytest.raises(CommandError, match="one of the arguments --dump --uri is required"):
        call_command("import_legacy", stdout=StringIO(), stderr=StringIO())


def test_it_draws_a_progress_bar_per_collection_when_asked(tmp_path):
    err = StringIO()
    call_command(
        "import_legacy", "--dump", str(SAMPLE_DUMP), "--allow-skips", "--progress", "bar", stdout=StringIO(), stderr=err
    )

    bars = err.getvalue()
    assert "consultations" in bars
    assert "40/40" in bars
    assert "\r" in bars


def test_it_prints_plain_progress_lines_without_a_terminal(tmp_path):
    db = tmp_path / "scribe.sqlite3"
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{db}", "REDIS_URL": ""}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=120)

    first = subprocess.run(
        [*manage, "import_legacy", "--dump", str(SAMPLE_DUMP)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    second = subprocess.run(
        [*manage, "import_legacy", "--dump", str(SAMPLE_DUMP), "--allow-skips"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert first.returncode == 3, first.stderr
    assert "consultations: 40/40 done\n" in first.stderr
    assert "\r" not in first.stderr
    assert second.returncode == 0, second.stderr
    assert "Nothing changed" in second.stdout


def test_it_reports_a_source_that_fails_part_way_and_completes_it_later(tmp_path):
    broken = tmp_path / "broken" / "scribe"
    broken.mkdir(parents=True)
    for path in SAMPLE_DUMP.joinpath("scribe").iterdir():
        broken.joinpath(path.name).write_bytes(path.read_bytes())
    consultations = broken / "consultations.bson"
    consultations.write_bytes(consultations.read_bytes()[:-40])  # the last document is cut short

    report, out, status = run_import("--dump", str(broken), "--allow-skips", tmp_path=tmp_path)

    assert status == 1
    assert "The source failed part-way: consultations.bson: truncated document" in out
    assert (report["completed"], report["interrupted"]) == (False, True)
    assert report["collections"]["users"]["created"] == 5

    resumed, _, status = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)
    assert status == 0
    assert resumed["collections"]["users"]["already_present"] == 5
    assert resumed["collections"]["consultations"]["created"] == 40
