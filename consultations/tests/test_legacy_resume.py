"""A run stopped half-way (``--stop-after-writes``, the importer's own rehearsal of a
killed process) and started again ends exactly like one clean run."""

from __future__ import annotations

import pytest

from consultations.models import Consultation, Note, Transcript
from consultations.tests.legacy_support import SAMPLE_DUMP, canonical_database, run_import, wipe_database

pytestmark = pytest.mark.django_db

# The sample needs 476 writes: 5 users, 6 prompts, 40 consultations, 40 transcripts,
# 312 segments, 34 summaries, 38 notes, 1 revoked token. Stop inside and at the edge
# of every stage (batch size 16, so also between batches of one stage).
STOPS = [1, 5, 6, 11, 12, 20, 27, 28, 43, 44, 51, 90, 200, 403, 404, 420, 437, 438, 474, 475]


def test_it_finishes_a_stopped_run_like_one_clean_run(tmp_path):
    run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", "--batch-size", "16", tmp_path=tmp_path)
    clean = canonical_database()

    for stop in STOPS:
        wipe_database()
        report, out, status = run_import(
            "--dump", str(SAMPLE_DUMP), "--batch-size", "16", "--stop-after-writes", str(stop), tmp_path=tmp_path
        )
        assert status == 4, (stop, out)
        assert report["interrupted"] is True
        assert report["completed"] is False

        resumed, _, status = run_import(
            "--dump", str(SAMPLE_DUMP), "--allow-skips", "--batch-size", "16", tmp_path=tmp_path
        )

        assert status == 0
        assert resumed["completed"] is True
        assert canonical_database() == clean, stop


def test_it_leaves_no_half_made_consultation_after_resuming(tmp_path):
    # Stop right after a batch of consultations was written, before their transcripts.
    _report, _, _ = run_import(
        "--dump", str(SAMPLE_DUMP), "--batch-size", "16", "--stop-after-writes", "27", tmp_path=tmp_path
    )
    assert Consultation.objects.filter(transcript__isnull=True).exists()

    run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", "--batch-size", "16", tmp_path=tmp_path)

    assert not Consultation.objects.filter(transcript__isnull=True).exists()
    assert Transcript.objects.count() == Consultation.objects.count() == 40
    assert Note.objects.count() == 38


def test_it_keeps_a_half_made_consultation_out_of_the_api_until_resumed(tmp_path, client_for):
    from accounts.models import User

    run_import("--dump", str(SAMPLE_DUMP), "--batch-size", "16", "--stop-after-writes", "27", tmp_path=tmp_path)
    half_made = Consultation.objects.filter(transcript__isnull=True).first()
    owner = User.objects.get(pk=half_made.clinician_id)

    response = client_for(owner).get(f"/api/v1/consultations/{half_made.pk}")

    assert response.status_code == 404
    run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)
    assert client_for(owner).get(f"/api/v1/consultations/{half_made.pk}").status_code == 200
