"""The node-dump: a Node.js database shaped like real data (all three schema generations),
copied from ../shared/legacy/node-dump. Its manifest says what a perfect import ends with."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bson

from consultations.legacy.readers import COLLECTIONS, write_dump

NODE_DUMP = Path(__file__).resolve().parent / "node-dump"
NODE_DB = NODE_DUMP / "scribe"
NODE_MANIFEST: dict[str, Any] = json.loads((NODE_DUMP / "manifest.json").read_text())


def node_docs() -> dict[str, list[dict[str, Any]]]:
    return {
        name: list(bson.decode_file_iter((NODE_DB / f"{name}.bson").open("rb"), codec_options=bson.CodecOptions(tz_aware=True)))
        for name in COLLECTIONS
    }


def changed_node_dump(target: Path, change: Callable[[dict[str, list[dict[str, Any]]]], None] | None = None) -> Path:
    """A copy of the node-dump (as ``target/scribe``) with ``change`` applied to its documents."""
    docs = node_docs()
    if change is not None:
        change(docs)
    write_dump(target / "scribe", docs)
    for metadata in NODE_DB.glob("*.metadata.json"):
        shutil.copy(metadata, target / "scribe" / metadata.name)
    return target
