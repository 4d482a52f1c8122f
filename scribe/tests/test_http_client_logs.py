"""No HTTP client logs a request line, whatever LOG_LEVEL says (URLs can carry keys and
search terms; the openai SDK logs prompts at DEBUG). The loggers are found from the
installed packages, so a transport the SDK switches to is covered too."""

from __future__ import annotations

import json

from scribe.core.logging import http_client_logger_names
from scribe.testing.processes import manage

AI_CALL = """
from ai import client
result = client.chat_text(task="search", messages=[{"role": "user", "content": "What is asthma?"}])
print(result.model)
"""


def test_it_finds_the_transport_the_openai_sdk_really_uses():
    import openai._base_client as base_client

    transport = base_client.__dict__.get("httpx2") or base_client.__dict__.get("httpx")
    names = http_client_logger_names()
    assert transport.__name__.split(".")[0] in names
    assert {"openai", "httpx"} <= set(names)


def test_it_logs_no_request_line_for_an_ai_call_at_debug_level(openai_stub_server):
    openai_stub_server.reset()
    done = manage(
        "shell",
        "--verbosity=0",
        "-c",
        AI_CALL,
        DEBUG="true",
        LOG_LEVEL="DEBUG",
        OPENAI_API_KEY="sk-scribe-test",
        OPENAI_BASE_URL=openai_stub_server.base_url,
        AI_MAX_RETRIES="0",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()  # the model answered through the stub
    assert openai_stub_server.requests, "the call never reached the stub"
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    quiet = tuple(http_client_logger_names())
    chatty = [line for line in lines if line["logger"].split(".")[0] in quiet and line["level"] in ("DEBUG", "INFO")]
    assert chatty == []
    assert "HTTP Request" not in done.stderr
    assert "chat/completions" not in done.stderr
    assert "What is asthma" not in done.stderr
