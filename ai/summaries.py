"""SOAP summaries of a transcript: prompt, parts, evidence, storage, streaming.

``summary_prepare`` does everything that can fail before the model is asked
(ownership, prompt, quota) and returns a ``SummaryJob``; ``summary_run``
answers the complete summary, ``summary_stream`` the same as server-sent
events; ``asummary_run`` and ``asummary_stream`` are their async twins (the
provider awaited, the database work in a thread). Either way a summary is stored (for a stored transcript) only after
the model's answer was complete and checked: a failure leaves the previous
version current and gives the quota slot back.

Long transcripts are cut into parts of at most ``AI_MAX_INPUT_TOKENS``
(estimated as characters / 4, a deliberately cautious rule of thumb for
English with the OpenAI tokenisers; no tokeniser download needed), each part
summarised, and the part summaries merged (in rounds, if even they exceed
the budget). The answer says how many parts were used.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from ai import client
from ai.evidence import SECTIONS, evidence_check, facts_flag, sections_render, text_render
from ai.models import AiUsage
from ai.prompts import EVIDENCE_RULES, MERGE_INSTRUCTIONS, PART_NOTE, SOAP_INSTRUCTIONS
from ai.quota import quota_claim, quota_release
from ai.redaction import Redactor
from consultations.models import Prompt, Segment, Transcript
from consultations.selectors import transcript_text
from consultations.services import transcript_summary_add
from scribe.core.asyncdb import database_sync_to_async
from scribe.core.exceptions import ApplicationError, InvalidInput, UpstreamError, error_body
from scribe.core.logging import bind_request_id, current_request_id, reset_request_id

logger = logging.getLogger("scribe.ai")

CHARS_PER_TOKEN = 4
# Below this many tokens per part the budget is a misconfiguration, not a choice.
MIN_PART_TOKENS = 500
SCHEMA_NAME = "soap_summary"
_STATEMENT = {
    "type": "object",
    "properties": {"text": {"type": "string"}, "evidence": {"type": "array", "items": {"type": "integer"}}},
    "required": ["text", "evidence"],
    "additionalProperties": False,
}
SOAP_SCHEMA = {
    "type": "object",
    "properties": {section: {"type": "array", "items": _STATEMENT} for section in SECTIONS},
    "required": list(SECTIONS),
    "additionalProperties": False,
}


def tokens_estimate(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass
class SummaryJob:
    user: Any
    lines: list[tuple[int, str, str]]  # (seq, "speaker: " or "", text), original text
    plain_text: str
    instructions: str
    prompt: Prompt | None
    prompt_text: str | None  # the clinician's one-off instructions (POST ai/summary)
    transcript: Transcript | None
    redactor: Redactor
    usage: AiUsage | None = None
    parts: int = 1
    model: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    # Stored with the summary version when set (ai.highlights; the end of a consultation).
    highlights: list[dict[str, Any]] | None = None


# --- sources ------------------------------------------------------------------------


def lines_from_text(text: str) -> list[tuple[int, str, str]]:
    """Free text as numbered lines (1, 2, ...): the numbers the evidence cites."""
    lines = (ln.strip() for ln in text.splitlines() if ln.strip())
    return [(n, "", line) for n, line in enumerate(lines, start=1)]


def lines_from_transcript(transcript: Transcript) -> tuple[list[tuple[int, str, str]], str]:
    """The transcript's segments as (seq, "speaker: ", text); text PUT wholesale is numbered by line."""
    text = transcript_text(transcript=transcript)
    if transcript.edited_text is not None:
        return lines_from_text(text), text
    rows = Segment.objects.filter(transcript=transcript).order_by("seq").values_list("seq", "speaker", "text")
    return [(seq, f"{speaker}: ", body) for seq, speaker, body in rows], text


# --- preparation ---------------------------------------------------------------------


