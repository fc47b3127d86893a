"""Reports through the real pipeline (lot engine + wash sales), without a database."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from gainlog.projections.pipeline import project
from gainlog.projections.reports import form8949_json, income_rows_json, schedule_d_json
from gainlog.projections.tax_year import TaxYears, tax_years
from helpers import records

UTC = ZoneInfo("UTC")


def replay(lines: list[dict[str, Any]], through: int | None = None) -> tuple[TaxYears, Any]:
    log = records(lines)
    booked = project(log, tz=UTC)
    return tax_years(booked, log, tz=UTC, through=through), booked


def test_r_e6_wash_sale_adjustment_reaches_schedule_d() -> None:
    # R-E6 / R4.4: row proceeds 4,000, basis 5,000, W, adjustment 600, gain -400; Schedule D includes it
    ty, _ = replay(
        [
            {
                "type": "buy",
                "at": "2025-01-10",
                "wallet": "b",
                "asset": "XYZ",
                "class": "stock",
                "qty": "100",
                "total": "5000",
            },
            {
                "type": "sell",
                "at": "2025-06-02",
                "wallet": "b",
                "asset": "XYZ",
                "qty": "100",
                "total": "4000",
            },
            {"type": "buy", "at": "2025-06-20", "wallet": "b", "asset": "XYZ", "qty": "60", "total": "2520"},
            {"type": "sell", "at": "2026-02-10", "wallet": "b", "asset": "XYZ", "qty": "60", "total": "2700"},
        ]
    )
    (row,) = form8949_json(ty.rows_of(2025))
    assert (row["proceeds"], row["cost_basis"], row["code"], row["adjustment"], row["gain"], row["box"]) == (
        "4000.00",
        "5000.00",
        "W",
        "600.00",
        "-400.00",
        "A",
    )
    assert schedule_d_json(ty.years[2025])["short_term"] == {
        "proceeds": "4000.00",
        "cost_basis": "5000.00",
        "adjustments": "600.00",
        "gain": "-400.00",
    }
    (row,) = form8949_json(ty.rows_of(2026))
    assert (row["date_acquired"], row["cost_basis"], row["gain"], row["term"], row["box"]) == (
        "2025-01-28",
        "3120.00",
        "-420.00",
        "long",
        "D",
    )
    # R5.3: 2025 carries 0 (400 < 3,000); 2026 long-term loss 420 deducted
    assert schedule_d_json(ty.years[2026])["deduction"] == "420.00"


def test_r_e9_income_then_short_term_gain() -> None:
    # R-E9 / R7.1: 0.1 ETH staking at 3,000/ETH -> income 300, basis 300; sold for 400 -> short gain 100
    ty, booked = replay(
        [
            {
                "type": "income",
                "at": "2024-03-01",
                "wallet": "w",
                "asset": "ETH",
                "qty": "0.1",
                "value": "300",
                "kind": "staking",
            },
            {"type": "sell", "at": "2024-05-01", "wallet": "w", "asset": "ETH", "qty": "0.1", "total": "400"},
        ]
    )
    report = income_rows_json(booked.income, 2024)
    assert (report["total"], report["by_kind"], len(report["rows"])) == ("300.00", {"staking": "300.00"}, 1)
    assert schedule_d_json(ty.years[2024])["short_term"]["gain"] == "100.00"


def test_mfs_loss_year_chain_through_a_year_without_trades() -> None:
    # R5.2 mfs 1,500; R5.4: 2023 has no trades but takes the carryover and passes the rest on
    # (2023 files single: a profile carries forward, test_profile_carry_forward.py)
    ty, _ = replay(
        [
            {"type": "profile", "year": 2022, "filing_status": "mfs"},
            {"type": "profile", "year": 2023, "filing_status": "single"},
            {"type": "buy", "at": "2022-01-03", "wallet": "cb", "asset": "BTC", "qty": "1", "total": "10000"},
            {"type": "sell", "at": "2022-06-01", "wallet": "cb", "asset": "BTC", "qty": "1", "total": "4000"},
            {"type": "buy", "at": "2024-01-03", "wallet": "cb", "asset": "BTC", "qty": "1", "total": "5000"},
            {"type": "sell", "at": "2024-06-01", "wallet": "cb", "asset": "BTC", "qty": "1", "total": "4000"},
        ]
    )
    y22, y23, y24 = (schedule_d_json(ty.years[y]) for y in (2022, 2023, 2024))
    assert (y22["filing_status"], y22["deduction"], y22["carryover_out"]["short_term"]) == (
        "mfs",
        "1500.00",
        "4500.00",
    )
    assert (
        y23["filing_status"],
        y23["carryover_in"]["short_term"],
        y23["deduction"],
        y23["carryover_out"]["short_term"],
    ) == ("single", "4500.00", "3000.00", "1500.00")
    assert (y24["net_short_term"], y24["deduction"], y24["carryover_out"]["short_term"]) == (
        "-2500.00",
        "2500.00",
        "0.00",
    )


def test_missing_basis_is_listed_under_warnings() -> None:
    # R3.5 / CONTRACT §3: a missing-basis row with basis 0, and a warning in that year's report
    ty, _ = replay(
        [
            {"type": "buy", "at": "2024-01-03", "wallet": "cb", "asset": "BTC", "qty": "1", "total": "100"},
            {"type": "sell", "at": "2024-06-01", "wallet": "cb", "asset": "BTC", "qty": "2", "total": "300"},
        ]
    )
    rows = form8949_json(ty.rows_of(2024))
    missing = [r for r in rows if r["missing_basis"]]
    assert [(r["cost_basis"], r["term"], r["date_acquired"]) for r in missing] == [
        ("0.00", "short", "2024-06-01")
    ]
    assert schedule_d_json(ty.years[2024])["warnings"]
    assert schedule_d_json(ty.years[2024])["short_term"]["gain"] == "200.00"
