from __future__ import annotations

import pytest

from scribe.testing.logcapture import capture_log


@pytest.fixture
def log():
    """What the real JSON log handler wrote during the test."""
    with capture_log() as captured:
        yield captured
