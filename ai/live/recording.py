"""One recording's audio: bounded memory, windows by byte range.

The first slice (the WebM header) stays in memory; every later slice is appended to a
``SpooledTemporaryFile`` that moves to disk once it holds ``LIVE_MEMORY_BUFFER_BYTES``,
so a long recording costs a bounded amount of memory per connection. Every
``LIVE_WINDOW_SLICES`` slices close a window: a byte range of that file, read back
(header first) only when it is transcribed. Only the event loop's thread touches the
file (slices are appended and windows read between awaits), so no lock is needed.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    index: int
    start: int  # byte offsets of its slices in the recording's file
    end: int
    slices: int


class Recording:
    def __init__(self, *, window_slices: int, memory_bytes: int) -> None:
        self.window_slices = window_slices
        self.header: bytes | None = None
        self.audio_bytes = 0  # slices after the header
        self.slices = 0
        self.windows = 0
        self.started = time.monotonic()
        self._file = tempfile.SpooledTemporaryFile(max_size=memory_bytes)  # noqa: SIM115 (closed by close())
        self._window_start = 0
        self._window_slices = 0

    @property
    def total_bytes(self) -> int:
        return len(self.header or b"") + self.audio_bytes

    @property
    def spilled(self) -> bool:
        return bool(getattr(self._file, "_rolled", False))

    def add(self, data: bytes) -> Window | None:
        """Add one slice; the window it closes, if it closes one."""
        if self.header is None:
            self.header = data
            return None
        self._file.seek(0, os.SEEK_END)
        self._file.write(data)
        self.audio_bytes += len(data)
        self.slices += 1
        self._window_slices += 1
        if self._window_slices >= self.window_slices:
            return self._close_window()
        return None

    def flush(self) -> Window | None:
        """The window of the slices received since the last one closed (at stop), if any."""
        return self._close_window() if self._window_slices else None

    def _close_window(self) -> Window:
        window = Window(self.windows, self._window_start, self.audio_bytes, self._window_slices)
        self.windows += 1
        self._window_start = self.audio_bytes
        self._window_slices = 0
        return window

    def _read(self, start: int, end: int) -> bytes:
        self._file.seek(start)
        return self._file.read(end - start)

    def window_audio(self, window: Window) -> bytes:
        """A playable file: the header, then the window's slices."""
        return (self.header or b"") + self._read(window.start, window.end)

    def whole_audio(self) -> bytes:
        return (self.header or b"") + self._read(0, self.audio_bytes)

    def close(self) -> None:
        self._file.close()
