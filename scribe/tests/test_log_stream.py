"""Logs go to stderr, so a command's stdout is only its output (export_consultation's JSON)."""

from __future__ import annotations

import json

from scribe.testing.processes import manage


def test_it_writes_log_lines_to_stderr_and_keeps_stdout_for_command_output():
    done = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "import logging; logging.getLogger('scribe.probe').warning('probe line', extra={'probe_id': '42'}); "
        "print('command output')",
        DEBUG="true",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "command output"
    (line,) = [json.loads(raw) for raw in done.stderr.splitlines() if '"probe line"' in raw]
    assert line["logger"] == "scribe.probe"
    assert line["level"] == "WARNING"
    assert line["probe_id"] == "42"
