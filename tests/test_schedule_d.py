"""R5 Schedule D per year: totals from rounded 8949 rows, netting, worksheet, the carryover chain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any
from zoneinfo import ZoneInfo

from gainlog.ledger.events import Recorded
from gainlog.projections.model import Booked, Problem, Slice
from gainlog.projections.reports import schedule_d_json
from gainlog.projections.tax_year import TaxYears, tax_years
from helpers import make_slice, records

UTC = ZoneInfo("UTC")


def booked(*slices: Slice, problems: tuple[Problem, ...] = ()) -> Booked:
    return Booked(slices=tuple(slices), acquisitions=(), open_lots=(), income=(), problems=problems)


def sale(year: int, gain: int | str, term: str = "short", seq: int = 2, **kw: Any) -> Slice:
    """A slice sold mid-year with the given exact gain (proceeds = basis + gain)."""
    acquired = date(year - 2, 1, 1) if term == "long" else date(year, 1, 2)
    g = D(gain)
    return make_slice(
        seq=seq,
        date_sold=date(year, 6, 1),
        date_acquired=acquired,
        term=term,
        proceeds=D(100000) + g,
        basis=D(100000),
        **kw,
    )


def years(b: Booked, log: list[Recorded] | None = None, through: int | None = None) -> TaxYears:
    return tax_years(b, log or [], tz=UTC, through=through)


def test_r_e7_netting_through_the_ledger() -> None:
    # R-E7: short +10,000 / -4,000 and long +2,000 / -9,000 -> net -1,000, deduction 1,000, no carryover
    ty = years(
        booked(sale(2024, 10000), sale(2024, -4000), sale(2024, 2000, "long"), sale(2024, -9000, "long"))
    )
    assert schedule_d_json(ty.years[2024]) == {
        "year": 2024,
        "filing_status": "single",
        "short_term": {
            "proceeds": "206000.00",
            "cost_basis": "200000.00",
            "adjustments": "0.00",
            "gain": "6000.00",
        },
        "long_term": {
            "proceeds": "193000.00",
            "cost_basis": "200000.00",
            "adjustments": "0.00",
            "gain": "-7000.00",
        },
        "carryover_in": {"short_term": "0.00", "long_term": "0.00"},
        "net_short_term": "6000.00",
        "net_long_term": "-7000.00",
        "net": "-1000.00",
        "deduction": "1000.00",
        "carryover_out": {"short_term": "0.00", "long_term": "0.00"},
        "warnings": [],
    }


def _r_e8(taxable_income: str, line7: int, line15: int) -> TaxYears:
    log = records([{"type": "profile", "year": 2024, "taxable_income": taxable_income}])
    return years(booked(sale(2024, line7), sale(2024, line15, "long")), log)


def test_r_e8_a_through_a_profile_event() -> None:
    # R-E8 a: 50,000; -8,000; -2,000 -> short 5,000, long 2,000, carried into 2025
    ty = _r_e8("50000", -8000, -2000)
    assert ty.years[2024].carryover_out.short_term == D(5000)
    assert ty.years[2024].carryover_out.long_term == D(2000)
    assert schedule_d_json(ty.years[2025])["carryover_in"] == {
        "short_term": "5000.00",
        "long_term": "2000.00",
    }


def test_r_e8_b_negative_taxable_income() -> None:
    # R-E8 b: -1,200; -1,000; -9,000 -> L4 = 1,800, short 0, long 8,200
    ty = _r_e8("-1200", -1000, -9000)
    assert ty.years[2024].worksheet.l4 == D(1800)
    assert schedule_d_json(ty.years[2024])["carryover_out"] == {"short_term": "0.00", "long_term": "8200.00"}
    assert ty.years[2024].netting.deduction == D(3000)  # the deduction itself is not reduced (R5.2)


def test_r_e8_c() -> None:
    # R-E8 c: 60,000; +2,000; -12,000 -> short 0, long 7,000
    ty = _r_e8("60000", 2000, -12000)
    assert schedule_d_json(ty.years[2024])["carryover_out"] == {"short_term": "0.00", "long_term": "7000.00"}


def test_mfs_deduction_1500_and_carryover() -> None:
    # R5.2: married filing separately -> 1,500; R5.3: the rest carries
    log = records([{"type": "profile", "year": 2024, "filing_status": "mfs"}])
    sd = schedule_d_json(years(booked(sale(2024, -5000)), log).years[2024])
    assert (sd["filing_status"], sd["deduction"], sd["carryover_out"]) == (
        "mfs",
        "1500.00",
        {"short_term": "3500.00", "long_term": "0.00"},
    )


def test_profiles_merge_field_by_field_later_seq_wins() -> None:
    # CONTRACT §2: fields left out inherit; later seq wins
    log = records(
        [
            {"type": "profile", "year": 2024, "filing_status": "mfs", "taxable_income": "-50000"},
            {"type": "profile", "year": 2024, "taxable_income": "100000"},
            {"type": "profile", "year": 2025, "filing_status": "mfj"},
        ]
    )
    ty = years(booked(sale(2024, -5000)), log)
    assert (ty.years[2024].filing_status, ty.years[2024].taxable_income) == ("mfs", D(100000))
    assert ty.years[2025].filing_status == "mfj"
    assert ty.years[2024].carryover_out.short_term == D(3500)


def test_opening_carryover_event() -> None:
    # R5.4: a carryover event supplies the amounts carried into the ledger's first year
    log = records([{"type": "carryover", "year": 2023, "short_term": "1000", "long_term": "6000"}])
    ty = years(booked(sale(2024, 500)), log)
    assert ty.first == 2023
    y23 = schedule_d_json(ty.years[2023])
    assert (y23["carryover_in"], y23["net_short_term"], y23["net_long_term"], y23["deduction"]) == (
        {"short_term": "1000.00", "long_term": "6000.00"},
        "-1000.00",
        "-6000.00",
        "3000.00",
    )
    # worksheet: L5 = 1,000, L7 = 3,000 -> short 0; L9 = 6,000, L11 = 2,000 -> long 4,000
    assert y23["carryover_out"] == {"short_term": "0.00", "long_term": "4000.00"}
    y24 = schedule_d_json(ty.years[2024])
    assert (y24["net_short_term"], y24["net_long_term"], y24["net"], y24["deduction"]) == (
        "500.00",
        "-4000.00",
        "-3500.00",
        "3000.00",
    )
    # L10 = 500, L11 = 3,000 -> long 4,000 - 3,500 = 500
    assert y24["carryover_out"] == {"short_term": "0.00", "long_term": "500.00"}


def test_a_year_without_trades_between_two_loss_years() -> None:
    # R5.4: carryovers chain through every year, including years with no trades
    ty = years(booked(sale(2022, -10000, seq=2), sale(2024, -2000, "long", seq=3)))
    assert [y for y in ty.years] == [2022, 2023, 2024, 2025]
    assert ty.years[2022].carryover_out.short_term == D(7000)
    y23 = schedule_d_json(ty.years[2023])
    assert (y23["short_term"]["gain"], y23["carryover_in"], y23["deduction"], y23["carryover_out"]) == (
        "0.00",
        {"short_term": "7000.00", "long_term": "0.00"},
        "3000.00",
        {"short_term": "4000.00", "long_term": "0.00"},
    )
    y24 = schedule_d_json(ty.years[2024])
    assert (y24["net_short_term"], y24["net_long_term"], y24["net"], y24["deduction"]) == (
        "-4000.00",
        "-2000.00",
        "-6000.00",
        "3000.00",
    )
    assert y24["carryover_out"] == {"short_term": "1000.00", "long_term": "2000.00"}
    assert ty.report_years() == [2022, 2023, 2024, 2025]


def test_carryover_event_after_the_first_year_overrides_with_a_warning() -> None:
    # R5.4 / CONTRACT §2: a carryover event replaces what the ledger computed for that year
    log = records(
        [
            {"type": "buy", "at": "2022-01-05", "wallet": "cb", "asset": "BTC", "qty": "1", "price": "1"},
            {"type": "carryover", "year": 2023, "short_term": "100", "long_term": "0"},
        ]
    )
    ty = years(booked(sale(2022, -10000, seq=9)), log)
    assert ty.years[2023].carryover_in.short_term == D(100)
    assert ty.years[2023].carryover_from_event == 2
    assert any("replaces the carryover computed from 2022" in w for w in ty.years[2023].warnings)


def test_warnings_by_year_of_the_event() -> None:
    # CONTRACT §3: reports list each tax fact under `warnings`
    log = records(
        [
            {"type": "buy", "at": "2023-01-05", "wallet": "cb", "asset": "BTC", "qty": "1", "price": "1"},
            {"type": "sell", "at": "2024-01-05", "wallet": "cb", "asset": "BTC", "qty": "2", "price": "1"},
        ]
    )
    problems = (
        Problem(code="missing-basis", message="sold 1 BTC more than held", seq=2),
        Problem(code="other", message="global", seq=0),
    )
    ty = years(booked(sale(2024, 1, seq=2), problems=problems), log)
    assert ty.years[2024].warnings == ("global", "sold 1 BTC more than held")
    assert ty.years[2023].warnings == ("global",)


def test_totals_are_sums_of_rounded_rows() -> None:
    # CONTRACT §3: three rows of 0.005 gain each round to 0.01 each -> 0.03 (not round(0.015) = 0.02)
    slices = [make_slice(seq=i, proceeds=D("0.005"), basis=D(0)) for i in (2, 3, 4)]
    sd = schedule_d_json(years(booked(*slices)).years[2024])
    assert sd["short_term"] == {
        "proceeds": "0.03",
        "cost_basis": "0.00",
        "adjustments": "0.00",
        "gain": "0.03",
    }


def test_requested_year_outside_the_ledger() -> None:
    ty = years(booked(sale(2024, 100)), through=2027)
    assert list(ty.years) == [2024, 2025, 2026, 2027]
    assert years(booked(), through=2020).years[2020].netting.line16 == D(0)
    assert years(booked()).years == {}


def test_box_totals() -> None:
    ty = years(booked(sale(2025, 100, asset_class="stock", covered=True), sale(2025, -30, "long")))
    assert [(b.box, b.rows, b.amounts.gain) for b in ty.years[2025].boxes] == [
        ("A", 1, D(100)),
        ("L", 1, D(-30)),
    ]


def test_wallet_event_picks_1099_da_box() -> None:
    log = records([{"type": "wallet", "wallet": "cb", "reports": "1099-DA"}])
    ty = years(booked(sale(2025, 100)), log)
    assert ty.rows_of(2025)[0].box == "H"
