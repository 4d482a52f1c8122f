"""What an import did: counts per collection and every document skipped or repaired.

The report names documents by collection and ``_id`` and gives a reason; it
never carries their content (patient names, transcript text, passwords).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SKIPPED = "skipped"
REPAIRED = "repaired"
CONFLICT = "conflict"  # sync: changed in Node.js and in Scribe; left for a person
KEPT = "kept"  # sync: gone from Node.js, kept in Scribe


@dataclass
class Issue:
    collection: str
    id: str
    action: str  # SKIPPED, REPAIRED, CONFLICT or KEPT
    rule: str  # a short machine code, e.g. "dangling_reference"
    reason: str  # one sentence for the operator


@dataclass
class CollectionCounts:
    read: int = 0
    created: int = 0
    already_present: int = 0
    repaired: int = 0
    skipped: int = 0
    # Sync only: records updated from changed documents, deleted (notes gone from Node.js),
    # and documents changed in both places (left alone, listed as issues).
    updated: int = 0
    deleted: int = 0
    conflicts: int = 0
    # Rows written besides the collection's own (segments, summaries, usage links).
    extra_rows: dict[str, int] = field(default_factory=dict)


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    sync: bool = False
    completed: bool = False
    interrupted: bool = False
    collections: dict[str, CollectionCounts] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    # Ledger rows (consultations.legacy.ledger) recorded for documents brought in.
    fingerprinted: int = 0

    def counts(self, collection: str) -> CollectionCounts:
        return self.collections.setdefault(collection, CollectionCounts())

    def skip(self, collection: str, doc_id: Any, rule: str, reason: str) -> None:
        self.issues.append(Issue(collection, str(doc_id), SKIPPED, rule, reason))
        self.counts(collection).skipped += 1

    def repair(self, collection: str, doc_id: Any, rule: str, reason: str) -> None:
        self.issues.append(Issue(collection, str(doc_id), REPAIRED, rule, reason))

    def mark_repaired(self, collection: str) -> None:
        self.counts(collection).repaired += 1

    @property
    def skipped(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.action == SKIPPED]

    @property
    def rows_written(self) -> int:
        return sum(c.created + c.updated + c.deleted + sum(c.extra_rows.values()) for c in self.collections.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "sync": self.sync,
            "completed": self.completed,
            "interrupted": self.interrupted,
            "changed_anything": self.rows_written > 0,
            "collections": {name: asdict(counts) for name, counts in self.collections.items()},
            "skipped": len(self.skipped),
            "repaired": sum(1 for issue in self.issues if issue.action == REPAIRED),
            "conflicts": sum(1 for issue in self.issues if issue.action == CONFLICT),
            "issues": [asdict(issue) for issue in self.issues],
            "fingerprinted": self.fingerprinted,
        }

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")

    def table(self) -> str:
        """The end-of-run summary: one line per collection."""
        header = ("collection", "read", "created", "present", "repaired", "skipped", "also written")
        if self.sync:
            header = (*header[:4], "updated", "deleted", "conflicts", *header[4:])
        rows = [header]
        for name, c in self.collections.items():
            extra = ", ".join(f"{n} {k}" for k, n in c.extra_rows.items() if n) or "-"
            counts = [c.read, c.created, c.already_present]
            if self.sync:
                counts += [c.updated, c.deleted, c.conflicts]
            rows.append((name, *(str(n) for n in counts), str(c.repaired), str(c.skipped), extra))
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = []
        for index, row in enumerate(rows):
            last = len(header) - 1
            cells = [cell.ljust(widths[i]) if i in (0, last) else cell.rjust(widths[i]) for i, cell in enumerate(row)]
            lines.append("  ".join(cells).rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)
