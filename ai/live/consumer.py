"""The ``/transcription-stream`` consumer: the Node.js protocol, authenticated, stored.

Messages (``LEGACY_API.md``, "Live transcription"), with Node's sentences:

- on connect ``{type: "connection", connectionId, message}``;
- ``{type: "start_recording", consultationId, token?}`` -> ``recording_started``;
- ``{type: "audio_chunk", audioData}`` (base64 MediaRecorder slices; the first is the
  WebM header); every ``LIVE_WINDOW_SLICES`` slices close a window, transcribed in the
  background and answered ``{type: "transcript", text, timestamp, isPartial: true}``
  with everything recognised so far in this recording;
- ``{type: "stop_recording"}`` -> the last (short) window, the final pass, then
  ``{type: "transcript", ..., isPartial: false, isFinal: true}`` and ``recording_stopped``;
- ``{type: "error", message}`` for what went wrong; the socket stays open unless the
  problem is who is asking (then it is closed with a 44xx code).

Authentication: the access token as ``?token=`` or as ``token`` in ``start_recording``,
checked as the REST API checks a bearer token. Only a clinician, only their own active
consultation. Nothing reaches the AI provider before all of that passed.

Every recognised window is appended to the consultation's transcript at once (see
``ai.live.windows``): a dropped connection loses at most the window in flight, and on
disconnect the slices received since the last window are transcribed and stored too.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import access_token_check
from accounts.models import Role
from ai.live.recording import Recording, Window
from ai.live.sockets import SocketSlot, socket_claim, socket_refresh, socket_release
from ai.live.webm import first_cluster_ms
from ai.live.windows import ConsultationClosed, Target, awindow_transcribe, recording_target, window_store
from audit.services import Caller, audit_record
from scribe.core import metrics
from scribe.core.asyncdb import database_executor
from scribe.core.exceptions import ApplicationError, InvalidInput, NotFound, RateLimited, UpstreamError

logger = logging.getLogger("scribe.ai.live")

# Node's sentences where Node had one; Scribe's own for what Node never checked.
CONNECTED = "Connected to transcription stream"
RECORDING_STARTED = "Recording started - Speak now!"
RECORDING_STOPPED = "Recording stopped"
INVALID_FORMAT = "Invalid message format"
UNAVAILABLE = "Transcription temporarily unavailable"
FINAL_FAILED = "Final transcription failed"
AUTH_REQUIRED = "Authentication required"
CLINICIANS_ONLY = "Only clinicians can record a consultation"
CONSULTATION_NOT_FOUND = "Consultation not found"
CONSULTATION_ENDED = "This consultation has ended"
ALREADY_RECORDING = "A recording is already in progress"
CHUNK_TOO_LARGE = "Audio chunk too large"
RECORDING_LIMIT = "Recording limit reached"
TOO_MANY_SOCKETS = "Too many live transcription connections"
IDLE = "Connection closed after inactivity"

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_IDLE = 4408
CLOSE_TOO_MANY = 4429

_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=int(settings.LIVE_WORKER_THREADS), thread_name_prefix="live")
    return _executor


def _blocking(func, /, **kwargs: Any):
    """Run ``func(**kwargs)`` in the live workers' thread pool (Django's connections are
    closed around it as Channels does). Only database work: the provider is awaited."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=_pool())(**kwargs)


def _timestamp() -> str:
    # JavaScript's Date.toISOString(), as Node sent it.
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _undecodable(error: Exception) -> bool:
    """The provider could not use the window's audio (HTTP 400), or it is not audio at all."""
    if isinstance(error, InvalidInput):
        return True
    return isinstance(error, UpstreamError) and getattr(error.__cause__, "status_code", None) == 400


