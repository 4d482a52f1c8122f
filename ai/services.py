"""AI operations other than summaries: medical search, image analysis,
transcription and SNOMED CT search. Each model call starts with the same cheap
checks, in the same order (``_model_call``): the provider is configured (503),
then a daily-quota slot is claimed (429; given back when the call fails); only
then does anything leave Scribe (an image URL fetched, the provider called).
Search and image prompts are redacted before they leave and restored in the
answer. SNOMED CT search is no model call: no quota. Summaries live in
``ai.summaries`` (same order, in ``summary_prepare``).

Each model-calling service has an async twin (``asearch_answer``,
``aimage_analyse``, ``aaudio_transcribe``) for the async views: the same checks
and answer, the database work in a thread (``database_sync_to_async``) and the provider
awaited on the event loop, so a slow provider holds no thread.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from ai import client, terminology
from ai.audio import audio_check
from ai.images import data_url, image_fetch
from ai.prompts import IMAGE_INSTRUCTIONS, SEARCH_INSTRUCTIONS
from ai.quota import QUOTA_AI, aquota_use, quota_use
from ai.redaction import Redactor
from consultations.models import ConsultationStatus, Segment, Transcript
from consultations.services import SEGMENT_MAX_SEQ, segment_append
from scribe.core.asyncdb import database_sync_to_async
from scribe.core.exceptions import Conflict, InvalidInput

logger = logging.getLogger("scribe.ai")


@contextmanager
def _model_call(*, user: Any, operation: str, quota: str = QUOTA_AI) -> Iterator[None]:
    """Provider configured, then a quota slot (given back if the block fails): the checks
    that cost nothing outside Scribe, made before the block does anything that does."""
    client.provider_check()
    with quota_use(user=user, operation=operation, quota=quota):
        yield


@asynccontextmanager
async def _amodel_call(*, user: Any, operation: str, quota: str = QUOTA_AI) -> AsyncIterator[None]:
    """``_model_call`` for the async twins (the slot is also given back on cancellation)."""
    client.provider_check()
    async with aquota_use(user=user, operation=operation, quota=quota):
        yield


def _search_messages(redactor: Redactor, query: str) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": SEARCH_INSTRUCTIONS},
        {"role": "user", "content": redactor.redact(query)},
    ]


def search_answer(*, user: Any, query: str) -> dict[str, str]:
    """General medical information for ``query``: ``{answer, model}``."""
    redactor = Redactor()
    with _model_call(user=user, operation="search"):
        result = client.chat_text(task="search", messages=_search_messages(redactor, query))
    return {"answer": redactor.restore(result.text), "model": result.model}


async def asearch_answer(*, user: Any, query: str) -> dict[str, str]:
    """``search_answer``, awaited."""
    redactor = Redactor()
    async with _amodel_call(user=user, operation="search"):
        result = await client.achat_text(task="search", messages=_search_messages(redactor, query))
    return {"answer": redactor.restore(result.text), "model": result.model}


def _image_messages(redactor: Redactor, prompt: str, checked: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = [{"type": "text", "text": redactor.redact(prompt)}]
    content += [{"type": "image_url", "image_url": {"url": data_url(mime, data)}} for mime, data in checked]
    return [{"role": "system", "content": IMAGE_INSTRUCTIONS}, {"role": "user", "content": content}]


def image_analyse(*, user: Any, prompt: str, images: list[tuple[str, bytes] | str]) -> dict[str, str]:
    """Describe images for ``prompt``: ``{answer, model}``. Each image is checked
    (``(mime, bytes)``) or an https URL, fetched only once the cheap checks passed
    (see ``ai.images.image_or_url``)."""
    redactor = Redactor()
    with _model_call(user=user, operation="images"):
        checked = [image_fetch(image) for image in images]
        result = client.chat_text(task="images", messages=_image_messages(redactor, prompt, checked))
    return {"answer": redactor.restore(result.text), "model": result.model}


async def aimage_analyse(*, user: Any, prompt: str, images: list[tuple[str, bytes] | str]) -> dict[str, str]:
    """``image_analyse``, awaited (image URLs are fetched in a thread)."""
    redactor = Redactor()
    async with _amodel_call(user=user, operation="images"):
        checked = await database_sync_to_async(lambda: [image_fetch(image) for image in images])()
        result = await client.achat_text(task="images", messages=_image_messages(redactor, prompt, checked))
    return {"answer": redactor.restore(result.text), "model": result.model}


def _next_seq(transcript: Transcript) -> int:
    last = Segment.objects.filter(transcript=transcript).order_by("-seq").values_list("seq", flat=True).first()
    return 0 if last is None else last + 1


def _clash_check(transcript: Transcript, segments: list[dict[str, Any]]) -> None:
    """Refuse before writing when the segments cannot all be stored (a ``seq`` past the
    limit: 400; a ``seq`` already holding other text: 409), so a clash found on the third
    segment does not leave the first two behind. A writer racing in between is still
    caught by ``segment_append``, segment by segment."""
    if segments and segments[-1]["seq"] > SEGMENT_MAX_SEQ:
        message = f"The segments would pass seq {SEGMENT_MAX_SEQ}."
        raise InvalidInput(message, errors={"start_seq": [message]})
    stored = dict(
        Segment.objects.filter(transcript=transcript, seq__in=[s["seq"] for s in segments]).values_list("seq", "text")
    )
    for segment in segments:
        if stored.get(segment["seq"], segment["text"]) != segment["text"]:
            raise Conflict(f"Segment {segment['seq']} already exists with different text.", code="segment_conflict")


def audio_transcribe(
    *,
    user: Any,
    audio: bytes,
    transcript: Transcript | None = None,
    start_seq: int | None = None,
    quota: str = QUOTA_AI,
) -> dict[str, Any]:
    """Transcribe a recording: ``{text, segments, model}``.

    With a transcript, the segments are appended through ``segment_append`` as
    ``seq`` ``start_seq``, ``start_seq + 1``, ... (default: after the last stored
    segment). Sending the same recording again with the same ``start_seq`` is
    then idempotent, as long as the provider transcribes it the same way; a ``seq``
    already holding other text is refused (409) before anything is written.
    A transcript that takes no segments is refused (409) before the provider is called.
    ``quota``: the daily budget the call counts against (``QUOTA_LIVE`` for live windows).
    """
    filename, content_type, data, start_seq = _transcription_prepare(audio, transcript, start_seq)
    with _model_call(user=user, operation="transcribe", quota=quota):
        result = client.transcribe(audio=data, filename=filename, content_type=content_type)
    return _transcription_store(result, transcript, start_seq)


async def aaudio_transcribe(
    *,
    user: Any,
    audio: bytes,
    transcript: Transcript | None = None,
    start_seq: int | None = None,
    quota: str = QUOTA_AI,
) -> dict[str, Any]:
    """``audio_transcribe``, awaited."""
    filename, content_type, data, start_seq = await database_sync_to_async(_transcription_prepare)(
        audio, transcript, start_seq
    )
    async with _amodel_call(user=user, operation="transcribe", quota=quota):
        result = await client.atranscribe(audio=data, filename=filename, content_type=content_type)
    return await database_sync_to_async(_transcription_store)(result, transcript, start_seq)


def _transcription_prepare(
    audio: bytes, transcript: Transcript | None, start_seq: int | None
) -> tuple[str, str, bytes, int | None]:
    filename, content_type, data = audio_check(audio)
    if transcript is not None:
        if transcript.consultation.status != ConsultationStatus.ACTIVE or transcript.edited_text is not None:
            raise Conflict("This transcript takes no more segments.", code="transcript_closed")
        if start_seq is None:
            start_seq = _next_seq(transcript)
    return filename, content_type, data, start_seq


def _transcription_store(
    result: dict[str, Any], transcript: Transcript | None, start_seq: int | None
) -> dict[str, Any]:
    segments = []
    for piece in result["segments"]:
        text = piece["text"].strip()
        if text:
            segments.append(
                {
                    "text": text,
                    "start_ms": max(0, round(piece["start"] * 1000)),
                    "end_ms": max(0, round(piece["end"] * 1000)),
                }
            )
    if not segments and result["text"].strip():
        segments.append({"text": result["text"].strip(), "start_ms": None, "end_ms": None})
    answer: dict[str, Any] = {"text": result["text"].strip(), "segments": segments, "model": result["model"]}
    if transcript is not None:
        for offset, segment in enumerate(segments):
            segment["seq"] = start_seq + offset
        _clash_check(transcript, segments)
        created = 0
        for segment in segments:
            end_ms = segment["end_ms"]
            if end_ms is not None and segment["start_ms"] is not None and end_ms < segment["start_ms"]:
                end_ms = segment["start_ms"]
            _, was_created = segment_append(
                transcript=transcript,
                seq=segment["seq"],
                text=segment["text"],
                start_ms=segment["start_ms"],
                end_ms=end_ms,
            )
            created += was_created
        answer.update(transcript_id=str(transcript.pk), appended=created)
        logger.info(
            "transcription_appended",
            extra={"transcript_id": str(transcript.pk), "segments": len(segments), "segments_created": created},
        )
    return answer


def clinical_codes_search(*, term: str) -> list[dict[str, str]]:
    """SNOMED CT concepts matching ``term`` from the NHS terminology server."""
    return terminology.concepts_search(term)
