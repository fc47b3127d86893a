"""`explain` and `diff` show event times in the ledger's time zone with the zone named, as `log`
does (issue 17); their JSON keeps RFC 3339 UTC."""

from __future__ import annotations

from pathlib import Path

import pytest
from gainlog.cli.main import main
from gainlog.ledger.store import Store


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


def test_explain_off_a_terminal_writes_what_rich_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`explain` off a terminal writes its lines itself (3x faster on a large year); the bytes are the
    ones rich's console writes there: styles dropped, nothing wrapped, control characters visible."""
    from gainlog.cli import render

    db = tmp_path / "l.db"
    Store.create(db, timezone="America/New_York").close()
    sample = Path(__file__).resolve().parent.parent / "fixtures" / "sample" / "events.jsonl"
    assert main(["--db", str(db), "import", str(sample)]) == 0
    assert main(["--db", str(db), "add", "sell", "--at", "2025-06-01", "--wallet", "coinbase", "--asset", "ETH",
                 "--qty", "0.1", "--price", "3000", "--note", "odd \x1b[2J [b]text[/b] " + "x" * 300]) == 0
    outputs = []
    for use_rich in (False, True):
        if use_rich:
            monkeypatch.setattr(render, "printer", render.console)
        capsys.readouterr()
        for year in ("2022", "2025"):
            assert main(["--db", str(db), "explain", "--year", year]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and "odd \\x1b[2J [b]text[/b] " in outputs[0]
