"""Human output shows user text literally and every number in full (issue #17, "User text reaches the
terminal as markup or control codes", "Output that lies or hides").

Each test names the bullet it covers; JSON output is checked to stay exact.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, write_jsonl

Run = Callable[..., Result]

ESCAPES = "clear \x1b[2J\x1b[H title \x1b]0;pwned\x07 link \x1b]8;;http://x\x1b\\here\x1b]8;;\x1b\\ " \
    "csi \x9b31m del \x7f rtl \u202eabc\u202c next\nline"
ESCAPES_SHOWN = (
    "clear \\x1b[2J\\x1b[H title \\x1b]0;pwned\\x07 link \\x1b]8;;http://x\\x1b\\here\\x1b]8;;\\x1b\\ "
    "csi \\x9b31m del \\x7f rtl \\u202eabc\\u202c next\\nline"
)


def _raw_controls(text: str) -> list[str]:
    """Non-printable characters in output, other than the line ends."""
    return sorted({c for c in text if not c.isprintable() and c != "\n"})


# -- 1. markup --------------------------------------------------------------------------------


def test_add_with_markup_in_the_id_prints_it_literally(gainlog: Run) -> None:
    added = gainlog("add", "buy", "--at", "2024-01-02", "--wallet", "w", "--asset", "BTC", "--qty", "1",
                    "--price", "10", "--id", "x[/b]")
    assert (added.code, added.err) == (0, "")
    assert added.out == "Added seq 1: cli:x[/b]\n"
    log = gainlog("log")
    assert log.code == 0 and "cli:x[/b]" in log.out
    lots = gainlog("lots", "--on", "2024-12-31")
    assert lots.code == 0 and "cli:x[/b]" in lots.out
    assert gainlog("retract", "cli:x[/b]").out == "Retracted cli:x[/b] (seq 2).\n"


@pytest.mark.parametrize("note", ["closing [/bold] tag", "[auto] rebalance", "[bold red]loud[/] :smile: :tada:"])
def test_notes_with_markup_are_shown_as_typed(note: str, gainlog: Run) -> None:
    for args in (("buy", "--at", "2024-01-02", "--price", "10", "--id", "b"),
                 ("sell", "--at", "2024-03-02", "--price", "12", "--id", "s")):
        kind, *rest = args
        assert gainlog("add", kind, "--wallet", "w", "--asset", "BTC", "--qty", "1", "--note", note, *rest).code == 0
    for command in (("log",), ("log", "--all"), ("explain", "--year", "2024"), ("lots", "--on", "2024-02-01")):
        result = gainlog(*command)
        assert (result.code, result.err) == (0, ""), command
        if command[0] != "lots":
            assert note in result.out, command
    assert gainlog("retract", "cli:s", "--reason", note).code == 0
    for command in (("log",), ("log", "--all"), ("explain", "--year", "2024"), ("lots", "--on", "2024-12-31")):
        result = gainlog(*command)
        assert (result.code, result.err) == (0, ""), command
    assert note in gainlog("log").out
    assert f"  cli:s {note}\n" in gainlog("log", "--all").out  # the retract's target and reason


def test_import_reports_a_file_name_with_brackets_literally(tmp_path: Path, gainlog: Run) -> None:
    path = write_jsonl(tmp_path / "trades [final].jsonl", [
        {"type": "buy", "at": "2024-01-02T12:00:00Z", "wallet": "[red]w[/red]", "asset": "BTC", "qty": "1",
         "price": "10"}])
    result = gainlog("import", str(path))
    assert result.code == 0
    assert result.out == f"{path}: 1 added, 0 duplicate(s), 0 retracted, source 'trades [final].jsonl' " \
        "(seq 1-1, batch 1).\n"
    assert "trades [final].jsonl:" in gainlog("log").out and "([red]w[/red])" in gainlog("log").out


# -- 2. control characters --------------------------------------------------------------------


def test_escape_sequences_are_shown_visibly_and_json_stays_exact(gainlog: Run) -> None:
    # names refuse control characters (validation); notes keep them, and show them escaped
    assert gainlog("add", "buy", "--at", "2024-01-02", "--wallet", "w[red]", "--asset", "BTC",
                   "--qty", "1", "--price", "10", "--id", "i[2J", "--note", ESCAPES).code == 0
    assert gainlog("add", "sell", "--at", "2024-03-02", "--wallet", "w[red]", "--asset", "BTC",
                   "--qty", "1", "--price", "12", "--note", ESCAPES).code == 0
    for command in (("log",), ("log", "--all"), ("explain", "--year", "2024"), ("lots", "--on", "2024-02-01"),
                    ("report", "8949", "--year", "2024"), ("add", "fee", "--at", "2024-01-03", "--wallet", "\x1b[2J",
                                                           "--asset", "BTC", "--qty", "0", "--value", "0")):
        result = gainlog(*command)
        assert _raw_controls(result.out + result.err) == [], command
    log = gainlog("log").out
    assert ESCAPES_SHOWN in log and "cli:i[2J" in log and "(w[red])" in log
    assert ESCAPES_SHOWN in gainlog("explain", "--year", "2024").out
    exact = gainlog("log", "--json").json()
    assert exact[0]["note"] == ESCAPES and exact[0]["key"] == "cli:i[2J"
    assert exact[0]["wallet"] == "w[red]"


def test_import_warnings_show_control_characters_visibly(tmp_path: Path, gainlog: Run) -> None:
    buy = {"type": "buy", "at": "2024-01-02T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1", "price": "10"}
    first = write_jsonl(tmp_path / "a.jsonl", [{**buy, "id": "one"}, {**buy, "id": "two"}])
    assert gainlog("import", str(first), "--source", "s").code == 0
    second = write_jsonl(tmp_path / "b\x1b]0;x\x07.jsonl", [{**buy, "id": "one"}])
    result = gainlog("import", str(second), "--source", "s")
    assert result.code == 0
    assert result.out.startswith(f"{tmp_path}/b\\x1b]0;x\\x07.jsonl: 0 added, 1 duplicate(s)")
    assert "warning" in result.err and "b\\x1b]0;x\\x07.jsonl" in result.err
    assert _raw_controls(result.out + result.err) == []


# -- 3. long notes: no highlighter, capped ----------------------------------------------------


def test_explain_shows_a_long_note_capped_and_unhighlighted(gainlog: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    note = "1234567890" * 4000  # 40 KB of digits: rich's highlighter took 44 s on it

    def never(*args: object) -> None:
        raise AssertionError("rich's highlighter ran over user text")

    monkeypatch.setattr("rich.highlighter.ReprHighlighter.highlight", never)
    assert gainlog("add", "buy", "--at", "2024-01-02", "--wallet", "w", "--asset", "BTC", "--qty", "1",
                   "--price", "10", "--note", note).code == 0
    assert gainlog("add", "sell", "--at", "2024-03-02", "--wallet", "w", "--asset", "BTC", "--qty", "1",
                   "--price", "12", "--note", note).code == 0
    result = gainlog("explain", "--year", "2024")
    assert result.code == 0, result.err
    assert f"— {note[:200]}…(39800 more)" in result.out and note[:201] not in result.out
    assert f"# {note[:200]}…(39800 more)" in gainlog("log").out
    assert gainlog("explain", "--year", "2024", "--json").json()["rows"][0]["events"][0]["note"] == note


# -- 4. log streamed and paged ----------------------------------------------------------------


def _buys(n: int) -> list[dict[str, Any]]:
    return [{"type": "buy", "id": f"b{i}", "at": f"2024-01-{1 + i % 28:02d}T12:00:00Z", "wallet": "w",
             "asset": "BTC", "qty": "1", "price": str(100 + i)} for i in range(n)]


def test_log_to_a_pipe_is_plain_rows_never_a_rich_table(
    tmp_path: Path, gainlog: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rich.table

    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", _buys(450)))).code == 0

    def no_table(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("log built a rich Table for a pipe")

    monkeypatch.setattr(rich.table, "Table", no_table)
    out = gainlog("log").out.splitlines()
    assert out[0].split() == ["seq", "recorded", "type", "at/from", "key", "summary"]
    assert len(out) == 452 and out[-1] == "450 event(s); times in UTC"
    assert out[1].split()[0] == "1" and out[1].split()[3] == "UTC"
    assert out[450].split()[0] == "450" and "e.jsonl:b449" in out[450] and "1 BTC @ 549 (w)" in out[450]
    assert "│" not in "".join(out)


def test_log_on_a_terminal_prints_a_table_per_page(
    tmp_path: Path, gainlog: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rich.table

    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", _buys(450)))).code == 0
    tables: list[Any] = []
    real = rich.table.Table

    def counted(*args: Any, **kwargs: Any) -> Any:
        tables.append(real(*args, **kwargs))
        return tables[-1]

    monkeypatch.setattr(rich.table, "Table", counted)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    result = gainlog("log")
    assert result.code == 0
    assert [t.row_count for t in tables] == [200, 200, 50]
    assert "e.jsonl:b449" in result.out and result.out.endswith("450 event(s); times in UTC\n")


def test_log_limit_and_tail(tmp_path: Path, gainlog: Run) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", _buys(10)))).code == 0
    assert [r["seq"] for r in gainlog("log", "--tail", "3", "--json").json()] == [8, 9, 10]
    assert [r["seq"] for r in gainlog("log", "--limit", "2", "--json").json()] == [1, 2]
    tail = gainlog("log", "--tail", "3").out.splitlines()
    assert [line.split()[0] for line in tail[1:-1]] == ["8", "9", "10"] and tail[-1].startswith("3 event(s)")
    both = gainlog("log", "--tail", "3", "--limit", "2")
    assert both.code == 2 and both.err == "gainlog: log: give either --limit N or --tail N, not both\n"


def test_log_to_a_pipe_takes_about_as_long_as_json(tmp_path: Path, gainlog: Run) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", _buys(5000)))).code == 0
    start = time.perf_counter()
    assert gainlog("log", "--json").code == 0
    as_json = time.perf_counter() - start
    start = time.perf_counter()
    human = gainlog("log")
    as_text = time.perf_counter() - start
    assert human.code == 0 and human.out.count("\n") == 5002
    assert as_text < 2 * as_json + 1  # a rich table of the whole log took about 3 s here


# -- 5. numbers never cut ---------------------------------------------------------------------

BIG = [
    {"type": "buy", "id": "big", "at": "2023-01-05T12:00:00Z", "wallet": "a-rather-long-wallet-name",
     "asset": "BTC", "qty": "12.345678912345", "price": "98765.4321", "note": "x " * 30},
    {"type": "buy", "id": "short", "at": "2024-02-05T12:00:00Z", "wallet": "a-rather-long-wallet-name",
     "asset": "ETH", "qty": "333.333333333", "price": "3456.789", "class": "crypto"},
    {"type": "sell", "id": "s1", "at": "2024-06-05T12:00:00Z", "wallet": "a-rather-long-wallet-name",
     "asset": "BTC", "qty": "7.123456789", "price": "123456.78"},
    {"type": "sell", "id": "s2", "at": "2024-07-05T12:00:00Z", "wallet": "a-rather-long-wallet-name",
     "asset": "ETH", "qty": "111.111111111", "price": "1234.567"},
    {"type": "income", "id": "inc", "at": "2024-08-05T12:00:00Z", "wallet": "a-rather-long-wallet-name",
     "asset": "ETH", "qty": "1.234567891", "value": "4321.98765", "kind": "staking"},
]


def _numbers(value: Any) -> set[str]:
    """Every decimal amount or quantity in a JSON value."""
    if isinstance(value, dict):
        return set().union(*(_numbers(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_numbers(v) for v in value)) if value else set()
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value) and len(value) > 3 and float(value):
        return {value}
    return set()


COMMANDS = [
    ("report", "8949", "--year", "2024"),
    ("report", "schedule-d", "--year", "2024"),
    ("report", "income", "--year", "2024"),
    ("lots", "--on", "2024-12-31"),
    ("log",),
    ("explain", "--year", "2024"),
    ("diff", "--year", "2024", "--from", "before"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_number_is_shown_in_full_when_piped_at_60_columns(
    command: tuple[str, ...], tmp_path: Path, gainlog: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "a.jsonl", BIG[:2]))).code == 0
    assert gainlog("tag", "before").code == 0
    assert gainlog("import", str(write_jsonl(tmp_path / "b.jsonl", BIG[2:]))).code == 0
    monkeypatch.setenv("COLUMNS", "60")
    human = gainlog(*command)
    assert human.code == 0
    value = gainlog(*command, "--json").json()
    if command[0] == "explain":  # the gains behind Schedule D, not the events' own fields
        sd = value["schedule_d"]
        gains = [r["8949"]["gain"] for r in value["rows"]]
        value = [sd["net"], sd["short_term"]["gain"], sd["long_term"]["gain"], gains]
    elif command[0] == "diff":  # the changes, not the events' own fields
        value = [value["schedule_d"], value["rows"]]
    numbers = _numbers(value)
    if command[0] == "log":
        numbers = {n for n in numbers if "." in n}  # quantities and prices, not seqs
    assert len(numbers) >= 2
    assert "…" not in human.out
    assert sorted(n for n in numbers if n not in human.out) == []


@pytest.mark.parametrize("command", COMMANDS[:4], ids=lambda c: " ".join(c[:2]))
def test_a_narrow_terminal_never_ellipsises_a_number(
    command: tuple[str, ...], tmp_path: Path, gainlog: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "a.jsonl", BIG))).code == 0
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    human = gainlog(*command)
    assert human.code == 0
    out = re.sub(r"\x1b\[[0-9;]*m", "", human.out)
    assert "…" not in out
    cells = {cell.strip() for line in out.splitlines() for cell in re.split(r"[│┃]", line)}
    money = {n for n in _numbers(gainlog(*command, "--json").json()) if re.fullmatch(r"-?\d+\.\d\d", n)}
    assert money
    for number in money:
        assert number in cells, number


# -- 6. missing basis warned everywhere -------------------------------------------------------

MISSING = [
    {"type": "buy", "id": "b", "at": "2024-01-05T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1",
     "price": "100"},
    {"type": "sell", "id": "s", "at": "2024-03-05T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "3",
     "price": "200"},
]
MISSING_TEXT = ("2024: Form 8949 row(s) 2 have missing basis: reported with zero basis, acquired on the sale date, "
                "short-term (R3.5); import the missing acquisitions or transfers in")


def test_the_8949_table_warns_of_missing_basis(tmp_path: Path, gainlog: Run) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "m.jsonl", MISSING))).code == 0
    result = gainlog("report", "8949", "--year", "2024")
    assert result.code == 0
    assert result.out.endswith(f"warning: {MISSING_TEXT}\n")
    assert [r["missing_basis"] for r in gainlog("report", "8949", "--year", "2024", "--json").json()] == [False, True]


def test_the_8949_csv_warns_on_stderr_and_keeps_stdout_clean(tmp_path: Path, gainlog: Run) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "m.jsonl", MISSING))).code == 0
    result = gainlog("report", "8949", "--year", "2024", "--csv")
    assert result.code == 0
    assert result.err == f"gainlog: warning: {MISSING_TEXT}\n"
    assert result.out.splitlines()[1:] == ["I,C,1 BTC,2024-01-05,2024-03-05,200.00,100.00,,0.00,100.00",
                                           "I,C,2 BTC,2024-03-05,2024-03-05,400.00,0.00,,0.00,400.00"]


def test_report_all_warns_on_stderr_and_its_files_are_unchanged(tmp_path: Path, gainlog: Run) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "m.jsonl", MISSING))).code == 0
    out = tmp_path / "out"
    for extra in ((), ("--json",)):
        result = gainlog("report", "all", "--out", str(out), *extra)
        assert result.code == 0
        assert result.err == f"gainlog: warning: {MISSING_TEXT} ({out / '2024' / 'form8949.csv'})\n"
    assert (out / "2024" / "form8949.json").read_text() == gainlog("report", "8949", "--year", "2024", "--json").out
    assert (out / "2024" / "form8949.csv").read_text() == gainlog("report", "8949", "--year", "2024", "--csv").out


def test_a_year_without_missing_basis_gets_no_warning(tmp_path: Path, gainlog: Run) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "m.jsonl", [MISSING[0], {**MISSING[1], "qty": "1"}]))).code == 0
    assert "warning" not in gainlog("report", "8949", "--year", "2024").out
    assert gainlog("report", "8949", "--year", "2024", "--csv").err == ""
    assert gainlog("report", "all", "--out", str(tmp_path / "o")).err == ""


# -- 7. 8949 row numbers ----------------------------------------------------------------------

BOXES = [
    {"type": "wallet", "wallet": "broker", "reports": "1099-B"},
    {"type": "buy", "id": "stock", "at": "2024-01-05T12:00:00Z", "wallet": "broker", "asset": "VTI",
     "class": "stock", "qty": "10", "price": "100"},
    {"type": "buy", "id": "coin", "at": "2022-01-05T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "2",
     "price": "100"},
    {"type": "sell", "id": "c1", "at": "2024-02-05T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1",
     "price": "300"},
    {"type": "sell", "id": "v1", "at": "2024-03-05T12:00:00Z", "wallet": "broker", "asset": "VTI", "qty": "4",
     "price": "110"},
    {"type": "sell", "id": "c2", "at": "2024-04-05T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1",
     "price": "500"},
]


def test_the_8949_table_numbers_rows_as_explain_row_counts(tmp_path: Path, gainlog: Run) -> None:
    assert gainlog("import", str(write_jsonl(tmp_path / "x.jsonl", BOXES))).code == 0
    table = gainlog("report", "8949", "--year", "2024").out
    numbered = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0].isdigit():
            numbered[int(cells[0])] = cells
    assert list(numbered) == [2, 1, 3]  # grouped by box (A, then F): row 2 comes first
    assert [numbered[n][1] for n in (2, 1, 3)] == ["A", "F", "F"]
    for n, cells in numbered.items():
        row = gainlog("explain", "--year", "2024", "--row", str(n), "--json").json()["rows"][0]["8949"]
        assert cells[1:5] == [row["box"], row["description"], row["date_acquired"], row["date_sold"]]
        assert cells[-1] == row["gain"]


# -- 8. hash keys shortened in tables ---------------------------------------------------------


def test_hash_keys_are_short_in_tables_and_full_in_json(tmp_path: Path, gainlog: Run) -> None:
    events = [{"type": "buy", "at": "2024-01-05T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1",
               "price": "100"},
              {"type": "sell", "at": "2024-03-05T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "0.5",
               "price": "200"}]
    assert gainlog("import", str(write_jsonl(tmp_path / "h.jsonl", events))).code == 0
    keys = [r["key"] for r in gainlog("log", "--json").json()]
    assert all(re.fullmatch(r"h\.jsonl:[0-9a-f]{64}#1", k) for k in keys)
    short = [f"{k[:16]}…#1" for k in keys]
    log = gainlog("log").out
    assert all(s in log for s in short) and not any(k in log for k in keys)
    lots = gainlog("lots", "--on", "2024-12-31").out
    assert short[0] in lots and keys[0] not in lots
    explain = gainlog("explain", "--year", "2024").out
    assert short[0] in explain and short[1] in explain and keys[0] not in explain
    assert gainlog("lots", "--on", "2024-12-31", "--json").json()[0]["lot"] == keys[0]


# -- 9. log times in the ledger's zone --------------------------------------------------------


def test_log_shows_times_in_the_ledgers_zone(tmp_path: Path, gainlog: Run) -> None:
    ledger = tmp_path / "ny.db"
    assert gainlog("init", "--timezone", "America/New_York", ledger=ledger).code == 0
    for at in ("2024-01-02T12:00:00Z", "2024-07-02T12:00:30Z"):
        assert gainlog("add", "buy", "--at", at, "--wallet", "w", "--asset", "BTC", "--qty", "1", "--price", "1",
                       ledger=ledger).code == 0
    assert gainlog("add", "method", "--method", "HIFO", "--from", "2024-03-01", ledger=ledger).code == 0
    lines = gainlog("log", ledger=ledger).out.splitlines()
    assert "2024-01-02 07:00 EST" in lines[1] and "2024-07-02 08:00:30 EDT" in lines[2]
    assert re.search(r"  \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? E[SD]T  ", lines[1])  # recorded, local too
    assert "  2024-03-01  " in lines[3]
    assert lines[-1] == "3 event(s); times in America/New_York"
    assert gainlog("log", "--json", ledger=ledger).json()[0]["at"] == "2024-01-02T12:00:00Z"
