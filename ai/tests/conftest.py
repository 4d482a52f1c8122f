"""Fixtures of the AI tests: consultations with segments, the HTTPS image servers, an
ASGI client."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from consultations.services import consultation_start, segment_append


@pytest.fixture
def make_transcript():
    """``make_transcript(clinician, lines, patient_data=None)``: a consultation whose
    transcript holds ``lines`` as segments seq 1..n (strings, or (speaker, text))."""

    def make(clinician, lines, patient_data=None):
        consultation = consultation_start(
            clinician=clinician, patient_data=patient_data or {"name": "Alice Example", "age": 40}
        )
        transcript = consultation.transcript
        for seq, line in enumerate(lines, start=1):
            speaker, text = line if isinstance(line, tuple) else ("unknown", line)
            segment_append(transcript=transcript, seq=seq, text=text, speaker=speaker)
        return transcript

    return make


@pytest.fixture(scope="session")
def image_servers_running():
    from ai.tests.image_server import image_servers

    first, second, ca_path, directory = image_servers()
    yield first, second, ca_path
    first.close()
    second.close()
    directory.cleanup()


@pytest.fixture
def image_servers(image_servers_running, settings):
    """(server on 127.0.0.1, server on 127.0.0.2); their CA trusted, no network allowed yet."""
    first, second, ca_path = image_servers_running
    first.requests.clear()
    second.requests.clear()
    settings.AI_IMAGE_FETCH_CA_BUNDLE = str(ca_path)
    settings.AI_IMAGE_FETCH_ALLOWED_NETWORKS = []
    return first, second


class AsgiClient:
    """Requests through Django's async handler and middleware (as an ASGI server runs
    them), each run to its end inside one event loop, a streamed body included
    (``response.streamed``): a stream's provider connection belongs to that loop."""

    def __init__(self, token: str) -> None:
        self.token = token

    def request(self, method: str, path: str, data=None, *, format: str | None = None, **extra):
        # Django's async client takes headers by name; ``HTTP_ACCEPT=...`` as the sync one does.
        headers = {"Authorization": f"Bearer {self.token}"}
        headers.update({k[5:].replace("_", "-").title(): v for k, v in extra.items() if k.startswith("HTTP_")})
        kwargs = {"content_type": "application/json"} if format == "json" and method != "get" else {}

        async def run():
            response = await getattr(AsyncClient(), method)(path, data, headers=headers, **kwargs)
            if response.streaming:
                response.streamed = b"".join([chunk async for chunk in response.streaming_content])
            return response

        return async_to_sync(run)()

    def post(self, path: str, data=None, **extra):
        return self.request("post", path, data, **extra)

    def get(self, path: str, data=None, **extra):
        return self.request("get", path, data, **extra)


@pytest.fixture
def asgi_client_for():
    """``asgi_client_for(user)``: an ``AsgiClient`` sending that user's real bearer token."""

    def make(user) -> AsgiClient:
        from accounts.tokens import token_pair_for

        return AsgiClient(token_pair_for(user)["access_token"])

    return make


def post_and_hang_up(openai_stub, path: str, body: dict, token: str) -> None:
    """POST ``body`` to ``path`` through Django's async handler, then cancel the request once
    it has reached the OpenAI stub (the client went away while the provider was thinking)."""
    import asyncio
    import json

    async def hang_up() -> None:
        request = asyncio.ensure_future(
            AsyncClient().post(
                path, json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {token}"}
            )
        )
        for _ in range(500):  # until the request reached the provider (at most 5 s)
            if openai_stub.chat_requests() or request.done():
                break
            await asyncio.sleep(0.01)
        assert openai_stub.chat_requests()
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request

    async_to_sync(hang_up)()
