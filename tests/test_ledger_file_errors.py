"""A ledger file gainlog cannot use is named for what is wrong with it (issue 17), not "not a gainlog
ledger: run init first": a file that is not SQLite, a truncated or corrupted one, a writable ledger in
a read-only directory (SQLite must create its -wal and -shm files next to it)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import BUY, GAINLOG, REPO, Result, write_jsonl
from gainlog.ledger.store import Store, describe_sqlite_error


def _filled(db: Path, tmp_path: Path, gainlog: Callable[..., Result]) -> bytes:
    lines = [{**BUY, "qty": str(i + 1), "note": "x" * 3000} for i in range(30)]
    assert gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", lines))).code == 0
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file
    return db.read_bytes()


def test_a_file_that_is_not_sqlite(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a ledger\n" * 100)
    result = gainlog("log", ledger=path)
    assert result.code == 2
    assert result.err == (
        f"gainlog: {path} is not a SQLite database (the file is damaged or truncated, or is another kind of "
        "file)\n"
    )


@pytest.mark.parametrize("keep", [50, 4096, "half"])
def test_a_truncated_ledger(
    keep: int | str, db: Path, tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    data = _filled(db, tmp_path, gainlog)
    db.write_bytes(data[: len(data) // 2 if keep == "half" else keep])
    for args in (("log",), ("add", "buy", "--at", "2024-01-02", "--wallet", "w", "--asset", "BTC", "--qty", "1",
                            "--price", "1")):
        result = gainlog(*args)
        assert result.code == 1
        assert result.err == (
            f"gainlog: {db} is damaged (SQLite: database disk image is malformed): the file was truncated or "
            "corrupted; restore it from a backup\n"
        )


def test_a_ledger_damaged_after_its_meta_table(db: Path, tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    data = _filled(db, tmp_path, gainlog)
    db.write_bytes(data[: len(data) * 3 // 4])  # opens, then fails while reading the events
    for args in (("log", "--json"), ("report", "schedule-d", "--year", "2024", "--json"), ("verify",)):
        result = gainlog(*args)
        assert result.code == 1, args
        assert result.err.startswith(f"gainlog: {db} is damaged (SQLite: ")
        assert result.err.endswith("): the file was truncated or corrupted; restore it from a backup\n")


def test_an_empty_file_or_another_database_still_asks_for_init(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    for path in (empty, other):
        result = gainlog("log", ledger=path)
        assert result.code == 2
        assert result.err == (
            f"gainlog: {path} is not a gainlog ledger: run `gainlog init` first (or pass --db / set $GAINLOG_DB)\n"
        )


# -- a read-only directory ---------------------------------------------------------------------


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A ledger, writable itself, in a directory nobody but root may write to."""
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "ledger.db"
    Store.create(path).close()  # closed cleanly: no -wal or -shm left
    assert sorted(p.name for p in folder.iterdir()) == ["ledger.db"]
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    yield path
    folder.chmod(stat.S_IRWXU)


# Root writes to a read-only directory anyway (CAP_DAC_OVERRIDE); util-linux's setpriv runs gainlog
# without that capability, so CI (root) sees the directory as a user would.
_AS_A_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []


@pytest.mark.skipif(os.name != "posix" or (bool(_AS_A_USER) and shutil.which("setpriv") is None),
                    reason="running as root without setpriv (util-linux): the directory would not be read-only; "
                    "test_read_only_directory_message covers the message in-process")
def test_a_ledger_in_a_read_only_directory(read_only_dir: Path) -> None:
    proc = subprocess.run([*_AS_A_USER, *GAINLOG, "--db", str(read_only_dir), "log"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr == (
        f"gainlog: cannot write {read_only_dir}: directory {read_only_dir.parent} is read-only (SQLite needs to "
        "create ledger.db-wal and ledger.db-shm there); make it writable or move the ledger\n"
    )


class _ReadOnlyDirectory:
    """A connection as SQLite gives it for a WAL ledger in a read-only directory: every query fails."""

    def execute(self, *args: object) -> None:
        exc = sqlite3.OperationalError("attempt to write a readonly database")
        exc.sqlite_errorname = "SQLITE_READONLY_DIRECTORY"  # type: ignore[attr-defined]
        raise exc

    def close(self) -> None:
        pass


def test_read_only_directory_message(db: Path, gainlog: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    from gainlog.ledger import schema

    monkeypatch.setattr(schema, "connect", lambda path: _ReadOnlyDirectory())
    result = gainlog("log")
    assert result.code == 1
    assert result.err == (
        f"gainlog: cannot write {db}: directory {db.parent} is read-only (SQLite needs to create "
        "ledger.db-wal and ledger.db-shm there); make it writable or move the ledger\n"
    )


def test_sqlite_errors_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "l.db"

    def error(text: str, name: str) -> sqlite3.Error:
        exc = sqlite3.OperationalError(text)
        exc.sqlite_errorname = name  # type: ignore[attr-defined]
        return exc

    assert describe_sqlite_error(path, error("attempt to write a readonly database", "SQLITE_READONLY")) == (
        f"cannot write {path}: the file is read-only (SQLite: attempt to write a readonly database)"
    )
    assert describe_sqlite_error(path, error("unable to open database file", "SQLITE_CANTOPEN")) == (
        f"cannot open {path} (SQLite: unable to open database file)"
    )
    assert describe_sqlite_error(path, error("no such table: meta", "SQLITE_ERROR")) is None
    assert describe_sqlite_error(path, error("database is locked", "SQLITE_BUSY")) is None
    # without SQLite's extended code: a directory the process may not write to
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != tmp_path)
    assert describe_sqlite_error(path, sqlite3.OperationalError("attempt to write a readonly database")) == (
        f"cannot write {path}: directory {tmp_path} is read-only (SQLite needs to create l.db-wal and l.db-shm "
        "there); make it writable or move the ledger"
    )


def test_a_read_only_ledger_file_on_write(
    db: Path, gainlog: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write refused by SQLite (here: the connection opened read-only) names the file."""
    from gainlog.ledger import schema

    real = schema.connect

    def read_only(path: str) -> sqlite3.Connection:
        conn = real(path)
        conn.execute("PRAGMA query_only = ON")
        return conn

    monkeypatch.setattr(schema, "connect", read_only)
    result = gainlog("tag", "x")
    assert result.code == 1
    assert result.err == (
        f"gainlog: cannot write {db}: the file is read-only (SQLite: attempt to write a readonly database)\n"
    )
