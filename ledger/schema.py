"""The SQLite layout of a ledger: tables, indexes, and the triggers that make the log append-only.

One file holds everything (CONTRACT §1 `init`): `events` (the log, one row per event, hash-chained),
`batches` (one row per import or `add`, i.e. per transaction), `tags` (named knowledge points) and
`meta` (time zone, schema version). UPDATE and DELETE on `events`, `batches` and `tags` are refused
by triggers, so the only way to change history is to append a `retract` (issue #2).

Issue #18 adds, for ledgers created from then on (`INTEGRITY`, applied after the statements above):
a `hash` column on `tags` (the head hash a tag names), the `genesis` meta row (the first event
chains from it, so it covers the time zone and schema version) and the `verified` meta row (what
the last full `verify` saw; `ledger.integrity`). Ledgers made before keep working without them.

Issue #12 adds, the same way, a `digest` column on `batches`: the SHA-256 of the file an import
read, so that the same file imported again under another source is recognised. A ledger without
the column records no digests and refuses no file for it. And a `skipped` column: the rows of a
converted export that became no event (a JSON list of `{"line", "type", "reason"}`, NULL when none),
shown by `gainlog log --batches`; a ledger without the column only reports them at import.
"""

from __future__ import annotations

import sqlite3
import weakref
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import UsageError

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 60_000
APPEND_ONLY = ("events", "batches", "tags")

# The statements, in order, byte for byte as sqlite-utils 4 wrote them when it created ledgers:
# plain SQL spares every `init` the ~50 ms import of sqlite-utils, and existing files keep the same
# `sqlite_master` (tests/test_write_path.py compares the two).
TABLES = (
    'CREATE TABLE "meta" (\n   "name" TEXT PRIMARY KEY,\n   "value" TEXT\n)',
    'CREATE TABLE "events" (\n'
    '   "seq" INTEGER PRIMARY KEY,\n'
    '   "key" TEXT NOT NULL,\n'
    '   "source" TEXT NOT NULL,\n'
    '   "batch" INTEGER NOT NULL,\n'
    '   "recorded_at" TEXT NOT NULL,\n'
    '   "type" TEXT NOT NULL,\n'
    '   "target" TEXT,\n'
    '   "body" TEXT NOT NULL,\n'
    '   "prev_hash" TEXT NOT NULL,\n'
    '   "hash" TEXT NOT NULL\n'
    ")",
    'CREATE TABLE "batches" (\n'
    '   "batch" INTEGER PRIMARY KEY,\n'
    '   "source" TEXT,\n'
    '   "origin" TEXT,\n'
    '   "recorded_at" TEXT,\n'
    '   "first_seq" INTEGER,\n'
    '   "last_seq" INTEGER\n'
    ")",
    'CREATE TABLE "tags" (\n   "name" TEXT PRIMARY KEY,\n   "seq" INTEGER,\n   "recorded_at" TEXT\n)',
)
INDEXES = tuple(
    f'CREATE INDEX "idx_events_{column}"\n    ON "events" ("{column}")' for column in ("key", "source", "target")
)


# Issue #18: what a new ledger has beyond the tables above (ledger.integrity checks them); issue #12:
# the file digest of each batch (NULL for `add`, `retract` and older ledgers' batches), and the rows
# of a converted export that became no event (NULL when none).
INTEGRITY = (
    'ALTER TABLE "tags" ADD COLUMN "hash" TEXT', 'ALTER TABLE "batches" ADD COLUMN "digest" TEXT',
    'ALTER TABLE "batches" ADD COLUMN "skipped" TEXT',
)


class _Connection(sqlite3.Connection):
    """A connection that `close_all` can find: sqlite3's own cannot be weakly referenced."""


# Every connection `connect` made that is not yet garbage (a store, or a cursor still reading it, may
# hold one): the CLI's quick exit (`cli.main.quick_exit`) closes them, as the shut-down it skips would.
_CONNECTIONS: weakref.WeakSet[_Connection] = weakref.WeakSet()


