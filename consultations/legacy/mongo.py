"""Connecting to a live MongoDB, shared by the import reader and the export writer.

Both name a failure without the URI's credentials and raise their own error class
(``ReaderError`` for a source, ``ExportError`` for a target), passed in as ``error``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def server_errors(error: type[Exception]) -> Iterator[None]:
    """A server lost part-way becomes ``error``, named without credentials."""
    from pymongo.errors import PyMongoError

    try:
        yield
    except PyMongoError as exc:
        raise error(f"the MongoDB server failed: {exc.__class__.__name__}") from exc


def connect(uri: str, *, database: str | None, timeout_ms: int, error: type[Exception]) -> tuple[Any, Any, str]:
    """Connect to ``uri`` (the database in its path, or ``database``) and check it answers.

    Returns ``(client, database, description)``; the description never carries the
    URI's credentials. Every failure is raised as ``error``.
    """
    import pymongo
    from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError
    from pymongo.uri_parser import parse_uri

    try:
        parsed = parse_uri(uri)
    except (InvalidURI, ConfigurationError, ValueError) as exc:
        raise error(f"not a MongoDB URI: {exc}") from exc
    name = database or parsed.get("database")
    if not name:
        raise error("the URI names no database: add /<database> to it or pass --database")
    hosts = ",".join(f"{host}:{port}" for host, port in parsed["nodelist"])
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=True)
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        client.close()
        raise error(f"cannot reach MongoDB at {hosts}: {exc.__class__.__name__}") from exc
    return client, client[name], f"mongodb://{hosts}/{name}"
