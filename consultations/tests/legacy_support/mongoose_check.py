"""Validate exported documents with the Node.js backend's Mongoose models, in Node.js.

``consultations/tests/mongoose/`` pins ``mongoose`` (package.json + package-lock.json);
``npm ci`` installs it once per lock file into a cache directory outside the checkout
(``$XDG_CACHE_HOME/scribe``, by default ``~/.cache/scribe``), under a file lock so parallel test
workers install it once. No MongoDB server is involved: ``validate.js`` builds each
document with ``new Model(doc)`` and calls ``validateSync()``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "mongoose"


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "scribe"


def mongoose_modules() -> Path:
    """``node_modules`` holding the pinned mongoose, installed by ``npm ci`` when missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are not installed: the Mongoose validation of exported documents needs them")
    lock = (HARNESS / "package-lock.json").read_bytes()
    target = _cache_root() / f"mongoose-{hashlib.sha256(lock).hexdigest()[:16]}"
    done = target / ".installed"
    target.mkdir(parents=True, exist_ok=True)
    with (target.parent / f"{target.name}.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not done.exists():
            for name in ("package.json", "package-lock.json"):
                shutil.copy(HARNESS / name, target / name)
            installed = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                cwd=target,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert installed.returncode == 0, f"npm ci failed: {installed.stderr[-2000:]}"
            done.write_text("ok\n")
    return target / "node_modules"


def mongoose_validate(database_dir: Path, *, base: Path | None = None) -> dict[str, Any]:
    """``{collection: {checked, failures: [{_id, problems}]}}`` for every ``.bson`` file in the directory."""
    modules = mongoose_modules()
    command = ["node", str(HARNESS / "validate.js"), str(database_dir)]
    if base is not None:
        command += ["--base", str(base)]
    env = {**os.environ, "NODE_PATH": str(modules)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
