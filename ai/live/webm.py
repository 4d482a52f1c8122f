"""Just enough WebM to place a window in the recording: its first Cluster's timecode.

A window is the recording's header followed by some of its slices; the provider's
segment times count from the first audio it could decode, which is the first whole
Cluster in the window. Its Timecode (milliseconds at MediaRecorder's default
TimecodeScale of 1 ms) is where the window starts in the recording.
"""

from __future__ import annotations

_CLUSTER_ID = b"\x1f\x43\xb6\x75"
_TIMECODE_ID = 0xE7


def _size(data: bytes, pos: int) -> tuple[int, int] | None:
    """(value, next position) of the EBML size at ``pos``, or None if it is not one."""
    if pos >= len(data) or data[pos] == 0:
        return None
    first = data[pos]
    length = 1
    while not first & (0x80 >> (length - 1)):
        length += 1
    if pos + length > len(data):
        return None
    value = first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def first_cluster_ms(data: bytes) -> int | None:
    """The Timecode of the first Cluster in ``data`` (ms), or None if none is found."""
    start = 0
    while True:
        pos = data.find(_CLUSTER_ID, start)
        if pos < 0:
            return None
        start = pos + 1
        size = _size(data, pos + 4)
        if size is None:
            continue
        pos = size[1]
        if pos >= len(data) or data[pos] != _TIMECODE_ID:
            continue
        length = _size(data, pos + 1)
        if length is None or not 1 <= length[0] <= 8 or length[1] + length[0] > len(data):
            continue
        return int.from_bytes(data[length[1] : length[1] + length[0]], "big")
