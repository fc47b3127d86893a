"""Years and dates outside 1900-2100 are refused with one line and exit 2, never a traceback (issue 17).

Every `--year` (and `lots --year-end`) shares one check (`cli.app.check_year`, bounds in
`ledger.limits`); `lots --on` checks its date's year; at import, an event time is refused when its
written, UTC or ledger-local date leaves the range, and so are the `from` dates of settings and the
`year` of a profile or carryover.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BUY, Result, run_process, write_jsonl
from gainlog.ledger.limits import MAX_YEAR, MIN_YEAR

RANGE = f"is outside the years gainlog handles ({MIN_YEAR}-{MAX_YEAR})"
YEAR_COMMANDS = [
    ["report", "8949"],
    ["report", "schedule-d"],
    ["report", "income"],
    ["explain"],
    ["diff", "--from", "0"],
]


@pytest.mark.parametrize("command", YEAR_COMMANDS, ids=[" ".join(c[:2]) for c in YEAR_COMMANDS])
@pytest.mark.parametrize("year", ["0", "-1", "1899", "2101", "99999"])
def test_every_year_option_refuses_a_year_out_of_range(
    command: list[str], year: str, gainlog: Callable[..., Result]
) -> None:
    result = gainlog(*command, "--year", year)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"gainlog: --year: {year} {RANGE}\n"


@pytest.mark.parametrize("command", YEAR_COMMANDS, ids=[" ".join(c[:2]) for c in YEAR_COMMANDS])
def test_the_range_ends_are_years(command: list[str], gainlog: Callable[..., Result]) -> None:
    for year in (str(MIN_YEAR), str(MAX_YEAR)):
        assert gainlog(*command, "--year", year, "--json").code == 0


def test_a_huge_year_is_refused_at_once(tmp_path: Path) -> None:
    # It was killed at 24 GB: a real process, so a traceback or a memory blow-up would show.
    db = str(tmp_path / "l.db")
    assert run_process("--db", db, "init").code == 0
    result = run_process("--db", db, "report", "schedule-d", "--year", "9999999999999999999999")
    assert (result.code, result.out) == (2, "")
    assert result.err == f"gainlog: --year: 999999999999... (22 digits) {RANGE}\n"


@pytest.mark.parametrize("year", ["0", "-1", "99999"])
def test_lots_year_end_out_of_range(year: str, gainlog: Callable[..., Result]) -> None:
    result = gainlog("lots", "--year-end", year)
    assert (result.code, result.out, result.err) == (2, "", f"gainlog: --year-end: {year} {RANGE}\n")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01"])
def test_lots_on_a_date_out_of_range(day: str, gainlog: Callable[..., Result]) -> None:
    result = gainlog("lots", "--on", day)
    year = str(int(day[:4]))
    assert (result.code, result.out) == (2, "")
    assert result.err == f"gainlog: lots: --on {day}: year {year} {RANGE}\n"


def test_lots_on_the_last_day_of_the_range(gainlog: Callable[..., Result]) -> None:
    assert gainlog("lots", "--on", "2100-12-31", "--json").code == 0
    assert gainlog("lots", "--year-end", "2100", "--json").code == 0


def _init(tmp_path: Path, zone: str) -> Path:
    db = tmp_path / "z.db"
    assert run_process("--db", str(db), "init", "--timezone", zone).code == 0
    return db


@pytest.mark.parametrize(
    ("zone", "at", "why"),
    [
        ("UTC", "2100-12-31T23:00:00-05:00", "it falls on 2101-01-01 in UTC"),
        ("UTC", "1900-01-01T00:30:00+01:00", "it falls on 1899-12-31 in UTC"),
        ("America/New_York", "1900-01-01T03:00:00Z",
         "it falls on 1899-12-31 in the ledger's time zone America/New_York"),
        ("Etc/GMT-14", "2100-12-31T12:00:00Z", "it falls on 2101-01-01 in the ledger's time zone Etc/GMT-14"),
        ("Etc/GMT-14", "1900-01-01", "it falls on 1899-12-31 in UTC"),
    ],
)
def test_an_event_time_the_offset_moves_out_of_range(
    zone: str, at: str, why: str, tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    db = _init(tmp_path, zone)
    path = write_jsonl(tmp_path / "t.jsonl", [BUY, {**BUY, "at": at}])
    result = gainlog("import", str(path), ledger=db)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"gainlog: {path}:2: field 'at': {at!r} is out of range (1900-2100): {why}\n"
    assert gainlog("log", "--json", ledger=db).json() == []


def test_the_first_and_last_moments_in_range_are_taken(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    db = _init(tmp_path, "America/New_York")
    lines = [{**BUY, "at": "1900-01-01T05:00:00Z"}, {**BUY, "at": "2100-12-31T18:59:59-05:00", "id": "b"}]
    result = gainlog("import", str(write_jsonl(tmp_path / "t.jsonl", lines)), "--json", ledger=db)
    assert result.code == 0 and result.json()["added"] == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"type": "method", "method": "FIFO", "from": "0001-01-01"},
         "field 'from': 0001-01-01: the year 1 " + RANGE),
        ({"type": "policy", "from": "2101-01-01", "wash_sale_crypto": True},
         "field 'from': 2101-01-01: the year 2101 " + RANGE),
        ({"type": "wallet", "wallet": "w", "from": "1899-12-31"},
         "field 'from': 1899-12-31: the year 1899 " + RANGE),
        ({"type": "profile", "year": 99999999999999999999999999, "filing_status": "single"},
         "field 'year': 999999999999... (26 digits) " + RANGE),
        ({"type": "carryover", "year": 0, "short_term": "1", "long_term": "0"},
         "field 'year': 0 " + RANGE),
    ],
    ids=["method from", "policy from", "wallet from", "profile year", "carryover year"],
)
def test_settings_out_of_range(
    line: dict[str, object], message: str, tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [BUY, line])
    result = gainlog("import", str(path))
    assert (result.code, result.out, result.err) == (2, "", f"gainlog: {path}:2: {message}\n")
    assert gainlog("log", "--json").json() == []


def test_add_refuses_a_from_date_out_of_range(gainlog: Callable[..., Result]) -> None:
    result = gainlog("add", "method", "--method", "FIFO", "--from", "2200-01-01")
    assert (result.code, result.err) == (2, f"gainlog: add: field 'from': 2200-01-01: the year 2200 {RANGE}\n")
    assert json.loads(gainlog("log", "--json").out) == []


def test_generate_refuses_more_events_than_its_span_holds(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    result = gainlog("generate", "--events", "10" * 12, "--out", str(tmp_path / "g.jsonl"))
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"gainlog: --events {'10' * 12}: ") and result.err.count("\n") == 1
    assert "do not fit one per second between 2018-01-01" in result.err


def test_the_fast_path_pattern_spells_the_same_years() -> None:
    # codec._ZULU writes the range out as a pattern; it must agree with ledger.limits.
    import re

    from gainlog.ledger import codec

    for year, inside in ((MIN_YEAR - 1, False), (MIN_YEAR, True), (MAX_YEAR, True), (MAX_YEAR + 1, False)):
        assert bool(re.match(codec._ZULU, f"{year}-06-01T00:00:00Z")) is inside, year
