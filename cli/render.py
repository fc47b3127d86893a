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
from itertools import chain
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
    prints one such table); None when rich must draw it (`_plain_table`).
    tests/test_render_plain_table.py holds it to rich's bytes.
    """
    if not rows:
        return None
    return _plain_table(title, head, [True] * len(head), [(row, False) for row in rows], None)


def print_table(out: Any, table: Any) -> None:
    """`out.print(table)` for a rich `Table` made the way this package makes them (the default box,
    padding and title; columns left or right justified; cells of one line), written as the same bytes
    without rich's layout where `_plain_table` can (issue #19: rich spends about 1 ms a row, 23 s on a
    12,600-row `report 8949` or `diff` table off a terminal, where the text takes milliseconds).
    tests/test_render_plain_table.py holds it to rich's bytes."""
    text = _table_text(table)
    if text is None:
        out.print(table)
    else:
        out.file.write(text)


def _table_text(table: Any) -> str | None:
    """The plain text of `table` when it has only what `_plain_table` draws, else None."""
    from rich import box
    from rich.text import Text

    def text(cell: Any) -> str:
        if isinstance(cell, str):
            return cell
        plain = type(cell) is Text and cell.justify is None and cell.overflow is None and not cell.tab_size
        if plain and cell.end == "\n":
            return str(cell.plain)
        raise LookupError(cell)  # a renderable rich must lay out

    columns = table.columns
    if (table.box is not box.HEAVY_HEAD or tuple(table.padding) != (0, 1, 0, 1) or table.caption is not None
            or table.show_lines or table.leading or table.row_styles or table.expand or table.width is not None
            or table.min_width is not None or not table.show_header or not table.show_edge or not table.pad_edge
            or table.collapse_padding or table.safe_box is not None or table.title_justify != "center"
            or not isinstance(table.title, str) or not columns
            or any(c.justify not in ("left", "right") or c.width is not None or c.min_width is not None
                   or c.max_width is not None or c.ratio is not None or c.vertical != "top" for c in columns)
            or any(row.style is not None for row in table.rows) or any(row.end_section for row in table.rows[-1:])):
        return None
    try:
        head = [text(c.header) for c in columns]
        footer = [text(c.footer) for c in columns] if table.show_footer else None
        cells = [[text(cell) for cell in c._cells] for c in columns]
    except LookupError:
        return None
    rows = [([column[i] for column in cells], row.end_section) for i, row in enumerate(table.rows)]
    return _plain_table(table.title, head, [c.justify == "right" for c in columns], rows, footer)


def _plain_table(title: str, head: Sequence[str], right: Sequence[bool],
                 rows: Sequence[tuple[Sequence[str], bool]], footer: Sequence[str] | None) -> str | None:
    """The bytes rich writes to a pipe for a table of `head`, `rows` (each with whether a section ends
    after it) and `footer` (None: no footer), its columns right-justified where `right` says, in the
    default box; None where rich must draw it: stdout is a terminal (it may wrap or style) or is told
    to be one, is not UTF-8 (rich draws ASCII boxes), any text is not printable with single spaces
    inside only and one cell per character (rich moves the others), or the title is empty or wider
    than the table (rich wraps it)."""
    if isatty(sys.stdout) or any(name in os.environ for name in _RICH_FORCING):
        return None
    if not (getattr(sys.stdout, "encoding", None) or "").lower().startswith("utf"):
        return None
    lines = [*(row for row, _ in rows), head, *([footer] if footer is not None else [])]
    if any(len(line) != len(head) for line in lines) or not all(map(_plain_cell, [title, *chain.from_iterable(lines)])):
        return None
    widths = [max(map(len, column)) for column in zip(*lines, strict=True)]
    width = sum(widths) + 3 * len(widths) + 1
    if not title or len(title) > width or width > PIPE_WIDTH:
        return None  # no title line, or a wrapped one; a table wider than the console

    def border(ends: str, joint: str, fill: str) -> str:
        return ends[0] + joint.join(fill * (w + 2) for w in widths) + ends[1]

    def cells(bar: str, values: Sequence[str]) -> str:
        return bar + bar.join(f" {value.rjust(w) if r else value.ljust(w)} "
                              for value, w, r in zip(values, widths, right, strict=True)) + bar

    left = (width - len(title)) // 2
    section = border("├┤", "┼", "─")
    out = [" " * left + title + " " * (width - len(title) - left), border("┏┓", "┳", "━"), cells("┃", head),
           border("┡┩", "╇", "━")]
    for row, end_section in rows:
        out.append(cells("│", row))
        if end_section:
            out.append(section)
    if footer is not None:
        out += [section, cells("│", footer)]
    out.append(border("└┘", "┴", "─"))
    return "\n".join(out) + "\n"


_PLAIN_EXTRA = frozenset("—…")  # the non-ASCII characters our own table text uses, one cell each


def _plain_cell(text: str) -> bool:
    """Whether rich draws `text` in a cell as it is: printable, one cell a character, no space at
    either end nor two in a row."""
    return ((text.isascii() or all(c.isascii() or c in _PLAIN_EXTRA for c in text)) and text.isprintable()
            and text == text.strip() and "  " not in text)


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
