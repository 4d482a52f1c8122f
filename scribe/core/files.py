"""Files that management commands write: checked before any work, patient data kept private."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import CommandError


def output_path_check(path: str | os.PathLike[str], *, option: str = "--output") -> Path:
    """The output file ``path``, refused (CommandError) unless it can be written.

    Called before a command does any work, so a typo in a folder name costs nothing
    (an import that ran for minutes used to lose its report at the very end).
    """
    target = Path(path).expanduser()
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise CommandError(f"{option} {path}: is a folder; name a file.")
    if not folder.is_dir():
        raise CommandError(f"{option} {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise CommandError(f"{option} {path}: not writable.")
    return target


def private_file_write(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), whatever the umask.

    Written to a 0600 temporary file in the same folder and renamed over ``path``, so
    the data is never world-readable, not even for a moment, and an existing file with
    wider permissions is replaced rather than reused.
    """
    target = Path(path)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
