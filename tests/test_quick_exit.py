"""The console script's quick exit (issue #19, `cli.main.quick_exit`): after the command, the ledger
connections still open are closed, stdout and stderr flushed, and the process ends without the
interpreter's shut-down; exit codes, output and the ledger file are as before.

These run the installed `gainlog` script itself, as people do.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import BUY, SELL, Result, write_jsonl

SCRIPT = Path(sys.executable).with_name("gainlog")


def script(*args: str, cwd: Path, stdout: int | None = None) -> Result:
    """`gainlog ARGS` as a process (stdout to the file descriptor `stdout` when given)."""
    proc = subprocess.run([str(SCRIPT), *args], stdout=subprocess.PIPE if stdout is None else stdout,
                          stderr=subprocess.PIPE, text=True, cwd=cwd, timeout=120)
    return Result(proc.returncode, proc.stdout or "", proc.stderr)


def closed_files(db: Path) -> None:
    """Assert the ledger was closed as a last connection closes: no `-wal` or `-shm` file left, the
    file whole."""
    assert not db.with_name(db.name + "-wal").exists() and not db.with_name(db.name + "-shm").exists()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


def test_init_import_report_all_leave_a_closed_ledger(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    done = script("--db", str(db), "init", cwd=tmp_path)
    assert (done.code, done.err) == (0, "") and done.out.startswith(f"Created ledger {db}")
    closed_files(db)
    ledger = write_jsonl(tmp_path / "t.jsonl", [BUY, SELL])
    done = script("--db", str(db), "import", str(ledger), cwd=tmp_path)
    assert (done.code, done.err) == (0, "")
    assert done.out == f"{ledger}: 2 added, 0 duplicate(s), 0 retracted, source 't.jsonl' (seq 1-2, batch 1).\n"
    closed_files(db)
    # `report all` leaves its replay's connection open when the command returns: the exit closes it
    done = script("--db", str(db), "report", "all", "--out", "out", cwd=tmp_path)
    assert (done.code, done.err) == (0, "")
    assert (tmp_path / "out" / "2024" / "form8949.csv").read_text().count("\n") == 2
    closed_files(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (2,)


def test_an_error_exit_keeps_its_code_and_message(tmp_path: Path) -> None:
    done = script("--db", str(tmp_path / "none.db"), "log", cwd=tmp_path)
    assert done.code == 2 and done.out == ""
    assert done.err == f"gainlog: no ledger at {tmp_path / 'none.db'}: run `gainlog init` first (or pass --db / set " \
                       "$GAINLOG_DB)\n"
    db = tmp_path / "l.db"
    assert script("--db", str(db), "init", cwd=tmp_path).code == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "buy"}\n')
    done = script("--db", str(db), "import", str(bad), cwd=tmp_path)
    assert done.code == 2 and done.err.startswith(f"gainlog: {bad}:1: ") and len(done.err.splitlines()) == 1
    closed_files(db)


def test_a_pipe_closed_early(tmp_path: Path) -> None:
    """`gainlog log | head -1` with the reader gone before anything is written: exit 1 and nothing on
    stderr, as click answers a broken pipe; the ledger is closed all the same."""
    db = tmp_path / "l.db"
    assert script("--db", str(db), "init", cwd=tmp_path).code == 0
    ledger = write_jsonl(tmp_path / "t.jsonl", [BUY, SELL])
    assert script("--db", str(db), "import", str(ledger), cwd=tmp_path).code == 0
    for args in (["log"], ["report", "schedule-d", "--year", "2024", "--json"]):
        read, write = os.pipe()
        os.close(read)
        try:
            done = script("--db", str(db), *args, cwd=tmp_path, stdout=write)
        finally:
            os.close(write)
        assert (done.code, done.err) == (1, ""), args
        closed_files(db)


RUN = (
    "import atexit, os, sys\n"
    "from gainlog.cli.main import run\n"
    "class Noisy:\n"
    "    def __del__(self): os.write(2, b'shut-down ran\\n')\n"
    "noisy = Noisy()\n"
    "if sys.argv[1] == 'atexit': atexit.register(os.write, 2, b'atexit ran\\n')\n"
    "sys.argv[1:] = ['--version']\n"
    "run()\n"
)


def test_the_shut_down_is_skipped_unless_something_is_owed(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", RUN, "plain"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert (done.returncode, done.stderr) == (0, "") and done.stdout.startswith("gainlog ")
    # an atexit handler (multiprocessing's, a `weakref.finalize`) needs the regular exit: it runs
    done = subprocess.run([sys.executable, "-c", RUN, "atexit"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("gainlog ") and "atexit ran\n" in done.stderr


def test_a_profiler_still_writes_its_file(tmp_path: Path) -> None:
    """`python -m cProfile -o F -m gainlog.cli.main ...` (how CONTRIBUTING profiles a command) gets its
    file: with a profiler or tracer set the regular exit runs."""
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(tmp_path / "prof"), "-m", "gainlog.cli.main",
                           "--version"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert (done.returncode, done.stderr) == (0, "") and done.stdout.startswith("gainlog ")
    assert (tmp_path / "prof").stat().st_size > 0
