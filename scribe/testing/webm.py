"""WebM/Opus audio cut the way a browser's MediaRecorder delivers it, for the live
transcription tests and benchmark.

MediaRecorder (``start(timeslice)``) hands the page a first slice holding the WebM
header (EBML header, Segment, Info, Tracks) and no audio, then one slice per
timeslice, each a run of Clusters: a later slice is not playable alone, only the
header followed by slices is. ``media_recorder_slices`` cuts a WebM file the same
way (one Cluster per slice) by walking its top-level EBML elements.

The committed fixture ``audio/consultation.webm`` (about 9 s of speech, 16 KB) is
made by ``python -m scribe.testing.webm`` from espeak-ng and ffmpeg output.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "audio" / "consultation.webm"
FIXTURE_SPEECH = (
    "Good morning doctor. I have had a cough for three days and a mild fever since Sunday. "
    "It is worse at night and I feel tired. I have no chest pain."
)

_SEGMENT = 0x18538067
_CLUSTER = 0x1F43B675
_UNKNOWN = -1


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int]:
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError(f"bad EBML varint at {pos}")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = _UNKNOWN
    return value, pos + length


def _element(data: bytes, pos: int) -> tuple[int, int, int]:
    """(id, position of the payload, payload size or -1 for unknown) of the element at pos."""
    element_id, pos = _vint(data, pos, keep_marker=True)
    size, pos = _vint(data, pos, keep_marker=False)
    return element_id, pos, size


def cluster_offsets(data: bytes) -> list[int]:
    """Offsets of the Segment's top-level Clusters."""
    pos = 0
    element_id, payload, size = _element(data, pos)  # EBML header
    pos = payload + size
    element_id, payload, size = _element(data, pos)
    if element_id != _SEGMENT:
        raise ValueError("no Segment after the EBML header")
    pos, offsets = payload, []
    while pos < len(data):
        element_id, payload, size = _element(data, pos)
        if element_id == _CLUSTER:
            offsets.append(pos)
        if size == _UNKNOWN:
            raise ValueError("unknown-size element inside the Segment")
        pos = payload + size
    return offsets


def media_recorder_slices(data: bytes) -> list[bytes]:
    """[header, cluster, cluster, ...]: the slices MediaRecorder would have sent."""
    offsets = cluster_offsets(data)
    bounds = [*offsets, len(data)]
    return [data[: offsets[0]], *(data[a:b] for a, b in itertools.pairwise(bounds))]


def webm_from_speech(text: str, *, bitrate: str = "12k") -> bytes:
    """Speech synthesised by espeak-ng, encoded as live WebM/Opus with ~0.5 s Clusters."""
    with tempfile.TemporaryDirectory() as tmp:
        wav, webm = Path(tmp) / "speech.wav", Path(tmp) / "speech.webm"
        subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, capture_output=True)
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                str(wav),
                "-ac",
                "1",
                "-ar",
                "48000",
                "-c:a",
                "libopus",
                "-b:a",
                bitrate,
                "-application",
                "voip",
                "-f",
                "webm",
                "-live",
                "1",
                "-cluster_time_limit",
                "500",
                "-cluster_size_limit",
                "100000",
                str(webm),
            ],
            check=True,
            capture_output=True,
        )
        return webm.read_bytes()


def fixture_audio() -> bytes:
    return FIXTURE.read_bytes()


if __name__ == "__main__":
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_bytes(webm_from_speech(FIXTURE_SPEECH))
    slices = media_recorder_slices(FIXTURE.read_bytes())
    sys.stdout.write(f"{FIXTURE}: {FIXTURE.stat().st_size} bytes, header + {len(slices) - 1} slices\n")
