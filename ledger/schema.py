"""The SQLite layout of a ledger: tables, indexes, and the triggers that make the log append-only.

One file holds everything (CONTRACT §1 `init`): `events` (the log, one row per event, hash-chained),
`batches` (one row per import or `add`, i.e. per transaction), `tags` (named knowledge points) and
`meta` (time zone, schema version). UPDATE and DELETE on `events`, `batches` and `tags` are refused
by triggers, so the only way to change history is to append a `retract` (issue #2).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a ledger is created: it costs every other command ~30 ms of start-up
    import sqlite_utils

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 60_000
APPEND_ONLY = ("events", "batches", "tags")


def connect(path: str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, with a busy timeout."""
    conn = sqlite3.connect(
        path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def create(db: sqlite_utils.Database, *, timezone: str) -> None:
    """Create every table, index and trigger of an empty ledger (one transaction)."""
    db.execute("PRAGMA journal_mode = WAL")
    with db.conn:
        db.execute("BEGIN IMMEDIATE")
        db["meta"].create({"name": str, "value": str}, pk="name")  # type: ignore[union-attr]
        db["events"].create(  # type: ignore[union-attr]
            {
                "seq": int,
                "key": str,
                "source": str,
                "batch": int,
                "recorded_at": str,
                "type": str,
                "target": str,
                "body": str,
                "prev_hash": str,
                "hash": str,
            },
            pk="seq",
            not_null={"key", "source", "batch", "recorded_at", "type", "body", "prev_hash", "hash"},
        )
        db["batches"].create(  # type: ignore[union-attr]
            {
                "batch": int,
                "source": str,
                "origin": str,
                "recorded_at": str,
                "first_seq": int,
                "last_seq": int,
            },
            pk="batch",
        )
        db["tags"].create({"name": str, "seq": int, "recorded_at": str}, pk="name")  # type: ignore[union-attr]
        db["events"].create_index(["key"])  # type: ignore[union-attr]
        db["events"].create_index(["source"])  # type: ignore[union-attr]
        db["events"].create_index(["target"])  # type: ignore[union-attr]
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                db.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: {action} refused'); END"
                )
        db["meta"].insert_all(  # type: ignore[union-attr]
            [
                {"name": "timezone", "value": timezone},
                {"name": "schema_version", "value": str(SCHEMA_VERSION)},
            ]
        )


def guard_names() -> list[str]:
    """The triggers an intact ledger has."""
    return [f"{table}_no_{action}" for table in APPEND_ONLY for action in ("update", "delete")]
