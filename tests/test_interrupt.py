"""Ctrl-C says what happened (issue 17): "interrupted: nothing was written" when the write transaction
was rolled back, "interrupted: the import was committed (N events)" when it had committed. Each case
sends a real SIGINT: in-process at a chosen point (before or after the commit), and to a real process
in the middle of a large import."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BUY, GAINLOG, REPO, Result, write_jsonl
from gainlog.ledger.store import Store


def _sigint_after(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    """Make `owner.name` send this process a SIGINT once it has done its work."""
    original = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return result

    monkeypatch.setattr(owner, name, wrapped)


def _three(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "t.jsonl", [BUY, {**BUY, "qty": "2"}, {**BUY, "qty": "3"}])


def test_ctrl_c_before_the_commit(
    tmp_path: Path, db: Path, gainlog: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    _sigint_after(monkeypatch, Store, "_insert")  # the rows are inserted, the transaction still open
    result = gainlog("import", str(_three(tmp_path)))
    assert result.code == 130
    assert result.err == "gainlog: interrupted: nothing was written\n"
    assert result.out == ""
    with Store.open(db) as store:
        assert store.last_seq() == 0 and store.verify() is None


def test_ctrl_c_after_the_commit(
    tmp_path: Path, db: Path, gainlog: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gainlog import cli
    from gainlog.cli import cmd_ledger  # noqa: F401

    _sigint_after(monkeypatch, Store, "import_file")  # committed, not yet reported
    result = gainlog("import", str(_three(tmp_path)))
    assert result.code == 130
    assert result.err == "gainlog: interrupted: the import was committed (3 events)\n"
    assert len(gainlog("log", "--json").json()) == 3
    monkeypatch.undo()
    _sigint_after(monkeypatch, cli.cmd_ledger, "_show_added")  # while printing what `add` did
    added = gainlog("add", "buy", "--at", "2024-01-02", "--wallet", "w", "--asset", "BTC", "--qty", "1",
                    "--price", "1")
    assert added.code == 130
    assert added.err.endswith("gainlog: interrupted: the write was committed (1 event)\n")
    assert len(gainlog("log", "--json").json()) == 4


def test_ctrl_c_in_a_read_only_command(
    db: Path, gainlog: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    _sigint_after(monkeypatch, Store, "retractions")
    result = gainlog("log", "--json")
    assert result.code == 130 and result.err == "gainlog: interrupted: nothing was written\n"


def test_a_previous_sigint_handler_is_restored(
    db: Path, gainlog: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = signal.getsignal(signal.SIGINT)
    gainlog("log")
    assert signal.getsignal(signal.SIGINT) is before
    _sigint_after(monkeypatch, Store, "retractions")
    assert gainlog("log").code == 130
    assert signal.getsignal(signal.SIGINT) is before


def test_a_second_ctrl_c_does_not_cut_the_message_short(
    tmp_path: Path, db: Path, gainlog: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gainlog import cli
    from gainlog.cli import main  # noqa: F401

    _sigint_after(monkeypatch, Store, "_insert")
    fail = cli.main._fail

    def again(message: str, code: int) -> int:
        os.kill(os.getpid(), signal.SIGINT)  # impatient: Ctrl-C again while gainlog says what happened
        return fail(message, code)

    monkeypatch.setattr(cli.main, "_fail", again)
    result = gainlog("import", str(_three(tmp_path)))
    assert result.code == 130 and result.err == "gainlog: interrupted: nothing was written\n"
    with Store.open(db) as store:
        assert store.last_seq() == 0


def _big(path: Path, lines: int) -> Path:
    with path.open("w") as out:
        for i in range(lines):
            out.write(json.dumps({**BUY, "price": str(i + 1)}) + "\n")
    return path


@pytest.mark.slow
def test_ctrl_c_during_a_large_import_in_a_real_process(tmp_path: Path, db: Path) -> None:
    """SIGINT while the import's rows go into the WAL: exit 130, and the message agrees with the file."""
    lines = 200_000
    path = _big(tmp_path / "big.jsonl", lines)
    wal = db.with_name(db.name + "-wal")
    proc = subprocess.Popen([*GAINLOG, "--db", str(db), "import", str(path)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    start = time.monotonic()  # wait until the transaction spills its rows into the WAL, then Ctrl-C
    while time.monotonic() - start < 60 and (wal.stat().st_size if wal.exists() else 0) <= 2**20:
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err == "gainlog: interrupted: nothing was written\n"
    assert out == ""
    with Store.open(db) as store:
        assert store.last_seq() == 0 and store.verify() is None


@pytest.mark.slow
def test_ctrl_c_after_the_commit_in_a_real_process(tmp_path: Path, db: Path) -> None:
    """A `--replace` import whose JSON answer (every retracted key) fills the pipe nobody reads yet: the
    process is stuck printing after its commit when the SIGINT comes."""
    lines = 20_000
    big = _big(tmp_path / "big.jsonl", lines)
    assert subprocess.run([*GAINLOG, "--db", str(db), "import", str(big), "--source", "s"], cwd=REPO,
                          capture_output=True, timeout=120).returncode == 0
    small = write_jsonl(tmp_path / "small.jsonl", [{**BUY, "qty": "7"}])  # not one of the big file's lines
    proc = subprocess.Popen([*GAINLOG, "--db", str(db), "import", str(small), "--source", "s", "--replace", "--json"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    written = lines + lines + 1  # the first import, its retractions, the new line
    deadline = time.monotonic() + 120
    while True:  # until the batch is committed (the answer is then being written)
        with Store.open(db) as store:
            if store.last_seq() == written:
                break
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.2)
    assert proc.poll() is None  # still blocked on its full stdout
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.decode() == f"gainlog: interrupted: the import was committed ({lines + 1} events)\n"
    with Store.open(db) as store:
        assert store.last_seq() == written and store.verify() is None
