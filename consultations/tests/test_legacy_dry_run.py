"""``--dry-run`` reads and checks everything and writes nothing."""

from __future__ import annotations

import pytest

from consultations.tests.legacy_support import SAMPLE_DUMP, canonical_database, run_import

pytestmark = pytest.mark.django_db


def test_it_writes_nothing_on_a_dry_run(tmp_path):
    empty = canonical_database()

    report, out, status = run_import("--dump", str(SAMPLE_DUMP), "--dry-run", "--allow-skips", tmp_path=tmp_path)

    assert status == 0
    assert report["dry_run"] is True
    assert "Dry run: nothing was written." in out
    assert canonical_database() == empty


def test_it_predicts_what_a_real_run_does(tmp_path):
    planned, _, _ = run_import("--dump", str(SAMPLE_DUMP), "--dry-run", "--allow-skips", tmp_path=tmp_path)
    real, _, _ = run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)

    assert planned["collections"] == real["collections"]
    assert planned["issues"] == real["issues"]
    assert real["collections"]["consultations"]["created"] == 40


def test_it_predicts_nothing_to_do_after_an_import(tmp_path):
    run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)
    after = canonical_database()

    planned, _, _ = run_import("--dump", str(SAMPLE_DUMP), "--dry-run", "--allow-skips", tmp_path=tmp_path)

    assert all(c["created"] == 0 for c in planned["collections"].values())
    assert planned["collections"]["blacktokens"]["already_present"] == 1
    assert canonical_database() == after
