"""`explain` and `diff` show event times in the ledger's time zone with the zone named, as `log`
does (issue 17); their JSON keeps RFC 3339 UTC."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from ledger.store import Store


def test_explain_and_diff_show_event_times_in_the_ledgers_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ny.db"
    Store.create(db, timezone="America/New_York").close()
    for args in (
        ["add", "buy", "--at", "2024-01-02T17:00:00Z", "--wallet", "w", "--asset", "BTC", "--qty", "1",
         "--price", "100", "--id", "b"],
        ["tag", "before"],
        ["add", "sell", "--at", "2024-07-01T16:30:00Z", "--wallet", "w", "--asset", "BTC", "--qty", "1",
         "--price", "150", "--id", "s"],
    ):
        assert main(["--db", str(db), *args]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "explain", "--year", "2024"]) == 0
    out = capsys.readouterr().out
    assert "  seq 2 sell 2024-07-01 12:30 EDT cli:s\n" in out  # 16:30 UTC is 12:30 in New York in July
    assert "  seq 1 buy 2024-01-02 12:00 EST cli:b\n" in out
    assert main(["--db", str(db), "diff", "--year", "2024", "--from", "before"]) == 0
    assert "  seq 2  sell 2024-07-01 12:30 EDT  cli:s\n" in capsys.readouterr().out
    assert main(["--db", str(db), "explain", "--year", "2024", "--json"]) == 0
    assert '"at": "2024-07-01T16:30:00Z"' in capsys.readouterr().out
