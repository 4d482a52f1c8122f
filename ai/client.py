"""The AI provider client: the only module that imports ``openai``.

Everything else calls the small typed functions here (``chat_json``,
``chat_text``, ``JsonStream``, ``transcribe``) or their async twins
(``achat_json``, ``achat_text``, ``AsyncJsonStream``, ``atranscribe``: the same
configuration, budget, error mapping and log line, awaiting the provider on the
event loop instead of holding a thread; see ``ai.views``). They guarantee:

- the provider is configured (key and base URL), else ``ServiceUnavailable``
  naming the missing setting;
- every call is bounded (``AI_TIMEOUT_SECONDS`` for connect, read, write and
  pool; never the SDK's 10-minute default) and retried at most
  ``AI_MAX_RETRIES`` times by the SDK;
- all calls made for one HTTP request share ``AI_REQUEST_BUDGET_SECONDS``: each
  attempt gets at most its share of what is left, and a spent budget answers
  504 before calling the provider, so a slow provider (retries, multi-part
  summaries) ends in Scribe's 504, never in the server killing the worker;
- provider failures become Scribe's errors: timeout -> ``UpstreamTimeout`` (504),
  rate limit / overload -> ``ServiceUnavailable`` (503, ``Retry-After``),
  anything else, including output that is not what was asked for ->
  ``UpstreamError`` (502);
- every call writes one log line with task, model, latency and token counts,
  never the prompt or the answer.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jiter
from django.conf import settings

from ai import demo_provider
from scribe.core import metrics
from scribe.core.exceptions import ServiceUnavailable, UpstreamError, UpstreamTimeout

if TYPE_CHECKING:
    import openai


def _sdk() -> Any:
    """The openai SDK, imported by the first call that needs it: a process that never calls
    the provider (the REST workers, the commands) does not carry it (about 22 MB; README
    "Memory"). Python's import lock makes the first import safe from any thread."""
    import openai

    return openai


def provider_sdk_preload() -> None:
    """Loads the SDK now: the ASGI (AI) process calls it at start-up, so the import (about
    0.3 s) is paid once in gunicorn's preloaded master and shared by its workers, never on
    the event loop of a worker's first AI request."""
    _sdk()


logger = logging.getLogger("scribe.ai")

# Seconds suggested to the client when the provider is rate limited or overloaded
# and did not say how long to wait.
DEFAULT_RETRY_AFTER = 30


@dataclass
class ChatResult:
    model: str
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)


# --- configuration ------------------------------------------------------------------


def provider_check() -> None:
    """Raise 503 naming the first missing provider setting."""
    if settings.AI_PROVIDER == "demo":  # answered in-process (ai.demo_provider)
        return
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        if not getattr(settings, name, ""):
            raise ServiceUnavailable(f"The AI service is not configured: set {name}.", code="ai_not_configured")


def _provider() -> tuple[str, str]:
    """(api key, base URL) of the configured provider; the demo's own with AI_PROVIDER=demo."""
    if settings.AI_PROVIDER == "demo":
        return demo_provider.DEMO_API_KEY, demo_provider.DEMO_BASE_URL
    return settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL


def _construct(client_class: type[Any], api_key: str, base_url: str, max_retries: int) -> Any:
    """The one place a provider client is built, sync (``openai.OpenAI``) or async
    (``openai.AsyncOpenAI``): options shared by both belong here."""
    if base_url == demo_provider.DEMO_BASE_URL:  # the real SDK, the demo's in-process transport
        http_client = (
            demo_provider.demo_async_http_client()
            if client_class is _sdk().AsyncOpenAI
            else demo_provider.demo_http_client()
        )
        return client_class(api_key=api_key, base_url=base_url, http_client=http_client)
    return client_class(api_key=api_key, base_url=base_url, max_retries=max_retries)


@functools.lru_cache(maxsize=4)
def _client_for(api_key: str, base_url: str, max_retries: int) -> openai.OpenAI:
    # One client (one connection pool) per configuration; each call sets its own timeout
    # (connect capped lower than read, so an unreachable provider fails fast).
    return _construct(_sdk().OpenAI, api_key, base_url, max_retries)


# An async client's connection pool belongs to the event loop that opened it: one client
# per loop and configuration (one per ASGI worker in production; the test client runs each
# request in a loop of its own).
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, openai.AsyncOpenAI]] = (
    weakref.WeakKeyDictionary()
)


