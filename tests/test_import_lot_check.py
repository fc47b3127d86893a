"""A sell's `lots` is checked against lot state at import (CONTRACT §2; issue #3): unknown lot or
more than the lot holds is refused with file, line and field, and nothing is appended."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, write_jsonl
from gainlog.ledger.events import Recorded

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


def test_lots_named_by_a_later_correction_are_late(tmp_path: Path, gainlog: Run) -> None:
    """R3.6: a corrected export whose sell now names `lots` still applies, with a warning."""
    from freezegun import freeze_time

    sell = {k: v for k, v in _sell([]).items() if k != "lots"}
    with freeze_time("2025-09-03T10:00:00Z"):
        assert gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", [*BUYS, sell])), "--source", "x").code == 0
    before = gainlog("report", "schedule-d", "--year", "2025", "--json").json()
    assert before["warnings"] == [] and before["short_term"]["gain"] == "80.00"  # FIFO: lot a, 100 - 20
    corrected = [*BUYS, _sell([{"lot": "b", "qty": "10"}])]
    with freeze_time("2026-02-01T10:00:00Z"):
        assert gainlog("import", str(write_jsonl(tmp_path / "c.jsonl", corrected)), "--source", "x",
                       "--replace").code == 0
    after = gainlog("report", "schedule-d", "--year", "2025", "--json").json()
    assert after["short_term"]["gain"] == "50.00"  # the correction applies: lot b, 100 - 50
    (warning,) = after["warnings"]
    assert "x:s" in warning and "2026-02-01" in warning and "2025-09-03" in warning and "R3.6" in warning
    # as it was known before the correction: no warning, FIFO
    filed = gainlog("report", "schedule-d", "--year", "2025", "--as-of", "3", "--json").json()
    assert filed["warnings"] == [] and filed["short_term"]["gain"] == "80.00"


def test_a_sell_naming_lots_replays_only_the_assets_it_can_touch(
    tmp_path: Path, gainlog: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check replays the shard of the sold asset, the named lots' assets and what a rename joins to
    them (`checks._shard`), not the whole log: a sell of the last asset of 200,000 events took 3.5 s."""
    from gainlog.projections import engine

    lines = [
        {"type": "buy", "id": "o", "at": "2025-01-02T12:00:00Z", "wallet": "w", "asset": "OLD", "qty": "4",
         "price": "1"},
        {"type": "rename", "id": "r", "at": "2025-02-01T12:00:00Z", "asset": "OLD", "to": "DE"},
        *BUYS,
        {"type": "buy", "id": "x", "at": "2025-03-01T12:00:00Z", "wallet": "w", "asset": "XX", "qty": "9",
         "price": "1"},
        {"type": "swap", "id": "y", "at": "2025-03-02T12:00:00Z", "wallet": "w", "give_asset": "XX",
         "give_qty": "1", "get_asset": "YY", "get_qty": "1", "value": "1"},
    ]
    assert gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", lines))).code == 0
    seen: list[set[str]] = []
    check = engine.check_lot_references

    def spy(records: list[Recorded], **kwargs: Any) -> list[str]:
        seen.append({getattr(r.event, "asset", None) or getattr(r.event, "give_asset", "") for r in records} - {""})
        return check(records, **kwargs)

    monkeypatch.setattr(engine, "check_lot_references", spy)
    sell = {**_sell([{"lot": "t.jsonl:a", "qty": "2"}, {"lot": "t.jsonl:o", "qty": "4"}]), "qty": "6"}
    assert gainlog("import", str(write_jsonl(tmp_path / "s.jsonl", [sell]))).code == 0
    assert seen == [{"OLD", "DE"}]
    seen.clear()  # a refusal is worded by the whole log's replay, after the shard's
    bad = gainlog("import", str(write_jsonl(tmp_path / "b.jsonl", [{**_sell([{"lot": "t.jsonl:b", "qty": "30"}]),
                                                                    "id": "s2"}])))
    assert bad.code == 2
    assert bad.err == (f"gainlog: {tmp_path / 'b.jsonl'}:1: field 'lots': sell of 10 DE names 30 units in `lots` but"
                       " sells only 10\n")
    assert seen == [{"OLD", "DE"}, {"OLD", "DE", "XX"}]