class LiveTranscriptionConsumer(AsyncWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        # The database steps of the awaited AI services (quota, ...) run in the live pool
        # too: a consumer has no per-request thread, and the pool bounds the connections.
        with database_executor(_pool()):
            await super().__call__(scope, receive, send)

    # --- connection -----------------------------------------------------------------

    async def connect(self) -> None:
        self.connection_id = f"conn-{uuid.uuid4().hex[:16]}"
        self.user: Any = None
        self.slot: SocketSlot | None = None
        self.closed = False
        self.recording: Recording | None = None
        self.target: Target | None = None
        self.queue: asyncio.Queue[Window | None] | None = None
        self.worker: asyncio.Task[None] | None = None
        self.texts: list[str] = []
        self.stored = 0
        self.error_sent = False
        self.end_ms = 0  # where the last stored segment of this recording ends
        self.stopping = False
        self.watchdog: asyncio.Task[None] | None = None
        self.last_activity = time.monotonic()
        await self.accept()
        metrics.live_socket_opened()
        self.counted_open = True
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("token") or [""])[0]
        if token and not await self._authenticate(token):
            return
        await self._send({"type": "connection", "connectionId": self.connection_id, "message": CONNECTED})
        self.watchdog = asyncio.create_task(self._watch())

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if getattr(self, "counted_open", False):
            self.counted_open = False
            metrics.live_socket_closed()
        watchdog = getattr(self, "watchdog", None)
        if watchdog is not None:
            if self.stopping:
                await watchdog  # it is storing the recording: let it finish
            else:
                watchdog.cancel()
        if getattr(self, "recording", None) is not None:
            # The tab closed mid-recording: store what arrived since the last window.
            await self._drain()
            self._log_stopped("disconnected")
            self._end_recording()
        await _blocking(socket_release, slot=getattr(self, "slot", None))

    async def _close(self, code: int) -> None:
        self.closed = True
        await self.close(code=code)

    async def _send(self, message: dict[str, Any]) -> None:
        if not self.closed:
            await self.send(text_data=json.dumps(message))

    async def _error(self, message: str) -> None:
        await self._send({"type": "error", "message": message, "timestamp": _timestamp()})

    async def _authenticate(self, raw: str) -> bool:
        """Accept the token's user, or answer an ``error`` and close. Ids only in logs."""
        try:
            user, _ = await _blocking(access_token_check, raw_token=raw)
        except AuthenticationFailed as failed:
            await self._error(str(failed.detail))
            await self._close(CLOSE_UNAUTHENTICATED)
            return False
        if self.user is not None and self.user.pk == user.pk:
            return True
        if user.role != Role.CLINICIAN:
            logger.warning("live_role_denied", extra={"connection_id": self.connection_id, "user_id": str(user.pk)})
            await self._error(CLINICIANS_ONLY)
            await self._close(CLOSE_FORBIDDEN)
            return False
        slot = await _blocking(socket_claim, user_id=user.pk)
        if slot is None:
            logger.warning(
                "live_too_many_sockets", extra={"connection_id": self.connection_id, "user_id": str(user.pk)}
            )
            await self._error(TOO_MANY_SOCKETS)
            await self._close(CLOSE_TOO_MANY)
            return False
        await _blocking(socket_release, slot=self.slot)  # a different user's token on the same socket
        self.user, self.slot = user, slot
        return True

    async def _watch(self) -> None:
        """Close a socket that has been silent for ``LIVE_IDLE_SECONDS`` (storing its recording)."""
        while not self.closed:
            idle = float(settings.LIVE_IDLE_SECONDS)
            await asyncio.sleep(min(idle / 4, 1.0))
            if self.stopping:
                continue
            if time.monotonic() - self.last_activity >= idle:
                logger.info("live_idle_close", extra={"connection_id": self.connection_id})
                if self.recording is not None:
                    await self._stop()
                await self._error(IDLE)
                await self._close(CLOSE_IDLE)
                return
            await _blocking(socket_refresh, slot=self.slot)

    # --- messages -------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.last_activity = time.monotonic()
        try:
            message = json.loads(text_data) if text_data is not None else None
        except ValueError:
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        handler = (
            {
                "start_recording": self._start,
                "audio_chunk": self._chunk,
                "stop_recording": self._stop_requested,
            }.get(kind)
            if isinstance(kind, str)
            else None
        )
        if handler is None:
            await self._error(INVALID_FORMAT)
            return
        await handler(message)

    async def _start(self, message: dict[str, Any]) -> None:
        if self.recording is not None:
            # Checked first: a token in this message must not change who the recording bills.
            await self._error(ALREADY_RECORDING)
            return
        token = message.get("token")
        if token is not None:
            if not isinstance(token, str) or not token:
                await self._error(INVALID_FORMAT)
                return
            if not await self._authenticate(token):
                return
        if self.user is None:
            await self._error(AUTH_REQUIRED)
            await self._close(CLOSE_UNAUTHENTICATED)
            return
        consultation_id = message.get("consultationId")
        if not isinstance(consultation_id, str | int) or isinstance(consultation_id, bool):
            await self._error(CONSULTATION_NOT_FOUND)
            return
        try:
            self.target = await _blocking(recording_target, user=self.user, consultation_id=consultation_id)
        except NotFound:
            await self._error(CONSULTATION_NOT_FOUND)
            return
        except ConsultationClosed:
            await self._error(CONSULTATION_ENDED)
            return
        self.recording = Recording(
            window_slices=int(settings.LIVE_WINDOW_SLICES), memory_bytes=int(settings.LIVE_MEMORY_BUFFER_BYTES)
        )
        self.texts, self.stored, self.error_sent, self.end_ms = [], 0, False, 0
        self.queue = asyncio.Queue()
        self.worker = asyncio.create_task(self._work())
        logger.info(
            "live_recording_started",
            extra={
                "connection_id": self.connection_id,
                "user_id": str(self.user.pk),
                "consultation_id": str(self.target.consultation_id),
                "first_seq": self.target.next_seq,
            },
        )
        await self._send({"type": "recording_started", "consultationId": consultation_id, "message": RECORDING_STARTED})

    async def _chunk(self, message: dict[str, Any]) -> None:
        recording = self.recording
        if recording is None:
            return  # Node ignored slices outside a recording (late slices after a stop)
        data = message.get("audioData")
        if not isinstance(data, str) or not data:
            await self._error(INVALID_FORMAT)
            return
        limit = int(settings.LIVE_MAX_CHUNK_BYTES)
        if len(data) > (limit + 2) // 3 * 4:
            await self._error(CHUNK_TOO_LARGE)
            return
        try:
            audio = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            await self._error(INVALID_FORMAT)
            return
        if not audio:
            await self._error(INVALID_FORMAT)
            return
        if len(audio) > limit:
            await self._error(CHUNK_TOO_LARGE)
            return
        too_long = time.monotonic() - recording.started > float(settings.LIVE_MAX_RECORDING_SECONDS)
        if too_long or recording.total_bytes + len(audio) > int(settings.LIVE_MAX_RECORDING_BYTES):
            logger.warning(
                "live_recording_limit",
                extra={"connection_id": self.connection_id, "bytes": recording.total_bytes, "too_long": too_long},
            )
            await self._error(RECORDING_LIMIT)
            await self._stop()
            return
        window = recording.add(audio)
        if window is not None:
            self.queue.put_nowait(window)

    async def _stop_requested(self, message: dict[str, Any]) -> None:
        if self.recording is None:
            await self._send({"type": "recording_stopped", "message": RECORDING_STOPPED})
            return
        await self._stop()

    # --- recording --------------------------------------------------------------------

    async def _drain(self) -> None:
        """Queue the last short window and wait until every window is stored."""
        if self.recording is None:
            return
        window = self.recording.flush()
        if window is not None:
            self.queue.put_nowait(window)
        self.queue.put_nowait(None)
        await self.worker

    async def _stop(self) -> None:
        if self.stopping or self.recording is None:
            return
        self.stopping = True
        try:
            await self._stop_recording()
        finally:
            self.stopping = False

    async def _stop_recording(self) -> None:
        recording = self.recording
        await self._drain()
        if self.recording is None:  # the consultation ended meanwhile: already stopped
            return
        text = " ".join(self.texts)
        if recording.audio_bytes:
            final = await self._final_pass(recording)
            text = final if final is not None else text
            await self._send(
                {"type": "transcript", "text": text, "timestamp": _timestamp(), "isPartial": False, "isFinal": True}
            )
        self._log_stopped("stopped")
        self._end_recording()
        await self._send({"type": "recording_stopped", "message": RECORDING_STOPPED})

    async def _final_pass(self, recording: Recording) -> str | None:
        """The whole recording transcribed once more (``LIVE_FINAL_PASS``): its text is the
        final message's; it is stored only when no window was (nothing else would keep it)."""
        if not settings.LIVE_FINAL_PASS or recording.total_bytes > int(settings.AI_AUDIO_MAX_BYTES):
            return None
        if self.target is not None:
            await self._audit_ai(self.target)
        try:
            result = await awindow_transcribe(user=self.user, audio=recording.whole_audio())
        except ApplicationError as error:
            logger.warning(
                "live_final_pass_failed",
                extra={"connection_id": self.connection_id, "code": error.code, "status": error.status_code},
            )
            if not _undecodable(error):
                await self._error(FINAL_FAILED)
            return None
        if self.stored == 0 and result["segments"]:
            try:
                self.stored += await _blocking(
                    window_store, target=self.target, segments=result["segments"], offset_ms=0
                )
            except ConsultationClosed:
                await self._error(CONSULTATION_ENDED)
        return result["text"] or None

    def _end_recording(self) -> None:
        if self.recording is not None:
            self.recording.close()
        self.recording, self.worker, self.queue = None, None, None

    def _log_stopped(self, how: str) -> None:
        recording = self.recording
        logger.info(
            "live_recording_" + how,
            extra={
                "connection_id": self.connection_id,
                "consultation_id": str(self.target.consultation_id),
                "windows": recording.windows,
                "segments_created": self.stored,
                "bytes": recording.total_bytes,
                "spilled_to_disk": recording.spilled,
            },
        )

    async def _work(self) -> None:
        """Transcribe and store the windows one after another, in order."""
        while True:
            window = await self.queue.get()
            if window is None:
                return
            try:
                keep_going = await self._window(window)
            except Exception:
                logger.exception("live_window_crashed", extra={"connection_id": self.connection_id})
                keep_going = True
            if not keep_going:
                return

    async def _audit_ai(self, target: Target) -> None:
        """Audit trail: this user's audio of the consultation goes to the AI provider now."""
        client = self.scope.get("client") or ("", 0)
        caller = Caller.of(self.user, ip=str(client[0] or ""), request_id=self.connection_id, source="live-window")
        await _blocking(
            audit_record,
            caller=caller,
            model="transcript",
            action="ai",
            object_id=target.transcript.pk,
            consultation_id=target.consultation_id,
        )

    async def _window(self, window: Window) -> bool:
        recording, target = self.recording, self.target
        audio = recording.window_audio(window)
        ids = {
            "connection_id": self.connection_id,
            "consultation_id": str(target.consultation_id),
            "window": window.index,
        }
        await self._audit_ai(target)
        try:
            result = await awindow_transcribe(user=self.user, audio=audio)
        except ApplicationError as error:
            if _undecodable(error):
                logger.warning("live_window_skipped", extra={**ids, "reason": "undecodable"})
                metrics.live_window_done(outcome="skipped")
                return True
            logger.warning("live_window_failed", extra={**ids, "code": error.code, "status": error.status_code})
            metrics.live_window_done(outcome="failed")
            if not self.error_sent:
                self.error_sent = True
                await self._error(str(error.detail) if isinstance(error, RateLimited) else UNAVAILABLE)
            return True
        self.error_sent = False
        offset = first_cluster_ms(audio[len(recording.header or b"") :])
        if offset is None:  # no Cluster start in the window: it follows the last one stored
            offset = self.end_ms
        try:
            created = await _blocking(window_store, target=target, segments=result["segments"], offset_ms=offset)
        except ConsultationClosed:
            logger.info("live_consultation_closed", extra=ids)
            metrics.live_window_done(outcome="closed")
            await self._error(CONSULTATION_ENDED)
            self._log_stopped("closed")
            self._end_recording()
            await self._send({"type": "recording_stopped", "message": RECORDING_STOPPED})
            return False
        self.stored += created
        self.end_ms = max([self.end_ms, *(offset + (s["end_ms"] or 0) for s in result["segments"])])
        logger.info("live_window_stored", extra={**ids, "segments_created": created})
        metrics.live_window_done(outcome="stored")
        text = result["text"].strip()
        if text:
            self.texts.append(text)
            await self._send(
                {"type": "transcript", "text": " ".join(self.texts), "timestamp": _timestamp(), "isPartial": True}
            )
        return True
