"""``manage.py export_consultation ID``: one consultation as a JSON document (subject access requests)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from consultations import services
from consultations.management.commands.export_consultation import Command
from consultations.tests.legacy_support import SAMPLE_DUMP, run_import

pytestmark = pytest.mark.django_db


def _export(*args: str) -> dict:
    out = StringIO()
    call_command("export_consultation", *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def test_it_exports_the_consultation_with_everything_it_holds(clinician):
    consultation = services.consultation_start(clinician=clinician, patient_data={"name": "Ada Export", "age": 50})
    transcript = consultation.transcript
    services.segment_append(transcript=transcript, seq=1, text="Patient: second", speaker="patient")
    services.segment_append(transcript=transcript, seq=0, text="Clinician: first", speaker="clinician")
    services.note_create(clinician=clinician, consultation=consultation, body="A note")
    for version in (1, 2):
        services.transcript_summary_add(
            transcript=transcript, content={"plan": f"v{version}"}, text=f"v{version}", model="m", prompt=None
        )

    document = _export(str(consultation.pk))

    assert document["consultation"]["id"] == str(consultation.pk)
    assert document["consultation"]["patient_data"] == {"name": "Ada Export", "age": 50}
    assert document["transcript"]["transcript_text"] == "Clinician: first\nPatient: second"
    assert [s["seq"] for s in document["transcript"]["segments"]] == [0, 1]
    assert [n["body"] for n in document["notes"]] == ["A note"]
    assert [s["version"] for s in document["summaries"]] == [1, 2]
    assert document["summaries"][1]["content"] == {"plan": "v2"}


def test_it_finds_an_imported_consultation_by_its_legacy_id(tmp_path):
    run_import("--dump", str(SAMPLE_DUMP), "--allow-skips", tmp_path=tmp_path)

    document = _export("6B030B30A6A5ECBBD9AF7A30", "--legacy")

    assert document["consultation"]["legacy_id"] == "6b030b30a6a5ecbbd9af7a30"
    assert document["consultation"]["patient_data"] == {"name": "Walk-in patient"}
    assert document["transcript"]["legacy_id"] == "6b030b30a6a5ecbbd9af7a31"
    assert document["summaries"][0]["text"] == "S: cough. O: chest clear. A: viral. P: rest."
    assert len(document["notes"]) == 1


def test_it_writes_to_a_file(clinician, tmp_path):
    consultation = services.consultation_start(clinician=clinician, patient_data={"name": "Ada Export"})
    target = tmp_path / "sar.json"

    out = StringIO()
    call_command("export_consultation", str(consultation.pk), "--output", str(target), stdout=out, stderr=StringIO())

    assert out.getvalue() == ""
    assert json.loads(target.read_text())["consultation"]["patient_data"] == {"name": "Ada Export"}


@pytest.mark.parametrize("raw", ["999999", "not-an-id", "-1"])
def test_it_fails_clearly_for_an_unknown_id(raw):
    with pytest.raises(CommandError, match="No consultation with id"):
        call_command("export_consultation", raw, stdout=StringIO(), stderr=StringIO())


def test_it_explains_itself_in_help():
    text = Command().create_parser("manage.py", "export_consultation").format_help()
    assert "subject access request" in text
    assert "--output" in text
