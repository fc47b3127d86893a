"""Property: 8949 rows reconcile to Schedule D to the cent, and the carryover chain is unbroken (R5.4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from gainlog.projections.model import Booked, Slice
from gainlog.projections.reports import form8949_json, schedule_d_json
from gainlog.projections.tax_year import tax_years
from helpers import make_slice
from hypothesis import given, settings
from hypothesis import strategies as st

amounts = st.decimals(min_value=D(0), max_value=D(100000), places=4, allow_nan=False, allow_infinity=False)


@st.composite
def slices(draw: st.DrawFn) -> list[Slice]:
    out = []
    for seq in range(1, draw(st.integers(0, 25)) + 1):
        year = draw(st.integers(2021, 2026))
        term = draw(st.sampled_from(["short", "long"]))
        sold = date(year, draw(st.integers(1, 12)), draw(st.integers(1, 28)))
        acquired = date(year - 2, 1, 1) if term == "long" else date(year, 1, 1)
        out.append(
            make_slice(
                seq=seq,
                term=term,
                date_sold=sold,
                date_acquired=acquired,
                proceeds=draw(amounts),
                basis=draw(amounts),
                adjustment=draw(st.sampled_from([D(0), D("12.345")])),
                asset_class=draw(st.sampled_from(["crypto", "stock"])),
                covered=draw(st.booleans()),
            )
        )
    return out


@settings(max_examples=80, deadline=None)
@given(slices())
def test_rows_sum_to_schedule_d_and_carryover_chains(ss: list[Slice]) -> None:
    ty = tax_years(
        Booked(slices=tuple(ss), acquisitions=(), open_lots=(), income=(), problems=()),
        [],
        tz=ZoneInfo("UTC"),
    )
    for year, sd in ty.years.items():
        rows = form8949_json(ty.rows_of(year))
        report = schedule_d_json(sd)
        for term in ("short_term", "long_term"):
            part = [r for r in rows if r["term"] == term.split("_")[0]]
            for column, total in (
                ("proceeds", "proceeds"),
                ("cost_basis", "cost_basis"),
                ("adjustment", "adjustments"),
                ("gain", "gain"),
            ):
                assert sum((D(r[column]) for r in part), D(0)) == D(report[term][total])
            for r in part:
                assert D(r["gain"]) == D(r["proceeds"]) - D(r["cost_basis"]) + D(r["adjustment"])
        if year + 1 in ty.years:  # no carryover events here: out of Y == in of Y+1 (R5.4)
            assert schedule_d_json(ty.years[year + 1])["carryover_in"] == report["carryover_out"]
        assert D(report["deduction"]) <= D(3000)
        assert D(report["net"]) == D(report["net_short_term"]) + D(report["net_long_term"])
    assert sum(len(ty.rows_of(y)) for y in ty.years) == len(ss)
