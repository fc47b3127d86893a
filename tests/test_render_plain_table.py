"""`cli.render.plain_number_table`: the bytes rich writes for a table of numbers to a pipe, without rich
(issue #19: `report all` prints one, and importing rich costs it ~25 ms), or None where rich must draw it."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout

import pytest
from gainlog.cli.render import console, number_column, number_table, plain_number_table, print_table, styled
from hypothesis import given, settings
from hypothesis import strategies as st

ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
WORDS = st.text(st.sampled_from("ab1-./ "), max_size=40)  # spaces: words, runs and edges of them
ANY = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)  # wide, combining, control


@contextmanager
def piped(encoding: str = "utf-8") -> Iterator[io.BytesIO]:
    """stdout a pipe-like text stream (not a terminal) over the returned bytes."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding=encoding, write_through=True)
    with redirect_stdout(out):
        yield raw


def by_rich(title: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    table = number_table(title=title)
    for name in head:
        number_column(table, name)
    for row in rows:
        table.add_row(*row)
    with piped() as raw:
        console().print(table)
        return raw.getvalue().decode()


def plain(title: str, head: Sequence[str], rows: Sequence[Sequence[str]], encoding: str = "utf-8") -> str | None:
    with piped(encoding):
        return plain_number_table(title, head, rows)


@pytest.fixture(autouse=True)
def _no_forced_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


def test_the_summary_of_report_all() -> None:
    head = ["year", "8949 rows", "net (line 16)", "deduction", "carryover out (short / long)"]
    rows = [["2019", "3180", "-25518.64", "3000.00", "22518.64 / 0.00"],
            ["2025", "0", "-1234567890123.45", "3000.00", "69473.17 / 0.00"]]
    text = plain("Reports written to out", head, rows)
    assert text == by_rich("Reports written to out", head, rows)
    assert text is not None and text.splitlines()[4] == (
        "│ 2019 │      3180 │         -25518.64 │   3000.00 │              22518.64 / 0.00 │")


@settings(max_examples=300, deadline=None)
@given(title=st.one_of(WORDS, ASCII), head=st.lists(ASCII, min_size=1, max_size=5), data=st.data())
def test_the_same_bytes_as_rich_or_none(title: str, head: list[str], data: st.DataObject) -> None:
    rows = data.draw(st.lists(st.lists(st.one_of(ASCII, WORDS, ANY), min_size=len(head), max_size=len(head)),
                              max_size=4))
    text = plain(title, head, rows)
    if text is not None:
        assert text == by_rich(title, head, rows)


def test_none_where_rich_must_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    head, rows = ["year", "rows"], [["2024", "3"]]
    assert plain("t", head, rows) is not None
    assert plain("t", head, []) is None  # no rows
    assert plain("t" * 20, head, rows) is None  # a title wider than the table: rich wraps it
    assert plain("t", ["漢字"], [["1"]]) is None and plain("t", head, [["2024", "\x1b[2J"]]) is None
    assert plain("t", head, rows, encoding="latin-1") is None  # rich would draw ASCII boxes
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert plain("t", head, rows) is None


def by_rich_table(table: object) -> str:
    with piped() as raw:
        console().print(table)
        return raw.getvalue().decode()


def by_print_table(table: object) -> str:
    with piped() as raw:
        print_table(console(), table)
        return raw.getvalue().decode()


def a_table(title: str, head: Sequence[str], right: Sequence[bool], rows: Sequence[Sequence[str]],
            sections: Sequence[bool], footer: Sequence[str] | None, styled_first: bool) -> object:
    table = number_table(title=title, show_footer=footer is not None)
    for name, r in zip(head, right, strict=True):
        if r:
            number_column(table, name)
        else:
            table.add_column(name, overflow="fold")
    for row, section in zip(rows, sections, strict=True):
        table.add_row(*([styled(row[0], "bold"), *row[1:]] if styled_first else row), end_section=section)
    for column, text in zip(table.columns, footer or (), strict=False):
        column.footer = text
    return table


@settings(max_examples=300, deadline=None)
@given(title=st.one_of(WORDS, ASCII, st.just("Form 8949 2022 Part I — short-term")),
       head=st.lists(st.one_of(ASCII, WORDS), min_size=1, max_size=5), data=st.data())
def test_print_table_writes_what_rich_writes(title: str, head: list[str], data: st.DataObject) -> None:
    """`print_table`: rich's bytes, whether it wrote them itself or left them to rich."""
    n = len(head)
    cell = st.one_of(ASCII, WORDS, ANY, st.sampled_from(["—", "a…", "", "-1.00"]))
    rows = data.draw(st.lists(st.lists(cell, min_size=n, max_size=n), max_size=4))
    right = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    sections = data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    footer = data.draw(st.none() | st.lists(cell, min_size=n, max_size=n))
    styled_first = data.draw(st.booleans())
    table = a_table(title, head, right, rows, sections, footer, styled_first)
    assert by_print_table(table) == by_rich_table(a_table(title, head, right, rows, sections, footer, styled_first))


def test_print_table_draws_8949_rows_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """A table of the shape `report 8949` prints is written without rich's layout, byte for byte."""
    from rich.console import Console

    head = ["#", "box", "(a) description", "(d) proceeds"]
    rows = [[str(n), "A", f"0.{n} BTC", f"{n}.00"] for n in range(1, 40)]
    table = a_table("Form 8949 2022 Part I — short-term", head, [True, False, False, True], rows,
                    [False] * len(rows), ["Total", "", "", "780.00"], styled_first=False)
    expected = by_rich_table(table)
    monkeypatch.setattr(Console, "print", lambda *a, **k: pytest.fail("rich drew the table"))
    assert by_print_table(table) == expected
    assert expected.splitlines()[4] == "│     1 │ A   │ 0.1 BTC         │         1.00 │"


def test_print_table_leaves_to_rich_what_it_does_not_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich import box

    drawn: list[object] = []
    table = a_table("t", ["a"], [False], [["x"]], [False], None, styled_first=False)
    monkeypatch.setattr(type(console()), "print", lambda self, item: drawn.append(item))
    for change in ({"box": box.SIMPLE}, {"caption": "c"}, {"show_lines": True}, {"title": None}):
        other = a_table("t", ["a"], [False], [["x"]], [False], None, styled_first=False)
        for name, value in change.items():
            setattr(other, name, value)
        print_table(console(), other)
    print_table(console(), a_table("t", ["a"], [False], [["漢字"]], [False], None, styled_first=False))
    assert len(drawn) == 5
    monkeypatch.setenv("FORCE_COLOR", "1")
    print_table(console(), table)
    assert len(drawn) == 6


def test_diff_prints_its_tables_and_events_without_rich_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """`diff` off a terminal (issue #19: 29 s for a 100,000-event diff of a 200,000-event ledger, 84 % in rich's
    layout of its 8949 tables and one rich print per event line): the bytes rich writes, rich called only
    for the year's heading."""
    from gainlog.cli.cmd_audit import _print_diff
    from rich.console import Console

    row = {"description": "1 BTC", "date_acquired": "2024-01-10", "date_sold": "2024-06-10", "proceeds": "41000.00",
           "cost_basis": "30000.00", "adjustment": "0.00", "gain": "11000.00", "term": "short", "event_key": "c:s1"}
    amount = {"from": "40000.00", "to": "41000.00", "delta": "1000.00"}
    result = {"year": 2024, "from": 4, "to": 9,
              "schedule_d": {"short_term": {"proceeds": amount, "gain": amount}},
              "rows": {"removed": [{**row, "proceeds": "40000.00", "gain": "10000.00"}], "added": [row]},
              "events": [{"seq": n, "key": f"c:e{n}", "type": "buy", "at": "2024-06-10T12:00:00Z"}
                         for n in range(5, 10)]}
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich draws everything: the expected bytes, once its styles are gone
    monkeypatch.setenv("NO_COLOR", "1")
    with piped() as raw:
        _print_diff(result, None)
        by_rich = raw.getvalue().decode().replace("\x1b[1m", "").replace("\x1b[0m", "").replace("\x1b[3m", "")
    monkeypatch.delenv("FORCE_COLOR")
    calls: list[object] = []
    original = Console.print
    monkeypatch.setattr(Console, "print", lambda self, *a, **k: (calls.append(a), original(self, *a, **k)))
    with piped() as raw:
        _print_diff(result, None)
        assert raw.getvalue().decode() == by_rich
    assert len(calls) == 1
    assert by_rich.splitlines()[-1] == "  seq 9  buy 2024-06-10 12:00 UTC  c:e9"
