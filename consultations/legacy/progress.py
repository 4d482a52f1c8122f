"""Progress of an import: a bar per collection on a terminal, plain lines otherwise
(logs of a job runner should not fill with carriage returns)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from consultations.legacy.importer import Progress


class TerminalProgress(Progress):
    """One tqdm bar per collection, written to ``stream`` (a terminal)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    @contextmanager
    def collection(self, name: str, total: int) -> Iterator[Callable[[int], None]]:
        from tqdm import tqdm

        with tqdm(total=total, desc=f"{name:<13}", unit="doc", file=self.stream, leave=True) as bar:
            yield bar.update


class LineProgress(Progress):
    """A plain line when a collection starts, about every tenth of the way, and when it ends."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    @contextmanager
    def collection(self, name: str, total: int) -> Iterator[Callable[[int], None]]:
        done = 0
        step = max(total // 10, 50)
        next_line = step
        self.stream.write(f"{name}: {total} documents\n")

        def advance(n: int) -> None:
            nonlocal done, next_line
            done += n
            if done >= next_line and done < total:
                self.stream.write(f"{name}: {done}/{total}\n")
                while next_line <= done:
                    next_line += step

        yield advance
        self.stream.write(f"{name}: {done}/{total} done\n")
        self.stream.flush()
