"""Benchmark: rendering a 3-page consultation note PDF (issue 15).

    .venv/bin/python bench/bench_note_pdf.py [--runs 50]

A consultation with a signed SOAP note long enough for exactly 3 A4 pages and
two questionnaires, in a temporary SQLite database. Measures (1) the renderer
alone (``documents.pdf.pdf_render``) and (2) the whole request
``GET /api/v1/consultations/{id}/documents/note.pdf`` in-process (auth, lookups,
rendering). Reports median and 95th percentile in ms, wall clock and this
process's CPU time (on a busy shared machine the wall clock mostly measures the
queue for a core). Target: a 3-page note under 300 ms (p95 of the whole request,
wall clock).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_MS = 300.0


def stats(timings: list[float]) -> dict[str, float]:
    timings = sorted(timings)
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(int(len(timings) * 0.95) - 1, 0)], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="scribe-bench-")
    os.environ.update(
        {"DEBUG": "true", "ENV_FILE": "", "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3", "LOG_LEVEL": "WARNING"}
    )
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("MONGODB_URI", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "scribe.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.disable(logging.CRITICAL)

    from pypdf import PdfReader
    from rest_framework.test import APIClient

    from accounts.models import User
    from accounts.tokens import token_pair_for
    from consultations.services import consultation_start, summary_sign, transcript_summary_add
    from documents.services import note_document, note_pdf
    from questionnaires.services import questionnaire_answer

    clinician = User.objects.create_user(
        email="bench@example.com", password="x" * 16, username="Dr Bench", role="clinician"
    )
    consultation = consultation_start(
        clinician=clinician,
        patient_data={"name": "Leo Jones", "nhs_number": "943 476 5919", "date_of_birth": "1984-02-29"},
    )
    paragraph = (
        "Three days of productive cough with green sputum, worse at night, with a mild fever and aches. "
        "No chest pain, haemoptysis or weight loss. Eating and drinking normally; non-smoker. "
    )
    content = {
        section: "\n\n".join([paragraph * 3] * 4) for section in ("subjective", "objective", "assessment", "plan")
    }
    transcript_summary_add(transcript=consultation.transcript, content=content, text="", model="bench", prompt=None)
    summary_sign(transcript=consultation.transcript, version=1, signer=clinician)
    questionnaire_answer(consultation=consultation, instrument="phq9", answers=[1, 1, 2, 1, 0, 1, 1, 0, 0])
    questionnaire_answer(consultation=consultation, instrument="gad7", answers=[1, 2, 1, 1, 0, 1, 1])

    document, summary = note_document(consultation=consultation)
    data = note_pdf(consultation=consultation, document=document, summary=summary)
    pages = len(PdfReader(io.BytesIO(data)).pages)

    render, render_cpu = [], []
    for _ in range(args.runs):
        started, cpu = time.perf_counter(), time.process_time()
        note_pdf(consultation=consultation, document=document, summary=summary)
        render.append((time.perf_counter() - started) * 1000)
        render_cpu.append((time.process_time() - cpu) * 1000)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_for(clinician)['access_token']}")
    url = f"/api/v1/consultations/{consultation.pk}/documents/note.pdf"
    request, request_cpu = [], []
    for _ in range(args.runs):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        request.append((time.perf_counter() - started) * 1000)
        request_cpu.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200

    result = {
        "pages": pages,
        "bytes": len(data),
        "render": stats(render),
        "render_cpu": stats(render_cpu),
        "request": stats(request),
        "request_cpu": stats(request_cpu),
    }
    print(f"3-page note PDF ({pages} pages, {len(data)} bytes), {args.runs} runs each")
    print(f"{'':10} {'p50 ms':>8} {'p95 ms':>8}")
    for name in ("render", "render_cpu", "request", "request_cpu"):
        print(f"{name:10} {result[name]['p50_ms']:>8} {result[name]['p95_ms']:>8}")
    print(
        "BENCH_RESULT "
        + json.dumps(
            {
                "pages": pages,
                "render_p95_ms": result["render"]["p95_ms"],
                "render_cpu_p95_ms": result["render_cpu"]["p95_ms"],
                "request_p95_ms": result["request"]["p95_ms"],
                "request_cpu_p95_ms": result["request_cpu"]["p95_ms"],
            }
        )
    )
    if pages != 3:
        print(f"the note was {pages} pages, not 3: adjust the generated text", file=sys.stderr)
        raise SystemExit(2)
    if result["request"]["p95_ms"] > TARGET_MS:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
