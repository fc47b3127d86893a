"""A sell's `lots` is checked against lot state at import (CONTRACT §2; issue #3): unknown lot or
more than the lot holds is refused with file, line and field, and nothing is appended."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import Result, write_jsonl

Run = Callable[..., Result]
BUYS = [
    {"type": "buy", "id": "a", "at": "2025-03-01T12:00:00Z", "wallet": "w", "asset": "DE", "qty": "10", "price": "2"},
    {"type": "buy", "id": "b", "at": "2025-05-01T12:00:00Z", "wallet": "w", "asset": "DE", "qty": "20", "price": "5"},
]


def _sell(lots: list[dict[str, str]]) -> dict[str, object]:
    return {"type": "sell", "id": "s", "at": "2025-09-02T12:00:00Z", "wallet": "w", "asset": "DE",
            "qty": "10", "total": "100", "lots": lots}


def test_unknown_lot_is_refused_with_file_line_and_field(tmp_path: Path, gainlog: Run) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [*BUYS, _sell([{"lot": "zzz", "qty": "10"}])])
    result = gainlog("import", str(path))
    assert result.code == 2
    assert f"{path}:3: field 'lots'" in result.err and "zzz" in result.err
    assert gainlog("log", "--json").json() == []


def test_more_than_the_lot_holds_is_refused(tmp_path: Path, gainlog: Run) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [*BUYS, _sell([{"lot": "a", "qty": "10"}]),
                                              {**_sell([{"lot": "a", "qty": "5"}]), "id": "s2",
                                               "at": "2025-09-03T12:00:00Z", "qty": "5"}])
    result = gainlog("import", str(path))
    assert result.code == 2 and f"{path}:4: field 'lots'" in result.err
    assert gainlog("log", "--json").json() == []


def test_a_satisfiable_list_imports_and_is_used(tmp_path: Path, gainlog: Run) -> None:
    # R-E4: naming the 2025 lot gives a short-term gain of 50
    path = write_jsonl(tmp_path / "t.jsonl", [*BUYS, _sell([{"lot": "b", "qty": "10"}])])
    assert gainlog("import", str(path)).code == 0
    (row,) = gainlog("report", "8949", "--year", "2025", "--json").json()
    assert (row["lot"], row["gain"], row["term"]) == ("t.jsonl:b", "50.00", "short")


def test_add_sell_checks_lots_too(tmp_path: Path, gainlog: Run) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", BUYS)), "--source", "x").code == 0
    bad = gainlog("add", "sell", "--at", "2025-09-02", "--wallet", "w", "--asset", "DE", "--qty", "1",
                  "--price", "3", "--lots", "x:nope:1")
    assert bad.code == 2 and "add: field 'lots'" in bad.err
    ok = gainlog("add", "sell", "--at", "2025-09-02", "--wallet", "w", "--asset", "DE", "--qty", "1",
                 "--price", "3", "--lots", "x:b:1")
    assert ok.code == 0, ok.err
