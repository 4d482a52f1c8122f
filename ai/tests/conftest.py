"""Fixtures of the AI tests: consultations with segments, the HTTPS image servers."""

from __future__ import annotations

import pytest

from consultations.services import consultation_start, segment_append


@pytest.fixture
def make_transcript():
    """``make_transcript(clinician, lines, patient_data=None)``: a consultation whose
    transcript holds ``lines`` as segments seq 1..n (strings, or (speaker, text))."""

    def make(clinician, lines, patient_data=None):
        consultation = consultation_start(
            clinician=clinician, patient_data=patient_data or {"name": "Alice Example", "age": 40}
        )
        transcript = consultation.transcript
        for seq, line in enumerate(lines, start=1):
            speaker, text = line if isinstance(line, tuple) else ("unknown", line)
            segment_append(transcript=transcript, seq=seq, text=text, speaker=speaker)
        return transcript

    return make


@pytest.fixture(scope="session")
def image_servers_running():
    from ai.tests.image_server import image_servers

    first, second, ca_path, directory = image_servers()
    yield first, second, ca_path
    first.close()
    second.close()
    directory.cleanup()


@pytest.fixture
def image_servers(image_servers_running, settings):
    """(server on 127.0.0.1, server on 127.0.0.2); their CA trusted, no network allowed yet."""
    first, second, ca_path = image_servers_running
    first.requests.clear()
    second.requests.clear()
    settings.AI_IMAGE_FETCH_CA_BUNDLE = str(ca_path)
    settings.AI_IMAGE_FETCH_ALLOWED_NETWORKS = []
    return first, second