def summary_prepare(
    *,
    user: Any,
    transcript: Transcript | None = None,
    text: str | None = None,
    prompt: Prompt | None = None,
    prompt_text: str | None = None,
) -> SummaryJob:
    """Everything before the model: raises ``InvalidInput`` for an empty transcript,
    ``ServiceUnavailable`` when the provider is not configured and ``RateLimited``
    when the user's daily quota is used up (then nothing was claimed)."""
    if transcript is not None:
        lines, plain = lines_from_transcript(transcript)
        patient_data = transcript.consultation.patient_data
    else:
        lines, plain, patient_data = lines_from_text(text or ""), text or "", None
    if not lines:
        field_name = "transcript_id" if transcript is not None else "transcript_text"
        raise InvalidInput(
            "There is nothing to summarise yet.",
            code="transcript_empty",
            errors={field_name: ["The transcript is empty."]},
        )
    instructions = prompt.text if prompt is not None else (prompt_text or SOAP_INSTRUCTIONS)
    job = SummaryJob(
        user=user,
        lines=lines,
        plain_text=plain,
        instructions=instructions,
        prompt=prompt,
        prompt_text=prompt_text if prompt is None else None,
        transcript=transcript,
        redactor=Redactor(patient_data=patient_data),
    )
    # The order of every model call (see ``ai.services``): provider configured, then quota.
    client.provider_check()
    job.usage = quota_claim(user=user, operation="summary")
    return job


def _system(job: SummaryJob, note: str = "") -> str:
    return "\n\n".join(p for p in (job.redactor.redact(job.instructions), EVIDENCE_RULES, note) if p)


def _parts(job: SummaryJob) -> list[list[str]]:
    """Redacted, numbered lines cut into parts that fit the input budget."""
    budget = max(
        MIN_PART_TOKENS,
        int(settings.AI_MAX_INPUT_TOKENS) - tokens_estimate(_system(job, PART_NOTE)) - 50,
    )
    max_chars = budget * CHARS_PER_TOKEN
    parts: list[list[str]] = [[]]
    size = 0
    for seq, speaker, line in job.lines:
        # Only what was said is redacted; the speaker label is Scribe's own word.
        numbered = f"[{seq}] {speaker}{job.redactor.redact(line)}"
        # A single line longer than a part is split; every piece keeps its number.
        pieces = [numbered[i : i + max_chars] for i in range(0, len(numbered), max_chars)]
        for index, piece in enumerate(pieces):
            piece = piece if index == 0 else f"[{seq}] {piece}"
            if size + len(piece) + 1 > max_chars and parts[-1]:
                parts.append([])
                size = 0
            parts[-1].append(piece)
            size += len(piece) + 1
    return parts


