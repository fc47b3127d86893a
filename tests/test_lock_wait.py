"""A writer that finds the ledger locked by another process says it is waiting, and gives up with exit 3
after `--wait SECONDS` ($GAINLOG_WAIT, default 30 s) instead of waiting silently (issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import GAINLOG, REPO, Result, run_process
from gainlog.ledger.store import DEFAULT_WAIT, Store

# Holds the ledger's write lock (BEGIN IMMEDIATE) for argv[3] seconds, after touching argv[2].
HOLDER = """
import sqlite3, sys, time
from pathlib import Path
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
Path(sys.argv[2]).touch()
time.sleep(float(sys.argv[3]))
conn.execute("COMMIT")
"""
ADD = ("add", "buy", "--at", "2024-01-02", "--wallet", "w", "--asset", "BTC", "--qty", "1", "--price", "5")


def _hold(db: Path, tmp_path: Path, seconds: float) -> subprocess.Popen[bytes]:
    gate = tmp_path / "locked"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(gate), str(seconds)])
    deadline = time.monotonic() + 60
    while not gate.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the lock holder did not start"
        time.sleep(0.01)
    return proc


@pytest.fixture
def held(db: Path, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Another process holding the write lock for a minute (killed afterwards)."""
    proc = _hold(db, tmp_path, 60)
    yield proc
    proc.kill()
    proc.wait()


def _waiting(db: Path, seconds: str) -> str:
    return f"gainlog: waiting for another gainlog writing to {db} (up to {seconds} s; --wait SECONDS)\n"


def _gave_up(db: Path, seconds: str) -> str:
    return (f"gainlog: {db} is locked by another gainlog writing to it; gave up after {seconds} s "
            "(--wait SECONDS to wait longer)\n")


@pytest.mark.slow
def test_a_locked_ledger_is_announced_then_given_up_on(db: Path, held: subprocess.Popen[bytes]) -> None:
    started = time.monotonic()
    result = run_process("--db", str(db), "--wait", "1.5", *ADD)
    elapsed = time.monotonic() - started
    assert result.code == 3
    assert result.err == _waiting(db, "1.5") + _gave_up(db, "1.5")
    assert result.out == ""
    assert 1.5 <= elapsed < 30
    with Store.open(db) as store:
        assert store.last_seq() == 0


@pytest.mark.slow
def test_wait_after_the_command_and_from_the_environment(db: Path, held: subprocess.Popen[bytes]) -> None:
    result = run_process("tag", "x", "--db", str(db), env={"GAINLOG_WAIT": "0.7"})
    assert result.code == 3 and result.err == _waiting(db, "0.7") + _gave_up(db, "0.7")
    after = run_process("tag", "x", "--db", str(db), "--wait", "0.6")
    assert after.code == 3 and after.err == _waiting(db, "0.6") + _gave_up(db, "0.6")
    now = run_process("--db", str(db), "--wait", "0", *ADD, env={"GAINLOG_WAIT": "99"})
    assert now.code == 3 and now.err == _gave_up(db, "0")  # --wait beats $GAINLOG_WAIT; 0: no notice


@pytest.mark.slow
def test_a_writer_waits_for_the_lock_and_then_writes(db: Path, tmp_path: Path) -> None:
    holder = _hold(db, tmp_path, 4)  # long enough for the writer to start and find it locked
    try:
        proc = subprocess.run(
            [*GAINLOG, "--db", str(db), *ADD, "--json"], cwd=REPO, capture_output=True, text=True, timeout=120,
            env={k: v for k, v in os.environ.items() if k != "GAINLOG_WAIT"},
        )
    finally:
        holder.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == _waiting(db, "30")  # once, with the default
    assert '"seq": 1' in proc.stdout


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon", "86401"])
def test_wait_must_be_a_number_of_seconds(value: str, gainlog: Callable[..., Result]) -> None:
    result = gainlog("--wait", value, "log")
    assert result.code == 2
    assert result.err == f"gainlog: --wait {value!r}: give a number of seconds from 0 to 86400\n"


def test_gainlog_wait_must_be_a_number_too(gainlog: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAINLOG_WAIT", "later")
    result = gainlog("log")
    assert result.code == 2
    assert result.err == "gainlog: $GAINLOG_WAIT 'later': give a number of seconds from 0 to 86400\n"


def test_the_default_wait_is_30_seconds(db: Path, gainlog: Callable[..., Result]) -> None:
    from gainlog.cli.app import State

    assert gainlog("log").code == 0
    assert State.wait == DEFAULT_WAIT == 30.0
    with Store.open(db) as store:
        assert store.wait == 30.0
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
