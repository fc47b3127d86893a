"""`cli.render.plain_number_table`: the bytes rich writes for a table of numbers to a pipe, without rich
(issue #19: `report all` prints one, and importing rich costs it ~25 ms), or None where rich must draw it."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout

import pytest
from gainlog.cli.render import console, number_column, number_table, plain_number_table
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
