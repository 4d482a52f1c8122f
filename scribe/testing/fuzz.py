"""What the schema fuzzer (scribe/tests/test_fuzz_openapi.py) runs against.

``fuzz_environment`` (scribe/tests/conftest.py) logs a clinician in and
requests every fixture named in ``EXTRA_FIXTURES`` before the fuzzer starts, so
external services are stub servers and any seed data exists. To give the
fuzzer more of the world, add a fixture's name here; a fixture may return a dict
of extra request headers, or anything else (ignored). Names that no plugin
defines are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXTRA_FIXTURES: list[str] = [
    "openai_stub",  # scribe.testing.fixtures: the AI provider, a local OpenAI-compatible server
    "nhs_stub",  # scribe.testing.fixtures: the NHS terminology server
]


@dataclass
class FuzzEnvironment:
    user: Any
    headers: dict[str, str] = field(default_factory=dict)
    fixtures: dict[str, Any] = field(default_factory=dict)
