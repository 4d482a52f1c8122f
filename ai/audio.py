"""Audio uploads for transcription: size and type checks on the bytes themselves."""

from __future__ import annotations

from django.conf import settings

from scribe.core.exceptions import InvalidInput

# What the transcription API accepts, recognised from the file's first bytes.
AUDIO_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "webm": "audio/webm",
    "m4a": "audio/mp4",
}


def audio_type(data: bytes) -> str | None:
    """The file extension the audio's magic bytes say it is, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if data[4:8] == b"ftyp":
        return "m4a"
    return None


def audio_check(data: bytes) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) for an acceptable recording; raises ``InvalidInput``."""
    if not data:
        raise InvalidInput("The audio file is empty.", errors={"audio": ["The audio file is empty."]})
    if len(data) > settings.AI_AUDIO_MAX_BYTES:
        message = f"The audio file may be at most {settings.AI_AUDIO_MAX_BYTES} bytes."
        raise InvalidInput(message, errors={"audio": [message]})
    kind = audio_type(data)
    if kind is None:
        message = "Only WAV, MP3, OGG, FLAC, WebM and M4A audio is accepted."
        raise InvalidInput(message, code="unsupported_audio", errors={"audio": [message]})
    # The provider infers the format from the name: name it after what the bytes are.
    return f"audio.{kind}", AUDIO_TYPES[kind], data
