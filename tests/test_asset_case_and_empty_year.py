"""Warnings a new user needed (issue 17): assets whose names differ only by case (`btc`, `BTC`) are two
assets to gainlog, said at import/add and in the reports' warnings; and a report for a year in which
no event can fall (`--year 2030` on a 2022-2025 ledger) says so instead of a silent all-zero report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import BUY, SELL, Result, write_jsonl
from gainlog.projections.engine import case_twins

CASE = "gainlog keeps them as different assets, with separate lots"


def _buy(asset: str, **more: Any) -> dict[str, Any]:
    return {**BUY, "asset": asset, **more}


def test_add_warns_about_an_asset_that_differs_only_by_case(gainlog: Callable[..., Result]) -> None:
    opts = ("--at", "2024-01-02", "--wallet", "w", "--qty", "1", "--price", "1")
    first = gainlog("add", "buy", "--asset", "BTC", *opts)
    assert first.code == 0 and first.err == ""
    second = gainlog("add", "buy", "--asset", "btc", *opts, "--json")
    assert second.code == 0 and second.json()["seq"] == 2
    assert second.err == (
        f"gainlog: warning: asset 'btc' in add differs only by case from 'BTC', already in the ledger: {CASE}\n"
    )
    third = gainlog("add", "buy", "--asset", "btc", *opts)  # both spellings known: said once is enough
    assert third.code == 0 and third.err == ""


def test_import_warns_within_the_file_and_against_the_ledger(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    gainlog("import", str(write_jsonl(tmp_path / "a.jsonl", [_buy("ETH")])))
    path = write_jsonl(tmp_path / "b.jsonl", [
        _buy("sol"), _buy("SOL"),
        {"type": "swap", "at": "2024-02-01T00:00:00Z", "wallet": "w", "give_asset": "sol", "give_qty": "1",
         "get_asset": "Eth", "get_qty": "1", "value": "5"},
        _buy("100%_x"),  # LIKE's wildcards in a name match only themselves
    ])
    result = gainlog("import", str(path), "--json")
    assert result.code == 0
    assert result.json()["warnings"] == [
        f"assets 'SOL', 'sol' in {path} differ only by case: {CASE}",
        f"asset 'Eth' in {path} differs only by case from 'ETH', already in the ledger: {CASE}",
    ]
    assert result.err.splitlines() == [f"gainlog: warning: {w}" for w in result.json()["warnings"]]
    plain = gainlog("import", str(write_jsonl(tmp_path / "c.jsonl", [_buy("100a_x"), _buy("ADA")])))
    assert plain.code == 0 and plain.err == ""


def test_reports_warn_about_case_twins(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    gainlog("import", str(write_jsonl(tmp_path / "a.jsonl", [_buy("BTC"), _buy("btc"), SELL])))
    message = f"assets 'BTC', 'btc' differ only by case: {CASE}"
    assert message in gainlog("report", "schedule-d", "--year", "2024", "--json").json()["warnings"]
    lots = gainlog("lots", "--on", "2024-12-31")
    assert f"warning: {message}" in " ".join(lots.err.split())


def test_case_twins_groups() -> None:
    problems = case_twins(["BTC", "eth", "btc", "Btc", "ETH2", "Straße", "STRASSE"])
    assert [p.message for p in problems] == [
        f"assets 'BTC', 'Btc', 'btc' differ only by case: {CASE}",
        f"assets 'STRASSE', 'Straße' differ only by case: {CASE}",
    ]
    assert {p.code for p in problems} == {"asset-case"} and all(p.seq == 0 for p in problems)
    assert case_twins(["BTC", "ETH"]) == []


# -- a year in which no event falls ------------------------------------------------------------


def _ledger(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    events = [BUY, SELL, {**SELL, "at": "2025-03-01T12:00:00Z", "qty": "0.5"},
              {**BUY, "at": "2022-05-01T12:00:00Z", "qty": "0.5"}]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", events))).code == 0


def test_schedule_d_for_a_year_without_events(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    _ledger(tmp_path, gainlog)
    message = "no event falls in 2030: the ledger's events are from 2022 to 2025"
    result = gainlog("report", "schedule-d", "--year", "2030", "--json")
    assert result.code == 0 and result.err == ""
    assert result.json()["warnings"] == [message]
    human = gainlog("report", "schedule-d", "--year", "2030")
    assert human.code == 0 and human.err == f"gainlog: warning: {message}\n"
    early = gainlog("report", "schedule-d", "--year", "2001", "--json").json()
    assert early["warnings"] == ["no event falls in 2001: the ledger's events are from 2022 to 2025"]
    for year in ("2022", "2023", "2024", "2025"):  # inside the span: no such warning
        inside = gainlog("report", "schedule-d", "--year", year)
        assert "no event falls" not in inside.err, year


def test_8949_for_a_year_without_events(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    _ledger(tmp_path, gainlog)
    for args in ((), ("--json",), ("--csv",)):
        result = gainlog("report", "8949", "--year", "2031", *args)
        assert result.code == 0
        assert result.err == "gainlog: warning: no event falls in 2031: the ledger's events are from 2022 to 2025\n"
    assert gainlog("report", "8949", "--year", "2024", "--json").err == ""


def test_a_year_whose_only_event_was_retracted_is_empty_in_every_report(
    tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    """Found by the checkpoint property test: `report income` counted retracted events in the years
    (a full replay said nothing of 2024, the checkpoint said it was empty); every report counts the
    live events only, as Schedule D and Form 8949 always did."""
    gainlog("import", str(write_jsonl(tmp_path / "a.jsonl", [
        {**BUY, "id": "early", "at": "2024-03-01T12:00:00Z"},
        {**BUY, "id": "late", "at": "2025-01-03T12:00:00Z"},
    ])))
    assert gainlog("report", "income", "--year", "2024", "--json").err == ""
    assert gainlog("retract", "1").code == 0  # the only 2024 event
    message = "no event falls in 2024: the ledger's events are all in 2025"
    assert gainlog("report", "schedule-d", "--year", "2024", "--json").json()["warnings"] == [message]
    for command in (("8949",), ("income",), ("income", "--json")):
        result = gainlog("report", *command, "--year", "2024")
        assert result.code == 0 and result.err == f"gainlog: warning: {message}\n", command
    assert gainlog("report", "income", "--year", "2024", "--as-of", "1").err == ""  # before the retraction


def test_an_empty_ledger_says_so(gainlog: Callable[..., Result]) -> None:
    message = "no event falls in 2024: the ledger holds no trade, profile or carryover event"
    assert gainlog("report", "schedule-d", "--year", "2024", "--json").json()["warnings"] == [message]
    assert gainlog("report", "8949", "--year", "2024").err == f"gainlog: warning: {message}\n"


def test_a_profile_makes_its_year_count(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    _ledger(tmp_path, gainlog)
    gainlog("add", "profile", "--year", "2027", "--filing-status", "mfj")
    assert gainlog("report", "schedule-d", "--year", "2027", "--json").json()["warnings"] == []
    assert gainlog("report", "schedule-d", "--year", "2028", "--json").json()["warnings"] == [
        "no event falls in 2028: the ledger's events are from 2022 to 2027"]


def test_report_all_writes_no_such_warning(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    _ledger(tmp_path, gainlog)
    out = tmp_path / "out"
    assert gainlog("report", "all", "--out", str(out)).code == 0
    for path in out.glob("*/schedule_d.json"):
        assert "no event falls" not in path.read_text()


def test_income_and_explain_for_a_year_without_events(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    _ledger(tmp_path, gainlog)
    message = "no event falls in 2030: the ledger's events are from 2022 to 2025"
    for args in ((), ("--json",)):
        income = gainlog("report", "income", "--year", "2030", *args)
        assert income.code == 0 and income.err == f"gainlog: warning: {message}\n"
    assert gainlog("report", "income", "--year", "2024").err == ""  # inside the span, even without income
    explained = gainlog("explain", "--year", "2030", "--json")
    assert explained.code == 0 and explained.json()["schedule_d"]["warnings"] == [message]
    assert gainlog("explain", "--year", "2024", "--json").json()["schedule_d"]["warnings"] == []
