"""The database half of live transcription, run in worker threads (finding the
consultation, appending a window's segments), and the provider call of a window.

A window is transcribed by ``ai.services.aaudio_transcribe`` (the same checks as the
REST endpoint: audio bytes checked, provider configured, one slot of the live daily
budget ``AI_LIVE_DAILY_QUOTA`` per provider call), the provider awaited on the event loop so a recording waiting on it
holds no thread, and its segments are appended by ``consultations.services.segment_append``
(the idempotent path of ``POST transcripts/{id}/segments``), their times offset by
where the window starts in the recording. Nothing here queries Segment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ai.quota import QUOTA_LIVE
from ai.services import aaudio_transcribe
from consultations.models import Consultation, ConsultationStatus, Speaker, Transcript
from consultations.selectors import consultation_get, transcript_next_seq
from consultations.services import segment_append
from scribe.core.exceptions import Conflict

logger = logging.getLogger("scribe.ai.live")

# Another writer took a seq this recording was about to use (a second tab, a REST
# client): read the next free one again, a few times at most.
_SEQ_CLASH_ATTEMPTS = 5


class ConsultationClosed(Exception):
    """The consultation ended (or its text was saved whole) during the recording."""


@dataclass
class Target:
    consultation_id: object
    transcript: Transcript
    next_seq: int


def recording_target(*, user: Any, consultation_id: object) -> Target:
    """Where a recording of ``user`` into ``consultation_id`` goes. ``NotFound`` for
    anything but the user's own consultation; ``ConsultationClosed`` when it has ended."""
    consultation: Consultation = consultation_get(user=user, pk=consultation_id)
    transcript = consultation.transcript
    if consultation.status != ConsultationStatus.ACTIVE or transcript.edited_text is not None:
        raise ConsultationClosed()
    return Target(consultation.pk, transcript, transcript_next_seq(transcript=transcript))


async def awindow_transcribe(*, user: Any, audio: bytes) -> dict[str, Any]:
    """``{text, segments: [{text, start_ms, end_ms}], model}`` of one window, the provider
    awaited (its quota steps run in a thread); raises the provider's errors as the REST API
    does (``ServiceUnavailable``, ``UpstreamError``...). Counts against the live quota."""
    return await aaudio_transcribe(user=user, audio=audio, quota=QUOTA_LIVE)


def window_store(*, target: Target, segments: list[dict[str, Any]], offset_ms: int) -> int:
    """Append the window's segments after the last one stored; returns how many were created.

    Times are moved by ``offset_ms`` (the window's start in the recording). Raises
    ``ConsultationClosed`` if the transcript stopped taking segments."""
    created = 0
    for segment in segments:
        start = segment["start_ms"]
        end = segment["end_ms"]
        start_ms = offset_ms + (start or 0)
        end_ms = max(start_ms, offset_ms + end) if end is not None else None
        for _attempt in range(_SEQ_CLASH_ATTEMPTS):
            try:
                _, was_created = segment_append(
                    transcript=target.transcript,
                    seq=target.next_seq,
                    text=segment["text"],
                    speaker=Speaker.UNKNOWN,
                    start_ms=start_ms,
                    end_ms=end_ms,
                )
            except Conflict as clash:
                if clash.code == "transcript_closed":
                    raise ConsultationClosed() from None
                target.next_seq = transcript_next_seq(transcript=target.transcript)
                continue
            target.next_seq += 1
            created += was_created
            break
        else:
            raise Conflict("The segment could not be stored.", code="segment_conflict")
    return created
