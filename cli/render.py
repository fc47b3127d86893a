"""Output for people: user text shown literally and safely (issue #17).

Everything a user typed or imported (ids, notes, assets, wallets, sources, tags, file names) reaches
the terminal only through these helpers:

- `console()`: a rich console with markup, emoji codes and highlighting off, that shows every string
  it renders through `visible` (so `[/b]`, `:smile:` or an ESC in a note print as typed, never as
  markup, an emoji or a terminal command). When stdout is not a terminal it never wraps or cuts:
  the width is unlimited, so a pipe or a file gets every number in full.
- `visible(text)`: every character `str.isprintable` refuses (control characters such as ESC,
  newline, DEL and C1 codes; format characters such as the bidi override U+202E; line separators)
  as a Python escape, `\\x1b`, `\\n`, `\\u202e`. JSON output never goes through it.
- `cap(text)`: a long note shortened for a table or a line, with the number of characters left out.
- `short_key(key)`: a 64-hex hash in a key shortened to its first 8 digits (`src:1a2b3c4d…#1`).
- `styled(text, style)`: a rich `Text` of our own words in a style (markup is off).
- `number_column(table, name)`: a right-aligned column for money or quantities, never ellipsised.

Human output that does not go through rich (`say`, plain `log` rows, warnings) uses `visible` itself.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from functools import cache
from typing import Any

NOTE_LIMIT = 200  # characters of a note a table or a line shows
PIPE_WIDTH = 100_000  # "unlimited": the console width when stdout is not a terminal
_HASH = re.compile(r"[0-9a-f]{64}")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str) -> str:
    """`text` with every non-printable character written as an escape (`\\x1b`, `\\n`, `\\u202e`)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def cap(text: str, limit: int = NOTE_LIMIT) -> str:
    """`text` cut to its first `limit` characters, saying how many more there are."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…({len(text) - limit} more)"


def short_key(key: str) -> str:
    """A key with each 64-hex hash shortened to 8 digits and `…` (`src:1a2b3c4d…#1`): tables only."""
    return _HASH.sub(lambda m: m[0][:8] + "…", key)


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def console(*, stderr: bool = False) -> Any:
    """A rich console for people: user text literal and visible, unlimited width off a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if isatty(stream) else PIPE_WIDTH
    return _safe_console_class()(stderr=stderr, width=width, markup=False, emoji=False, highlight=False)


def printer() -> Any:
    """Where long line-by-line output goes (`explain`): `console()` on a terminal; off one, `PlainLines`,
    which writes what that console would (no style, no wrapping) without rich's cost per line."""
    if isatty(sys.stdout) or "FORCE_COLOR" in os.environ:
        return console()
    return PlainLines()


class PlainLines:
    """`print(str | rich Text)` as plain text lines, control characters visible."""

    def print(self, item: Any) -> None:
        text = item.plain if hasattr(item, "plain") else visible(str(item))
        sys.stdout.write(text + "\n")


@cache
def _safe_console_class() -> Any:
    from rich.console import Console

    class SafeConsole(Console):
        """Every string it renders (lines, table cells, titles) goes through `visible` first."""

        def render_str(self, text: str, **kwargs: Any) -> Any:
            return super().render_str(visible(text), **kwargs)

    return SafeConsole


def styled(text: str, style: str) -> Any:
    """Our own words in a rich style (markup is off, so no `[b]...[/b]`)."""
    from rich.text import Text

    return Text(visible(text), style=style)


def number_column(table: Any, name: str, **kwargs: Any) -> None:
    """A right-aligned column of money or quantities, never cut to `1880.…`: in a `number_table()` that is
    too wide for the terminal it keeps the width of its longest number while the text columns wrap;
    only when even that cannot fit does a number fold onto a second line."""
    table.add_column(name, justify="right", overflow="fold", **kwargs)


