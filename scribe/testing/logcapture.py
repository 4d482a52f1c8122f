"""Read what Scribe's real log handler writes (its formatter and filters included)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager


class CapturedLog:
    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    @property
    def text(self) -> str:
        return self._stream.getvalue()

    @property
    def records(self) -> list[dict]:
        """Every line parsed as JSON (a line that is not JSON fails the test)."""
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def by_logger(self, name: str) -> list[dict]:
        return [r for r in self.records if r.get("logger") == name]


@contextmanager
def capture_log(handler_name: str = "console") -> Iterator[CapturedLog]:
    """Point the configured handler at a buffer for the duration of the block."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == handler_name)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield CapturedLog(buffer)
    finally:
        handler.setStream(previous)
