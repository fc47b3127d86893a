"""Exports as users download them (issue #12): every layout in fixtures/real/, field by field.

One fixture per layout, written to the vendor's column names and value formats (docs/formats.md
names where each layout was confirmed); each test checks the events a row becomes (qty, money,
fee, time with its zone), the import summary, and Form 8949 numbers where fees matter.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import Result

from ledger import codec, formats
from ledger.errors import InvalidEvent

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
UTC = ZoneInfo("UTC")


def events_of(name: str, path: Path, **kwargs: Any) -> dict[int, dict[str, Any]]:
    """CSV line -> canonical event dict."""
    conversion = formats.convert(name, path, tz=UTC, **kwargs)
    return {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}


def edited(tmp_path: Path, fixture: str, line: int, old: str, new: str) -> Path:
    lines = (REAL / fixture).read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path = tmp_path / fixture
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- rows gainlog does not know ----------------------------------------------------------------


def test_internal_moves_are_skipped_and_counted() -> None:
    path = REAL / "coinbase_internal.csv"
    conversion = formats.convert("coinbase", path, tz=UTC)
    events = {int(p.where.rsplit(":", 1)[1]): codec.canonical(p.event) for p in conversion.events}
    assert events == {
        4: {"type": "buy", "at": "2024-02-01T10:00:00Z", "wallet": "coinbase", "asset": "SOL", "qty": "20",
            "total": "2000", "fee": "20", "id": "65bb1c2d3e4f5a6b7c8d9e01", "txid": "65bb1c2d3e4f5a6b7c8d9e01",
            "note": "Bought 20 SOL for 2020 USD"},
        6: {"type": "income", "at": "2024-03-01T00:12:40Z", "wallet": "coinbase", "asset": "SOL", "qty": "0.05",
            "value": "6", "kind": "staking", "id": "65e11a2b3c4d5e6f70819203", "txid": "65e11a2b3c4d5e6f70819203"},
    }
    assert conversion.warnings == []
    assert conversion.notes == [
        f"{path}: skipped 6 internal move(s) inside the Coinbase account (no lot changes, not taxable): "
        "'Retail Staking Transfer' ×1 (line 5), 'Retail Unstaking Transfer' ×1 (line 7), "
        "'Vault Withdrawal' ×1 (line 8), 'Cash to Savings' ×1 (line 9), 'Retail Eth2 Deprecation' ×2 (lines 10, 11)"
    ]
    assert [(s.where.rsplit(":", 1)[1], s.reason) for s in conversion.skipped] == [
        ("5", "internal"), ("7", "internal"), ("8", "internal"), ("9", "internal"), ("10", "internal"),
        ("11", "internal")]


def test_unknown_types_are_listed_at_once(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = edited(tmp_path, "coinbase_internal.csv", 5, "Retail Staking Transfer", "Stake")
    text = path.read_text(encoding="utf-8").replace("Vault Withdrawal", "Stake").replace(
        "Cash to Savings", "Subscription")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidEvent) as err:
        formats.convert("coinbase", path, tz=UTC)
    assert str(err.value) == (
        f"{path}: 3 rows of 2 kind(s) gainlog does not map: column 'Transaction Type' 'Stake' ×2 (lines 5, 8); "
        "column 'Transaction Type' 'Subscription' ×1 (line 9); nothing imported: pass --skip-unknown to import "
        "the other rows (the skipped ones are listed), or enter them with `gainlog add`"
    )
    refused = gainlog("import", str(path), "--format", "coinbase")
    assert refused.code == 2 and refused.err == f"gainlog: {err.value}\n"
    assert gainlog("log", "--json").json() == []  # nothing appended
    done = gainlog("import", str(path), "--format", "coinbase", "--skip-unknown", "--json")
    assert done.code == 0
    out = done.json()
    assert out["added"] == 2
    assert out["warnings"] == [
        f"{path}: --skip-unknown: skipped 3 rows gainlog does not map ('Stake' ×2 (lines 5, 8), "
        "'Subscription' ×1 (line 9)): they are not in the ledger; enter them with `gainlog add` if they change "
        "what you hold"
    ]
    assert out["skipped"] == [
        {"line": f"{path}:7", "type": "Retail Unstaking Transfer", "reason": "internal"},
        {"line": f"{path}:10", "type": "Retail Eth2 Deprecation", "reason": "internal"},
        {"line": f"{path}:11", "type": "Retail Eth2 Deprecation", "reason": "internal"},
        {"line": f"{path}:5", "type": "Stake", "reason": "unknown"},
        {"line": f"{path}:8", "type": "Stake", "reason": "unknown"},
        {"line": f"{path}:9", "type": "Subscription", "reason": "unknown"},
    ]
    assert len(out["notes"]) == 1 and "skipped 3 internal move(s)" in out["notes"][0]
    assert "gainlog: warning: " in done.err


def test_notes_follow_the_summary_line(gainlog: Callable[..., Result]) -> None:
    path = REAL / "coinbase_internal.csv"
    result = gainlog("import", str(path), "--format", "coinbase")
    assert result.code == 0 and result.err == ""
    first, second = result.out.splitlines()
    assert first.startswith(f"{path}: 2 added, 0 duplicate(s)")
    assert second.startswith(f"{path}: skipped 6 internal move(s) inside the Coinbase account")


def test_skip_unknown_is_for_converted_exports_only(gainlog: Callable[..., Result]) -> None:
    result = gainlog("import", str(REAL.parent / "sample" / "events.jsonl"), "--skip-unknown")
    assert result.code == 2
    assert "--skip-unknown applies to a converted export" in result.err
