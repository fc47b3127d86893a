"""`gainlog backup FILE` (issue #18): a consistent, verified copy through SQLite's backup API, events
still in the -wal file included; and `report all` killed with SIGKILL mid-run leaves the previous
output whole (it writes next to DIR and renames into place).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import GAINLOG, REPO, Result, run_process
from gainlog.ledger import integrity
from gainlog.ledger.store import Store
from tampering import SAMPLE, behind_the_back

Gainlog = Callable[..., Result]


def test_backup_copies_events_still_in_the_wal(tmp_path: Path, gainlog: Gainlog) -> None:
    db = tmp_path / "l.db"
    Store.create(db).close()
    reader = sqlite3.connect(db)  # another connection open: closing the writer moves nothing out of the WAL
    reader.execute("SELECT count(*) FROM events").fetchone()
    try:
        assert gainlog("import", str(SAMPLE), ledger=db).code == 0
        assert Path(f"{db}-wal").stat().st_size > 0
        naive = tmp_path / "naive.db"
        shutil.copyfile(db, naive)  # what the docs warn against: gainlog.db alone
        conn = sqlite3.connect(naive)
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0  # the 51 events are in the -wal
        conn.close()
        copy = tmp_path / "backup.db"
        result = gainlog("backup", str(copy), "--json", ledger=db)
        assert result.code == 0, result.err
        with Store.open(db) as store:
            head = store.hash_at(51)
        assert result.json() == {"file": str(copy), "events": 51, "head": {"seq": 51, "hash": head}, "ok": True}
    finally:
        reader.close()
    with Store.open(copy) as store:
        outcome = integrity.verify(store)
        assert (outcome.problem, outcome.events, outcome.head_hash) == (None, 51, head)
    assert gainlog("verify", "--head", f"51:{head}", ledger=copy).code == 0


def test_backup_human_output_and_refusals(db: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    assert gainlog("import", str(SAMPLE)).code == 0
    copy = tmp_path / "b.db"
    result = gainlog("backup", str(copy))
    assert result.code == 0 and " ".join(result.out.split()).startswith(
        f"Backed up 51 event(s) to {copy} and verified the copy (head 51:"
    )
    again = gainlog("backup", str(copy))
    assert again.code == 2 and again.err == f"gainlog: {copy} already exists; give backup a new file name\n"


def test_backup_of_a_tampered_ledger_fails(db: Path, gainlog: Gainlog, tmp_path: Path) -> None:
    assert gainlog("import", str(SAMPLE)).code == 0
    with behind_the_back(db) as conn:
        conn.execute("UPDATE batches SET origin = 'x', recorded_at = '2000-01-01T00:00:00.000000Z'")
    copy = tmp_path / "b.db"
    result = gainlog("backup", str(copy))
    assert result.code == 4 and result.err == (
        f"gainlog: the copy at {copy} does not verify: batch 1: its source, recorded_at or seq range (1-51) "
        "disagree with seq 1, which the chain covers\n"
    )


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_kill_9_during_report_all_leaves_the_previous_output(tmp_path: Path) -> None:
    db, events, out = tmp_path / "big.db", tmp_path / "g.jsonl", tmp_path / "reports"
    assert run_process("generate", "--events", "30000", "--seed", "3", "--out", str(events)).code == 0
    assert run_process("--db", str(db), "init").code == 0
    assert run_process("--db", str(db), "import", str(events)).code == 0
    assert run_process("--db", str(db), "report", "all", "--out", str(out)).code == 0
    before = _snapshot(out)
    assert len(before) > 30
    # one more sale, so that a finished run would change the files
    assert run_process("--db", str(db), "add", "sell", "--at", "2019-06-01", "--wallet", "w", "--asset", "BTC",
                       "--qty", "0.001", "--price", "1").code == 0
    proc = subprocess.Popen([*GAINLOG, "--db", str(db), "report", "all", "--out", str(out)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    work: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        work = [f for d in tmp_path.glob(".reports.gainlog-*") for f in d.rglob("*") if f.is_file()]
        if len(work) >= 2:  # mid-run: some year's files are being written
            break
        time.sleep(0.002)
    assert proc.poll() is None and work, "report all ended before it could be killed mid-run"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert _snapshot(out) == before  # byte for byte, no file half-written, none added or removed
    # the killed run's folder stays next to DIR, never inside it; the next run completes
    assert run_process("--db", str(db), "report", "all", "--out", str(out)).code == 0
    after = _snapshot(out)
    assert after != before and set(after) == set(before)
    assert run_process("--db", str(db), "verify", "--manifest", str(out / "manifest.json")).code == 0
