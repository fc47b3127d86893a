"""Shared fixtures: a fresh ledger per test, and the CLI run in-process or as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `from helpers import records`

REPO = Path(__file__).resolve().parent.parent
GAINLOG = [sys.executable, "-c", "from gainlog.cli.main import run; run()"]


class Result(msgspec.Struct):
    """What one command line did."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The path of a fresh, initialised ledger (time zone UTC)."""
    from gainlog.ledger.store import Store

    path = tmp_path / "ledger.db"
    Store.create(path).close()
    return path


@pytest.fixture
def gainlog(db: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `gainlog --db DB ARGS...` in-process; returns exit code, stdout and stderr."""
    from gainlog.cli.main import main

    def run(*args: str, ledger: Path | None = None) -> Result:
        capsys.readouterr()
        code = main(["--db", str(ledger or db), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def run_process(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
    """Run gainlog as a real process (for exit codes and tracebacks end to end)."""
    proc = subprocess.run(
        [*GAINLOG, *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def write_jsonl(path: Path, lines: list[dict[str, Any] | str]) -> Path:
    """Write events (dicts or raw text lines) as a .jsonl file."""
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


BUY = {
    "type": "buy",
    "at": "2024-01-02T12:00:00Z",
    "wallet": "coinbase",
    "asset": "BTC",
    "qty": "1",
    "price": "10000",
}
SELL = {
    "type": "sell",
    "at": "2024-02-01T12:00:00Z",
    "wallet": "coinbase",
    "asset": "BTC",
    "qty": "1",
    "price": "12000",
}
