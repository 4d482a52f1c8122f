"""What an export wrote, left alone and could not write: counts per collection and one
line per record worth a person's attention (ids and reasons only, never content)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from consultations.legacy.export.writers import ORDER

ACTIONS = ("created", "changed", "unchanged", "deleted", "skipped")


@dataclass
class Line:
    collection: str
    id: str
    rule: str
    reason: str


@dataclass
class ExportReport:
    target: str
    dry_run: bool = False
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {name: dict.fromkeys(ACTIONS, 0) for name in ORDER}
    )
    lines: list[Line] = field(default_factory=list)
    deleted: dict[str, list[str]] = field(default_factory=dict)
    completed: bool = False

    def count(self, collection: str, action: str, n: int = 1) -> None:
        self.counts[collection][action] += n

    def note(self, collection: str, record_id: Any, rule: str, reason: str) -> None:
        self.lines.append(Line(collection, str(record_id), rule, reason))

    @property
    def documents_written(self) -> int:
        return sum(c["created"] + c["changed"] + c["deleted"] for c in self.counts.values())

    def table(self) -> str:
        head = f"{'collection':<14}" + "".join(f"{a:>11}" for a in ACTIONS)
        rows = [f"{name:<14}" + "".join(f"{self.counts[name][a]:>11}" for a in ACTIONS) for name in ORDER]
        return "\n".join([head, *rows])

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "dry_run": self.dry_run,
            "completed": self.completed,
            "documents_written": self.documents_written,
            "counts": self.counts,
            "deleted": self.deleted,
            "lines": [asdict(line) for line in self.lines],
        }

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.as_dict(), indent=1, sort_keys=True))
