"""`gainlog report donations --year Y [--json]` and the `lost` warning, end to end (CONTRACT §4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import Result, write_jsonl

LINES = [
    {"type": "buy", "id": "b23", "at": "2023-01-05", "wallet": "w", "asset": "BTC", "qty": "1", "total": "17000"},
    {"type": "buy", "id": "b24", "at": "2024-02-01", "wallet": "w", "asset": "BTC", "qty": "1", "total": "43000"},
    {"type": "donate", "id": "d", "at": "2024-12-15", "wallet": "w", "asset": "BTC", "qty": "1.5", "fmv": "150000"},
    {"type": "lost", "id": "l", "at": "2024-12-20", "wallet": "w", "asset": "BTC", "qty": "0.25"},
]


def test_report_donations_json_lists_what_form_8283_asks(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    """FIFO: 1.5 BTC donated 2024-12-15 = all of the 2023 lot (basis 17,000, long-term) and 0.5 of the
    2024 lot (basis 21,500, short-term) -> basis 38,500.00, date acquired VARIOUS, term mixed, fmv
    150,000.00. The 0.25 BTC lost on 2024-12-20 is listed as a warning (no deduction since 2018)."""
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", LINES))).code == 0
    result = gainlog("report", "donations", "--year", "2024", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert (report["year"], report["total_fmv"], report["total_basis"]) == (2024, "150000.00", "38500.00")
    [row] = report["rows"]
    assert {k: row[k] for k in ("date", "asset", "qty", "wallet", "key", "fmv", "basis", "date_acquired", "term")} == {
        "date": "2024-12-15", "asset": "BTC", "qty": "1.5", "wallet": "w", "key": "e.jsonl:d", "fmv": "150000.00",
        "basis": "38500.00", "date_acquired": "VARIOUS", "term": "mixed",
    }
    assert row["lots"] == [
        {"lot": "e.jsonl:b23", "qty": "1", "basis": "17000.00", "date_acquired": "2023-01-05", "term": "long"},
        {"lot": "e.jsonl:b24", "qty": "0.5", "basis": "21500.00", "date_acquired": "2024-02-01", "term": "short"},
    ]
    [warning] = report["warnings"]
    assert "0.25 BTC lost from 'w' on 2024-12-20" in warning and "§165(h)(5)" in warning
    assert gainlog("report", "donations", "--year", "2023", "--json").json()["rows"] == []
    table = gainlog("report", "donations", "--year", "2024")
    assert table.code == 0 and "38500.00" in table.out and "150000.00" in table.out


def test_lost_units_leave_no_row_and_schedule_d_warns(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", LINES))).code == 0
    assert gainlog("report", "8949", "--year", "2024", "--json").json() == []
    warnings = gainlog("report", "schedule-d", "--year", "2024", "--json").json()["warnings"]
    assert any("no deduction for a personal casualty or theft loss since 2018" in w for w in warnings)
    lots = gainlog("lots", "--json").json()
    assert [(r["lot"], r["qty"]) for r in lots] == [("e.jsonl:b24", "0.25")]