def _async_client_for(api_key: str, base_url: str, max_retries: int) -> openai.AsyncOpenAI:
    clients = _async_clients.setdefault(asyncio.get_running_loop(), {})
    key = (api_key, base_url, max_retries)
    if key not in clients:
        clients[key] = _construct(_sdk().AsyncOpenAI, api_key, base_url, max_retries)
    return clients[key]


# The monotonic deadline of the request whose AI calls are being made, set by
# ``request_budget()`` around each AI view. Not keyed by the request id: that is the
# client's to choose (a retry may resend it), and a worker thread keeps its context
# from one request to the next.
_deadline: ContextVar[float | None] = ContextVar("scribe_ai_deadline", default=None)

# Below this many seconds left an attempt could not finish: answer 504 at once.
_MIN_ATTEMPT_SECONDS = 0.05


@contextmanager
def request_budget() -> Iterator[None]:
    """Every provider call inside the block shares one ``AI_REQUEST_BUDGET_SECONDS``."""
    token = _deadline.set(time.monotonic() + float(settings.AI_REQUEST_BUDGET_SECONDS))
    try:
        yield
    finally:
        _deadline.reset(token)


def _attempt_timeout() -> float:
    """Seconds one provider attempt may take, within what is left of the request's budget
    (outside ``request_budget()``, e.g. in a shell, each call has a budget of its own)."""
    deadline = _deadline.get()
    if deadline is None:
        deadline = time.monotonic() + float(settings.AI_REQUEST_BUDGET_SECONDS)
    remaining = deadline - time.monotonic()
    attempts = int(settings.AI_MAX_RETRIES) + 1
    per_attempt = min(float(settings.AI_TIMEOUT_SECONDS), remaining / attempts)
    if per_attempt < _MIN_ATTEMPT_SECONDS:
        raise UpstreamTimeout("The AI service did not answer in time. Please try again.", code="ai_timeout")
    return per_attempt


def _timeout() -> openai.Timeout:
    timeout_seconds = _attempt_timeout()
    return _sdk().Timeout(timeout_seconds, connect=min(timeout_seconds, 10.0))


def _client() -> openai.OpenAI:
    provider_check()
    timeout = _timeout()
    client = _client_for(*_provider(), int(settings.AI_MAX_RETRIES))
    return client.with_options(timeout=timeout)


def _async_client() -> openai.AsyncOpenAI:
    """Like ``_client()``, inside a running event loop."""
    provider_check()
    timeout = _timeout()
    client = _async_client_for(*_provider(), int(settings.AI_MAX_RETRIES))
    return client.with_options(timeout=timeout)


# --- error mapping and logging -------------------------------------------------------


def _retry_after(error: openai.APIStatusError) -> str:
    value = error.response.headers.get("retry-after", "")
    if value.strip().isdigit():
        return value.strip()
    return str(DEFAULT_RETRY_AFTER)


def _translate(error: Exception) -> Exception:
    if isinstance(error, _sdk().APITimeoutError):
        return UpstreamTimeout("The AI service did not answer in time. Please try again.", code="ai_timeout")
    if isinstance(error, _sdk().APIStatusError):
        if error.status_code in (429, 503, 529):
            return ServiceUnavailable(
                "The AI service is busy. Please try again shortly.",
                code="ai_unavailable",
                headers={"Retry-After": _retry_after(error)},
            )
        return UpstreamError("The AI service returned an error.", code="ai_error")
    if isinstance(error, _sdk().APIConnectionError):
        return ServiceUnavailable(
            "The AI service could not be reached. Please try again shortly.",
            code="ai_unreachable",
            headers={"Retry-After": str(DEFAULT_RETRY_AFTER)},
        )
    return UpstreamError("The AI service returned an answer Scribe could not use.", code="ai_bad_output")


def _log(task: str, model: str, started: float, usage: dict[str, int], outcome: str) -> None:
    """The one record of every provider call (sync, async, streamed): a log line and the
    Prometheus AI metrics (README "Metrics")."""
    seconds = time.perf_counter() - started
    metrics.ai_call_observe(task=task, model=model, outcome=outcome, seconds=seconds, usage=usage)
    logger.info(
        "ai_call",
        extra={
            "task": task,
            "model": model,
            "latency_ms": round(seconds * 1000, 1),
            "prompt_tokens": usage.get("prompt_tokens"),
            "completion_tokens": usage.get("completion_tokens"),
            "total_tokens": usage.get("total_tokens"),
            "outcome": outcome,
        },
    )


