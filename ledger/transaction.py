"""The one write transaction of a ledger file: `LedgerFile.atomic()`, which `Store` inherits (issue #11).

Every write of a ledger runs inside it: the tables of a new file (`schema.create_file`), imports,
`add`, `retract`, `tag`, checkpoint saves and the `verified` record. It takes SQLite's write lock at
once (`BEGIN IMMEDIATE`), waiting up to `wait` seconds while another writer holds it (after
`WAIT_NOTICE` seconds saying so once through `on_wait`), then ConcurrencyConflict; COMMIT at the end
of the block, ROLLBACK when it raises. It lives apart from the store so that `gainlog init`, which
only makes a file, does not import the store and the codec (start-up time).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ConcurrencyConflict

# How long a writer waits for another process's write lock before giving up with ConcurrencyConflict
# (`gainlog --wait SECONDS`, $GAINLOG_WAIT); after WAIT_NOTICE seconds it calls the file's `on_wait`
# once (the CLI says on stderr that it is waiting).
DEFAULT_WAIT = 30.0
WAIT_NOTICE = 0.5
# Called once when a write has waited WAIT_NOTICE seconds for the lock: (ledger path, total wait).
OnWait = Callable[[Path, float], None]


class LedgerFile:
    """An open ledger file and its one write transaction (`atomic`). `Store` is one."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self.wait = DEFAULT_WAIT  # seconds a write waits for another writer's lock (`set_wait`)
        self.on_wait: OnWait | None = None
        self.written = 0  # events committed through it (see `close` for an interrupted COMMIT)
        self._pending = 0  # events inserted by the open write transaction

    def set_wait(self, seconds: float, *, on_wait: OnWait | None = None) -> LedgerFile:
        """Wait at most `seconds` for another writer's lock (then ConcurrencyConflict), calling
        `on_wait(path, seconds)` once if the wait lasts more than WAIT_NOTICE seconds; returns self."""
        self.wait = seconds
        self.on_wait = on_wait
        self.conn.execute(f"PRAGMA busy_timeout = {round(seconds * 1000)}")
        return self

    def close(self) -> None:
        """Close the file. A write interrupted (Ctrl-C) just as it committed is counted in `written`
        when the COMMIT went through; a transaction still open is rolled back by the close."""
        if self._pending and not self.conn.in_transaction:
            self.written += self._pending
        self._pending = 0
        self.conn.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """The one write transaction every writer uses (a new file's tables, imports, `add`,
        `retract`, `tag`, checkpoint saves, the `verified` record): take SQLite's write lock now,
        waiting up to `self.wait` seconds while another writer holds it (saying so once through
        `on_wait`), then ConcurrencyConflict; COMMIT at the end of the block, ROLLBACK when it raises."""
        self._begin_immediate()
        try:
            yield
        except BaseException:
            self._pending = 0  # first: nothing of it counts, whether or not the ROLLBACK completes
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error:  # e.g. the disk is full: nothing of it counts, and the connection is left usable
            self._pending = 0
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.written, self._pending = self.written + self._pending, 0

    def _begin_immediate(self) -> None:
        conn, wait = self.conn, self.wait
        started = time.monotonic()
        timeout = min(WAIT_NOTICE, wait)  # first a short wait, so that a longer one can be announced
        notified = False
        while True:
            conn.execute(f"PRAGMA busy_timeout = {round(timeout * 1000)}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            finally:
                if timeout != wait:
                    conn.execute(f"PRAGMA busy_timeout = {round(wait * 1000)}")
            remaining = wait - (time.monotonic() - started)
            if remaining <= 0:
                raise ConcurrencyConflict(
                    f"{self.path} is locked by another gainlog writing to it; gave up after {wait:g} s "
                    "(--wait SECONDS to wait longer)"
                )
            if not notified and self.on_wait is not None:
                self.on_wait(self.path, wait)
                notified = True
            time.sleep(min(0.01, remaining))  # should SQLite answer busy at once, do not spin
            timeout = max(wait - (time.monotonic() - started), 0.0)