def connect(path: str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, with a busy timeout."""
    conn = sqlite3.connect(
        path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, factory=_Connection
    )
    _CONNECTIONS.add(conn)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def close_all() -> None:
    """Close every ledger connection still open, as their garbage collection at exit would: the last
    one to close checkpoints the WAL into the file and removes the `-wal` file; an open transaction
    is rolled back."""
    for conn in list(_CONNECTIONS):
        conn.close()


def create_file(path: Path, *, timezone: str) -> sqlite3.Connection:
    """A new, empty ledger at `path` (UsageError when that is not possible), opened.

    The tables are made in the ledger's one write transaction (`LedgerFile.atomic()`, which
    `Store` inherits): a failure leaves no half-made ledger, and no file where there was none (an
    empty file stays empty), so `init` can be run again. `Store.create` wraps it; `gainlog init`
    calls it directly, sparing itself the import of the store and the codec (~25 ms) for a ledger it
    only closes again.
    """
    from .transaction import LedgerFile

    _check_zone(timezone)
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give --db a file name")
    existed = path.exists()
    if existed and path.stat().st_size > 0:
        if _is_ledger(path):
            raise UsageError(f"{path} already holds a ledger")
        raise UsageError(f"{path} exists and is not a gainlog ledger; choose another --db")
    conn: sqlite3.Connection | None = None
    try:
        conn = connect(str(path))
        conn.execute("PRAGMA journal_mode = WAL")
        with LedgerFile(path, conn).atomic():
            create(conn, timezone=timezone)
    except BaseException as exc:
        if conn is not None:
            conn.close()
        _unmake(path, existed=existed)
        if isinstance(exc, sqlite3.Error):
            raise UsageError(f"cannot create a ledger at {path}: {exc}") from None
        raise
    return conn


def _unmake(path: Path, *, existed: bool) -> None:
    """Undo what a failed `create_file` left: the file it made (emptied when it was there, empty)."""
    try:
        if existed:
            path.write_bytes(b"")
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass  # the error being raised says more than this one


def create(conn: sqlite3.Connection, *, timezone: str) -> None:
    """Every table, index and trigger of an empty ledger, and its meta rows: inside the caller's
    write transaction (`create_file`: `LedgerFile.atomic()`), on a connection in WAL mode."""
    for statement in (*TABLES, *INDEXES, *guards()):
        conn.execute(statement)
    conn.executemany(
        'INSERT INTO "meta" ("name", "value") VALUES (?, ?)',
        [("timezone", timezone), ("schema_version", str(SCHEMA_VERSION))],
    )
    add_integrity(conn, timezone=timezone)


def add_integrity(conn: sqlite3.Connection, *, timezone: str) -> None:
    """The issue #18 additions to a ledger that has no events yet (inside the caller's transaction):
    `INTEGRITY`, the genesis record of `timezone` and this schema version, and a `verified` record
    at seq 0 (an empty log is intact), so that reports have a baseline from the start."""
    from . import chain

    for statement in INTEGRITY:
        conn.execute(statement)
    genesis = chain.genesis(timezone, str(SCHEMA_VERSION))
    conn.executemany(
        'INSERT INTO "meta" ("name", "value") VALUES (?, ?)',
        [("genesis", genesis), ("verified", chain.verified_text(0, genesis, timezone, str(SCHEMA_VERSION)))],
    )


def guards() -> list[str]:
    """The append-only triggers, as `sqlite_master.sql` holds them (`verify` compares the text)."""
    return [
        f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: {action} refused'); END"
        for table in APPEND_ONLY
        for action in ("UPDATE", "DELETE")
    ]


def guard_names() -> list[str]:
    """The triggers an intact ledger has."""
    return [f"{table}_no_{action}" for table in APPEND_ONLY for action in ("update", "delete")]


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {name!r}: use an IANA name such as UTC or America/New_York"
        ) from None


def _is_ledger(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False
