"""Run Scribe in a child process with a chosen environment (settings are read once, at import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Everything settings.py reads that could leak in from the parent (pytest.ini sets DEBUG).
_SCRUBBED_PREFIXES = (
    "DEBUG",
    "SECRET_KEY",
    "JWT_",
    "LEGACY_JWT",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "MONGODB_URI",
    "REDIS_URL",
    "CORS_",
    "LOG_LEVEL",
    "SECURE_",
    "CSRF_",
    "DJANGO_",
    "ENV_FILE",
    "FIELD_",
)

# Values that pass the production checks (long, random-looking, not the development ones).
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "p9Vq2x7LmZ4rT8wK1nB6cY3hJ5dF0sGaE-uQiOoPlXkWjRbNvMtHgCy",
    "JWT_SECRET_KEY": "Jw7T3kQ9mX2vL8pR4nZ6cB1yH5dF0sGaEuQiOoPlKjWtRbNvMxHgCy",
    "ALLOWED_HOSTS": "scribe.example.nhs.uk",
    # Field encryption and blind-index keys (32 random bytes each, urlsafe base64; README).
    "FIELD_ENCRYPTION_KEYS": "q2b0m0dC1Zx2dYk8Vn0yQ3JrX2xYd3ZGZ2h1T2pQbWc=",
    "FIELD_BLIND_INDEX_KEYS": "Zk9TbG1QeDR3Ukt2bkZ1WkcycWhUN0pCZVhjc0xvQ0E=",
}


def child_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env["ENV_FILE"] = ""  # never a developer's .env
    env.update(overrides)
    return env


def run(args: list[str], *, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=child_env(**env), capture_output=True, text=True, timeout=timeout
    )


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(["manage.py", *args], **env)


def settings_under(names: list[str], **env: str) -> dict:
    """Load the settings under ``env`` in a child and return the named values (Django's defaults included)."""
    code = (
        "import json, os, sys\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'scribe.settings'\n"
        "from django.conf import settings as s\n"
        f"json.dump({{n: getattr(s, n) for n in {names!r}}}, sys.stdout, default=str)\n"
    )
    done = run(["-c", code], **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