def number_table(**kwargs: Any) -> Any:
    """A rich `Table` whose right-aligned (number) columns keep their numbers' width when it must
    shrink to fit a terminal (rich would narrow every column alike and cut the numbers)."""
    return _number_table_class()(**kwargs)


@cache
def _number_table_class() -> Any:
    from rich.cells import cell_len
    from rich.table import Table

    def width(cell: Any) -> int:
        return cell_len(visible(cell)) if isinstance(cell, str) else int(getattr(cell, "cell_len", 0))

    class NumberTable(Table):
        def __rich_console__(self, console: Any, options: Any) -> Any:
            if self.__rich_measure__(console, options).maximum > options.max_width:
                for column in self.columns:
                    if column.justify == "right" and column.width is None:
                        words = str(column.header).split() or [""]
                        cells = [*column._cells, column.footer if self.show_footer else ""]
                        column.width = max(max(width(c) for c in cells), *(len(w) for w in words))
            return super().__rich_console__(console, options)

    return NumberTable


# Environment variables that make rich write colour or terminal codes to a pipe: rich draws then.
_RICH_FORCING = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def plain_number_table(title: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str | None:
    """What `console().print(table)` writes for a `number_table(title=title)` of right-aligned
    `number_column`s named `head` and holding `rows`, without importing rich (~25 ms: `report all`
    prints one such table); None when rich must draw it: stdout is a terminal (it may wrap or
    style) or is told to be one, is not UTF-8 (rich draws ASCII boxes), any text is not printable
    ASCII with single spaces inside only (rich moves the others), there are no rows, or the title
    is empty or wider than the table (rich wraps it).
    tests/test_render_plain_table.py holds it to rich's bytes.
    """
    if isatty(sys.stdout) or any(name in os.environ for name in _RICH_FORCING):
        return None
    if not (getattr(sys.stdout, "encoding", None) or "").lower().startswith("utf"):
        return None
    texts = [title, *head, *(cell for row in rows for cell in row)]
    if not rows or any(len(row) != len(head) for row in rows) or not all(
            t.isascii() and t.isprintable() and t == t.strip() and "  " not in t for t in texts):
        return None
    widths = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(head)]
    width = sum(widths) + 3 * len(widths) + 1
    if not title or len(title) > width:
        return None  # no title line, or a wrapped one
    left = (width - len(title)) // 2

    def border(ends: str, joint: str, fill: str) -> str:
        return ends[0] + joint.join(fill * (w + 2) for w in widths) + ends[1]

    def cells(bar: str, values: Sequence[str]) -> str:
        return bar + bar.join(f" {value.rjust(w)} " for value, w in zip(values, widths, strict=True)) + bar

    lines = [" " * left + title + " " * (width - len(title) - left), border("┏┓", "┳", "━"), cells("┃", head),
             border("┡┩", "╇", "━"), *(cells("│", row) for row in rows), border("└┘", "┴", "─")]
    return "\n".join(lines) + "\n"


def line(*parts: str | tuple[str, str]) -> Any:
    """A rich `Text` of literal pieces, each a string or (string, style), control characters visible."""
    from rich.text import Text

    return Text.assemble(*((visible(p[0]), p[1]) if isinstance(p, tuple) else visible(p) for p in parts))


def local_time(text: str, tz: Any, *, whole_seconds: bool = False) -> str:
    """An RFC 3339 time in the ledger's zone, zone abbreviation named (`2024-01-02 07:00 EST`);
    a date or a year as it is. Seconds only when not zero, the fraction unless `whole_seconds`."""
    from datetime import datetime

    if len(text) <= 10:
        return text
    try:
        when = datetime.fromisoformat(text).astimezone(tz)
    except ValueError:
        return text
    if when.microsecond and not whole_seconds:
        return when.strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    return when.strftime("%Y-%m-%d %H:%M:%S %Z" if when.second or when.microsecond else "%Y-%m-%d %H:%M %Z")