@contextmanager
def _failures_logged(task: str, model: str, started: float) -> Iterator[None]:
    """A failed provider call is logged (no usage) and raised as Scribe's error; shared
    by the sync and async calls, which differ only in awaiting the SDK."""
    try:
        yield
    except Exception as error:
        _log(task, model, started, {}, type(error).__name__)
        raise _translate(error) from error


def _usage_of(response: Any) -> dict[str, int]:
    usage = getattr(response, "usage", None)
    if usage is None:
        return {}
    return {key: int(getattr(usage, key, 0) or 0) for key in ("prompt_tokens", "completion_tokens", "total_tokens")}


def _schema_format(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


# --- chat ------------------------------------------------------------------------------


def _chat_answer(response: Any) -> str:
    choice = response.choices[0]
    content = choice.message.content
    if not isinstance(content, str) or choice.finish_reason not in ("stop", None):
        raise ValueError("incomplete or refused answer")
    return content


def _chat(task: str, messages: list[dict[str, Any]], **kwargs: Any) -> tuple[str, str, dict[str, int]]:
    client = _client()
    model = settings.AI_CHAT_MODEL
    started = time.perf_counter()
    with _failures_logged(task, model, started):
        response = client.chat.completions.create(model=model, messages=messages, **kwargs)
        content = _chat_answer(response)
    usage = _usage_of(response)
    _log(task, response.model or model, started, usage, "ok")
    return content, response.model or model, usage


async def _achat(task: str, messages: list[dict[str, Any]], **kwargs: Any) -> tuple[str, str, dict[str, int]]:
    client = _async_client()
    model = settings.AI_CHAT_MODEL
    started = time.perf_counter()
    with _failures_logged(task, model, started):
        response = await client.chat.completions.create(model=model, messages=messages, **kwargs)
        content = _chat_answer(response)
    usage = _usage_of(response)
    _log(task, response.model or model, started, usage, "ok")
    return content, response.model or model, usage


def _text_result(content: str, model: str, usage: dict[str, int]) -> ChatResult:
    if not content.strip():
        raise UpstreamError("The AI service returned an empty answer.", code="ai_bad_output")
    return ChatResult(model=model, text=content, usage=usage)


def _json_result(content: str, model: str, usage: dict[str, int]) -> ChatResult:
    try:
        data = json.loads(content)
    except ValueError as error:
        raise UpstreamError("The AI service returned an answer Scribe could not use.", code="ai_bad_output") from error
    if not isinstance(data, dict):
        raise UpstreamError("The AI service returned an answer Scribe could not use.", code="ai_bad_output")
    return ChatResult(model=model, data=data, usage=usage)


def chat_text(*, task: str, messages: list[dict[str, Any]]) -> ChatResult:
    """A plain-text answer (search, image analysis)."""
    return _text_result(*_chat(task, messages))


async def achat_text(*, task: str, messages: list[dict[str, Any]]) -> ChatResult:
    """``chat_text``, awaited."""
    return _text_result(*await _achat(task, messages))


def chat_json(*, task: str, messages: list[dict[str, Any]], schema_name: str, schema: dict[str, Any]) -> ChatResult:
    """A structured answer validated as a JSON object (the schema is enforced by the provider)."""
    return _json_result(*_chat(task, messages, response_format=_schema_format(schema_name, schema)))


async def achat_json(
    *, task: str, messages: list[dict[str, Any]], schema_name: str, schema: dict[str, Any]
) -> ChatResult:
    """``chat_json``, awaited."""
    return _json_result(*await _achat(task, messages, response_format=_schema_format(schema_name, schema)))


def _stream_request(messages: list[dict[str, Any]], schema_name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": settings.AI_CHAT_MODEL,
        "messages": messages,
        "response_format": _schema_format(schema_name, schema),
        "stream": True,
        "stream_options": {"include_usage": True},
    }


class _StreamReader:
    """What the sync and async streams share: the answer so far, its partial objects,
    and the checks once the stream ended."""

    def __init__(self, model: str) -> None:
        self.content = ""
        self.usage: dict[str, int] = {}
        self.model = model
        self.finish: str | None = None

    def feed(self, chunk: Any) -> dict[str, Any] | None:
        """Take one chunk; returns the partial object when the answer grew into one."""
        self.model = chunk.model or self.model
        if chunk.usage is not None:
            self.usage = _usage_of(chunk)
        if not chunk.choices:
            return None
        choice = chunk.choices[0]
        self.finish = choice.finish_reason or self.finish
        piece = choice.delta.content if choice.delta else None
        if not piece:
            return None
        self.content += piece
        if not self.content.strip():
            return None
        try:
            partial = jiter.from_json(self.content.encode(), partial_mode="trailing-strings")
        except ValueError:
            return None
        return partial if isinstance(partial, dict) else None

    def result(self) -> ChatResult:
        if self.finish not in ("stop", None):
            raise ValueError("incomplete answer")
        data = json.loads(self.content)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return ChatResult(model=self.model, data=data, usage=self.usage)


class JsonStream:
    """A structured answer arriving in pieces.

    Opening it sends the request and reads the response status, so a refused or
    failed request raises (and becomes a JSON error) before anything is streamed.
    Iterating yields partial objects (strings cut mid-way are included);
    ``result`` holds the complete, parsed answer once iteration finished.
    """

    def __init__(self, *, task: str, messages: list[dict[str, Any]], schema_name: str, schema: dict[str, Any]):
        self.task = task
        self.model = settings.AI_CHAT_MODEL
        self.result: ChatResult | None = None
        self._started = time.perf_counter()
        client = _client()
        with _failures_logged(task, self.model, self._started):
            self._stream = client.chat.completions.create(**_stream_request(messages, schema_name, schema))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        reader = _StreamReader(self.model)
        try:
            for chunk in self._stream:
                partial = reader.feed(chunk)
                if partial is not None:
                    yield partial
            result = reader.result()
        except Exception as error:
            _log(self.task, reader.model, self._started, reader.usage, type(error).__name__)
            raise _translate(error) from error
        finally:
            self._stream.close()
        _log(self.task, result.model, self._started, result.usage, "ok")
        self.result = result


class AsyncJsonStream:
    """``JsonStream``, awaited: ``stream = await AsyncJsonStream.open(...)`` sends the
    request (raising before anything is streamed), ``async for partial in stream`` reads it."""

    def __init__(self, *, task: str, stream: Any, started: float) -> None:
        self.task = task
        self.model = settings.AI_CHAT_MODEL
        self.result: ChatResult | None = None
        self._stream = stream
        self._started = started

    @classmethod
    async def open(
        cls, *, task: str, messages: list[dict[str, Any]], schema_name: str, schema: dict[str, Any]
    ) -> AsyncJsonStream:
        started = time.perf_counter()
        client = _async_client()
        with _failures_logged(task, settings.AI_CHAT_MODEL, started):
            stream = await client.chat.completions.create(**_stream_request(messages, schema_name, schema))
        return cls(task=task, stream=stream, started=started)

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        reader = _StreamReader(self.model)
        try:
            async for chunk in self._stream:
                partial = reader.feed(chunk)
                if partial is not None:
                    yield partial
            result = reader.result()
        except Exception as error:
            _log(self.task, reader.model, self._started, reader.usage, type(error).__name__)
            raise _translate(error) from error
        finally:
            await self._stream.close()
        _log(self.task, result.model, self._started, result.usage, "ok")
        self.result = result

    async def close(self) -> None:
        """Give the connection back when the stream is abandoned before its end."""
        await self._stream.close()


# --- audio --------------------------------------------------------------------------------


def _transcription(response: Any) -> tuple[str, list[dict[str, Any]]]:
    text = response.text
    if not isinstance(text, str):
        raise ValueError("no text")
    segments = [
        {"start": float(s.start), "end": float(s.end), "text": str(s.text)}
        for s in (getattr(response, "segments", None) or [])
    ]
    return text, segments


def transcribe(*, audio: bytes, filename: str, content_type: str) -> dict[str, Any]:
    """Transcribe an audio file; returns ``{"text", "segments": [{start, end, text}], "model"}``."""
    client = _client()
    model = settings.AI_TRANSCRIBE_MODEL
    started = time.perf_counter()
    with _failures_logged("transcribe", model, started):
        response = client.audio.transcriptions.create(
            model=model, file=(filename, audio, content_type), response_format="verbose_json"
        )
        text, segments = _transcription(response)
    _log("transcribe", model, started, _usage_of(response), "ok")
    return {"text": text, "segments": segments, "model": model}


async def atranscribe(*, audio: bytes, filename: str, content_type: str) -> dict[str, Any]:
    """``transcribe``, awaited."""
    client = _async_client()
    model = settings.AI_TRANSCRIBE_MODEL
    started = time.perf_counter()
    with _failures_logged("transcribe", model, started):
        response = await client.audio.transcriptions.create(
            model=model, file=(filename, audio, content_type), response_format="verbose_json"
        )
        text, segments = _transcription(response)
    _log("transcribe", model, started, _usage_of(response), "ok")
    return {"text": text, "segments": segments, "model": model}
