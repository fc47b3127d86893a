"""`report tax` and TAX_RULES R8: the federal tax estimate from bracket tables (CONTRACT §4 "Tax estimate")."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, write_jsonl
from gainlog.ledger import codec
from gainlog.projections.rules.brackets import TABLE_STATUSES, TABLE_YEARS, table_for
from gainlog.projections.rules.tax_estimate import estimate

Run = Callable[..., Result]

# TAX_RULES R8: the revenue procedure of each year's table
SOURCES = {
    2018: "Rev. Proc. 2018-18", 2019: "Rev. Proc. 2018-57", 2020: "Rev. Proc. 2019-44", 2021: "Rev. Proc. 2020-45",
    2022: "Rev. Proc. 2021-45", 2023: "Rev. Proc. 2022-38", 2024: "Rev. Proc. 2023-34", 2025: "Rev. Proc. 2024-40",
    2026: "Rev. Proc. 2025-32",
}


def _gain(asset: str, *, bought: str, sold: str, cost: str, proceeds: str) -> list[dict[str, Any]]:
    return [
        {"type": "buy", "at": bought, "wallet": "broker", "asset": asset, "qty": "1", "price": cost, "class": "stock"},
        {"type": "sell", "at": sold, "wallet": "broker", "asset": asset, "qty": "1", "price": proceeds},
    ]


def _ledger(run: Run, tmp_path: Path, lines: list[dict[str, Any]]) -> None:
    result = run("import", str(write_jsonl(tmp_path / "year.jsonl", lines)))
    assert result.code == 0, result.err


def test_every_year_2018_to_2026_has_a_table_per_status_citing_its_rev_proc() -> None:
    assert tuple(range(2018, 2027)) == TABLE_YEARS
    for year in TABLE_YEARS:
        for status in TABLE_STATUSES:
            table = table_for(year, status)
            assert table is not None and table.source == SOURCES[year]
            assert list(table.tops) == sorted(table.tops) and len(table.tops) == 6
            assert table.zero_rate_top < table.fifteen_rate_top
    assert table_for(2017, "single") is None and table_for(2027, "single") is None


def test_qss_uses_the_mfj_table_and_the_r_e12_figures_are_2025_single() -> None:
    qss, mfj = table_for(2025, "qss"), table_for(2025, "mfj")
    assert qss is not None and mfj is not None and (qss.tops, qss.zero_rate_top) == (mfj.tops, mfj.zero_rate_top)
    single = table_for(2025, "single")
    assert single is not None
    assert single.tops == tuple(D(x) for x in (11925, 48475, 103350, 197300, 250525, 626350))
    assert (single.zero_rate_top, single.fifteen_rate_top) == (D(48350), D(533400))


@pytest.mark.parametrize(
    ("line15", "line16", "deduction", "tax"),
    [
        (D(20000), D(35000), D(0), D("27047.00")),  # R-E12
        (D(20000), D(20000), D(0), D("23447.00")),  # R-E12 with a 15,000 short-term loss harvested
        (D(5000), D(20000), D(0), D("24797.00")),  # R-E12 with a 15,000 long-term loss instead
    ],
)
def test_r_e12_by_the_formula(line15: D, line16: D, deduction: D, tax: D) -> None:  # R8.1, R8.2
    table = table_for(2025, "single")
    assert table is not None
    result = estimate(other_income=D(115000), line15=line15, line16=line16, deduction=deduction, table=table)
    assert result.tax == tax


def test_r_e12_through_report_tax_json(gainlog: Run, tmp_path: Path) -> None:
    _ledger(gainlog, tmp_path, [
        {"type": "profile", "year": 2025, "filing_status": "single", "other_income": "115000"},
        *_gain("ST", bought="2025-01-10", sold="2025-06-10", cost="10000", proceeds="25000"),
        *_gain("LT", bought="2023-01-10", sold="2025-06-10", cost="10000", proceeds="30000"),
    ])
    result = gainlog("report", "tax", "--year", "2025", "--json")
    assert result.code == 0, result.err
    value = result.json()
    assert {k: value[k] for k in ("year", "filing_status", "other_income", "taxable_income", "ordinary_tax",
                                  "capital_gain_tax", "tax", "table")} == {
        "year": 2025, "filing_status": "single", "other_income": "115000.00", "taxable_income": "150000.00",
        "ordinary_tax": "24047.00", "capital_gain_tax": "3000.00", "tax": "27047.00", "table": "Rev. Proc. 2024-40",
    }
    assert list(value)[:8] == ["year", "filing_status", "other_income", "taxable_income", "ordinary_tax",
                               "capital_gain_tax", "tax", "table"]
    # the 15,000 short-term loss realized: 23,447.00 (savings 3,600.00)
    _ledger(gainlog, tmp_path, _gain("LOSS", bought="2025-02-01", sold="2025-07-01", cost="20000", proceeds="5000"))
    assert gainlog("report", "tax", "--year", "2025", "--json").json()["tax"] == "23447.00"


def test_r_e12_long_term_loss_through_report_tax_json(gainlog: Run, tmp_path: Path) -> None:
    _ledger(gainlog, tmp_path, [
        {"type": "profile", "year": 2025, "filing_status": "single", "other_income": "115000"},
        *_gain("ST", bought="2025-01-10", sold="2025-06-10", cost="10000", proceeds="25000"),
        *_gain("LT", bought="2023-01-10", sold="2025-06-10", cost="10000", proceeds="30000"),
        *_gain("OLD", bought="2022-02-01", sold="2025-07-01", cost="20000", proceeds="5000"),
    ])
    assert gainlog("report", "tax", "--year", "2025", "--json").json()["tax"] == "24797.00"


def test_r_e13_long_term_gain_through_report_tax_json(gainlog: Run, tmp_path: Path) -> None:
    _ledger(gainlog, tmp_path, [
        {"type": "profile", "year": 2025, "other_income": "30000"},
        *_gain("LT", bought="2020-03-01", sold="2025-03-01", cost="10000", proceeds="40000"),
    ])
    value = gainlog("report", "tax", "--year", "2025", "--json").json()
    assert (value["taxable_income"], value["ordinary_tax"], value["capital_gain_tax"], value["tax"]) == (
        "60000.00", "3361.50", "1747.50", "5109.00")


def test_r_e13_short_term_loss_deduction_through_report_tax_json(gainlog: Run, tmp_path: Path) -> None:
    _ledger(gainlog, tmp_path, [
        {"type": "profile", "year": 2025, "other_income": "50000"},
        *_gain("ST", bought="2025-01-02", sold="2025-03-01", cost="20000", proceeds="10000"),
    ])
    value = gainlog("report", "tax", "--year", "2025", "--json").json()
    assert (value["deduction"], value["taxable_income"], value["tax"]) == ("3000.00", "47000.00", "5401.50")


def test_negative_other_income_floors_taxable_income_at_zero(gainlog: Run, tmp_path: Path) -> None:  # R8.1
    _ledger(gainlog, tmp_path, [
        {"type": "profile", "year": 2024, "other_income": "-5000"},
        *_gain("LT", bought="2020-03-01", sold="2024-03-01", cost="10000", proceeds="13000"),
    ])
    value = gainlog("report", "tax", "--year", "2024", "--json").json()
    assert (value["other_income"], value["taxable_income"], value["capital_gain"], value["tax"]) == (
        "-5000.00", "0.00", "0.00", "0.00")


def test_without_other_income_report_tax_exits_2_saying_so(gainlog: Run, tmp_path: Path) -> None:
    _ledger(gainlog, tmp_path, [{"type": "profile", "year": 2025, "taxable_income": "90000"}])
    result = gainlog("report", "tax", "--year", "2025", "--json")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("gainlog: report tax: no other income for 2025: record it with a profile event "
                          "(gainlog add profile --year 2025 --other-income AMOUNT)\n")


def test_a_year_without_a_table_exits_2_saying_so(gainlog: Run, tmp_path: Path) -> None:
    _ledger(gainlog, tmp_path, [{"type": "profile", "year": 2017, "other_income": "90000"}])
    result = gainlog("report", "tax", "--year", "2017")
    assert result.code == 2
    assert result.err == ("gainlog: report tax: no bracket table for 2017: "
                          "gainlog has the federal tables for 2018-2026\n")


@pytest.mark.parametrize(("year", "missing"), [(2025, "no other income for 2025"), (2017, "no bracket table for 2017")])
def test_what_is_missing_is_said_before_any_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, year: int, missing: str
) -> None:
    """`report tax` without a table or other income says so before the Schedule D, which on a large
    log may be a replay of every event (17 s at a million events)."""
    from gainlog.api import reading, reports
    from gainlog.api.tax import tax_report
    from gainlog.ledger.errors import UsageError
    from gainlog.ledger.store import Store

    store = Store.create(tmp_path / "l.db")
    store.import_file(write_jsonl(tmp_path / "e.jsonl", [  # type: ignore[arg-type]
        {"type": "buy", "id": "b", "at": "2025-01-02T00:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1",
         "price": "10"}]), source="t")
    store.close()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("replayed the log")

    monkeypatch.setattr(reading, "stream", refuse)
    monkeypatch.setattr(reports, "schedule_d", refuse)
    with pytest.raises(UsageError, match=missing):
        tax_report(tmp_path / "l.db", year)


def test_other_income_is_signed_normalized_and_added_from_the_cli(gainlog: Run) -> None:
    from zoneinfo import ZoneInfo

    event = codec.decode_line('{"type":"profile","year":2025,"other_income":"-0120.50"}', tz=ZoneInfo("UTC"), where="t")
    assert codec.canonical(event)["other_income"] == "-120.5"
    with pytest.raises(Exception, match="other_income"):
        codec.decode_line('{"type":"profile","year":2025,"other_income":"1e3"}', tz=ZoneInfo("UTC"), where="t")
    assert gainlog("add", "profile", "--year", "2026", "--other-income", "80000").code == 0
    assert gainlog("add", "profile", "--year", "2026", "--other-income", "90000").code == 0  # the later one wins
    value = gainlog("report", "tax", "--year", "2026", "--json").json()
    assert (value["other_income"], value["tax"], value["table"]) == ("90000.00", "14512.00", "Rev. Proc. 2025-32")


def test_human_output_names_the_table(gainlog: Run, tmp_path: Path) -> None:
    _ledger(gainlog, tmp_path, [{"type": "profile", "year": 2025, "other_income": "30000"}])
    out = gainlog("report", "tax", "--year", "2025").out
    assert "Federal tax estimate 2025 (single, Rev. Proc. 2024-40)" in out
    assert "3361.50" in out