def _merge_messages(job: SummaryJob, summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    payload = json.dumps({"parts": summaries}, ensure_ascii=False)
    return [
        {"role": "system", "content": _system(job, MERGE_INSTRUCTIONS)},
        {"role": "user", "content": payload},
    ]


# One model call the summary needs before its last one: (task, messages); the answer's
# data is sent back into the plan.
Call = tuple[str, list[dict[str, Any]]]


def _final_plan(job: SummaryJob) -> Generator[Call, dict[str, Any], list[dict[str, Any]]]:
    """Summarise every part but the last step; return the messages of the last call.

    With one part that is the summary call itself; with several, the parts are
    summarised (each ``yield`` is a model call whose answer is sent back) and the
    returned messages merge them (in rounds while the merge input would exceed the
    budget). One plan, driven by ``_final_messages`` (sync) and ``_afinal_messages``."""
    parts = _parts(job)
    job.parts = len(parts)
    if len(parts) == 1:
        return [
            {"role": "system", "content": _system(job)},
            {"role": "user", "content": "Transcript:\n" + "\n".join(parts[0])},
        ]
    summaries: list[dict[str, Any]] = []
    for number, part in enumerate(parts, start=1):
        data = yield (
            "summary_part",
            [
                {"role": "system", "content": _system(job, PART_NOTE.format(part=number, parts=len(parts)))},
                {"role": "user", "content": "Transcript:\n" + "\n".join(part)},
            ],
        )
        summaries.append(data)
    budget_chars = max(MIN_PART_TOKENS, int(settings.AI_MAX_INPUT_TOKENS)) * CHARS_PER_TOKEN
    while True:
        if len(json.dumps(summaries)) <= budget_chars or len(summaries) <= 2:
            return _merge_messages(job, summaries)
        merged: list[dict[str, Any]] = []
        group: list[dict[str, Any]] = []
        for summary in summaries:
            if group and len(json.dumps([*group, summary])) > budget_chars:
                merged.append((yield ("summary_merge", _merge_messages(job, group))))
                group = []
            group.append(summary)
        if group:
            merged.append((yield ("summary_merge", _merge_messages(job, group))) if len(group) > 1 else group[0])
        if len(merged) >= len(summaries):  # no progress possible: merge what we have
            return _merge_messages(job, merged)
        summaries = merged


def _final_messages(job: SummaryJob) -> list[dict[str, Any]]:
    plan = _final_plan(job)
    try:
        task, messages = next(plan)
        while True:
            data = client.chat_json(task=task, messages=messages, schema_name=SCHEMA_NAME, schema=SOAP_SCHEMA).data
            task, messages = plan.send(data)
    except StopIteration as done:
        return done.value


async def _afinal_messages(job: SummaryJob) -> list[dict[str, Any]]:
    plan = _final_plan(job)
    try:
        task, messages = next(plan)
        while True:
            result = await client.achat_json(task=task, messages=messages, schema_name=SCHEMA_NAME, schema=SOAP_SCHEMA)
            task, messages = plan.send(result.data)
    except StopIteration as done:
        return done.value


# --- result -----------------------------------------------------------------------------


def _prompt_source(job: SummaryJob) -> str:
    if job.prompt is not None:
        return "prompt"
    return "prompt_text" if job.prompt_text is not None else "builtin"


def _finish(job: SummaryJob, data: dict[str, Any], model: str) -> dict[str, Any]:
    """Check, store (for a stored transcript) and shape the answer."""
    restored = job.redactor.restore_data(data)
    valid_seqs = {seq for seq, _, _ in job.lines}
    try:
        sections, unsupported = evidence_check(restored, valid_seqs)
    except ValueError as error:
        raise UpstreamError("The AI service returned an answer Scribe could not use.", code="ai_bad_output") from error
    flags = facts_flag(sections, job.plain_text)
    summary = sections_render(sections)
    text = text_render(sections)
    generated_at = timezone.now()
    answer: dict[str, Any] = {
        "summary": summary,
        "text": text,
        "model": model,
        "prompt_used": ({"id": str(job.prompt.pk), "prompt_name": job.prompt.name} if job.prompt is not None else None),
        "prompt_source": _prompt_source(job),
        "statements": sections,
        "unsupported_count": unsupported,
        "flags": flags,
        "parts": job.parts,
        "redacted_identifiers": job.redactor.count,
        "summary_id": None,
        "version": None,
        "created_at": generated_at.isoformat(),
    }
    if job.transcript is not None:
        content = {
            **summary,
            "statements": sections,
            "flags": flags,
            "unsupported_count": unsupported,
            "parts": job.parts,
        }
        if job.prompt_text is not None:
            # A one-off prompt has no row to point at: the version keeps its words.
            content["prompt_text"] = job.prompt_text
        stored = transcript_summary_add(
            transcript=job.transcript,
            content=content,
            text=text,
            model=model,
            prompt=job.prompt,
            highlights=job.highlights,
        )
        answer.update(summary_id=str(stored.pk), version=stored.version, created_at=stored.created_at.isoformat())
    logger.info(
        "summary_generated",
        extra={
            "transcript_id": str(job.transcript.pk) if job.transcript is not None else None,
            "parts": job.parts,
            "statements": sum(len(v) for v in sections.values()),
            "unsupported": unsupported,
            "flags": len(flags),
        },
    )
    return answer


def summary_run(job: SummaryJob) -> dict[str, Any]:
    """The complete summary. Raises the client's upstream errors (quota slot given back)."""
    try:
        messages = _final_messages(job)
        result = client.chat_json(
            task="summary" if job.parts == 1 else "summary_merge",
            messages=messages,
            schema_name=SCHEMA_NAME,
            schema=SOAP_SCHEMA,
        )
        return _finish(job, result.data, result.model)
    except Exception:
        quota_release(job.usage)
        raise


async def asummary_run(job: SummaryJob) -> dict[str, Any]:
    """``summary_run``, awaited (the slot is also given back when the request is cancelled)."""
    try:
        messages = await _afinal_messages(job)
        result = await client.achat_json(
            task="summary" if job.parts == 1 else "summary_merge",
            messages=messages,
            schema_name=SCHEMA_NAME,
            schema=SOAP_SCHEMA,
        )
        return await database_sync_to_async(_finish)(job, result.data, result.model)
    except BaseException:
        await database_sync_to_async(quota_release)(job.usage)
        raise


def _sse(event: str, payload: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _safe_prefix(text: str) -> str:
    """Text up to an unfinished placeholder ("[PATIENT_NA"), which must not be sent half-restored."""
    opening = text.rfind("[")
    if opening != -1 and "]" not in text[opening:]:
        return text[:opening]
    return text


def summary_stream(job: SummaryJob) -> Iterator[str]:
    """Open the streamed summary. Anything failing before the first byte raises (and is
    answered as a JSON error); afterwards failures arrive as an ``error`` event.

    Events: ``text`` ``{"text": "..."}`` pieces of the note as they arrive, then one
    ``summary`` event holding exactly what the non-streamed call answers (stored).
    """
    try:
        messages = _final_messages(job)
        stream = client.JsonStream(
            task="summary" if job.parts == 1 else "summary_merge",
            messages=messages,
            schema_name=SCHEMA_NAME,
            schema=SOAP_SCHEMA,
        )
    except Exception:
        quota_release(job.usage)
        raise
    request_id = current_request_id()

    def events() -> Iterator[str]:
        token = bind_request_id(request_id)
        sent = ""
        try:
            for partial in stream:
                rendered = _safe_prefix(job.redactor.restore(text_render(partial)))
                if rendered.startswith(sent) and len(rendered) > len(sent):
                    yield _sse("text", {"text": rendered[len(sent) :]})
                    sent = rendered
            assert stream.result is not None
            yield _sse("summary", _finish(job, stream.result.data, stream.result.model))
        except ApplicationError as error:
            quota_release(job.usage)
            yield _sse("error", error_body(error.detail, error.code, status=error.status_code))
        except Exception:
            quota_release(job.usage)
            logger.exception("summary_stream_failed")
            yield _sse("error", error_body("The summary could not be completed.", "server_error", status=500))
        finally:
            reset_request_id(token)

    return events()


async def asummary_stream(job: SummaryJob) -> AsyncIterator[str]:
    """``summary_stream``, awaited: an async iterator of the same events, so an ASGI
    server sends each one as it comes (a sync iterator would be read whole first)."""
    try:
        messages = await _afinal_messages(job)
        stream = await client.AsyncJsonStream.open(
            task="summary" if job.parts == 1 else "summary_merge",
            messages=messages,
            schema_name=SCHEMA_NAME,
            schema=SOAP_SCHEMA,
        )
    except BaseException:
        await database_sync_to_async(quota_release)(job.usage)
        raise
    request_id = current_request_id()

    async def events() -> AsyncIterator[str]:
        token = bind_request_id(request_id)
        sent = ""
        finished = False
        try:
            async for partial in stream:
                rendered = _safe_prefix(job.redactor.restore(text_render(partial)))
                if rendered.startswith(sent) and len(rendered) > len(sent):
                    yield _sse("text", {"text": rendered[len(sent) :]})
                    sent = rendered
            assert stream.result is not None
            answer = await database_sync_to_async(_finish)(job, stream.result.data, stream.result.model)
            finished = True
            yield _sse("summary", answer)
        except ApplicationError as error:
            await database_sync_to_async(quota_release)(job.usage)
            yield _sse("error", error_body(error.detail, error.code, status=error.status_code))
        except Exception:
            await database_sync_to_async(quota_release)(job.usage)
            logger.exception("summary_stream_failed")
            yield _sse("error", error_body("The summary could not be completed.", "server_error", status=500))
        except BaseException:
            # The client went away mid-stream: nothing stored, nothing delivered.
            if not finished:
                await database_sync_to_async(quota_release)(job.usage)
                await stream.close()
            raise
        finally:
            reset_request_id(token)

    return events()
