"""Reading an exchange or broker CSV export into rows that know their file, line and columns.

Every format module works on `Row`s so that each error it raises names the same three things the
user needs to fix the export: `FILE:LINE: column 'NAME': ...` (exit 2, via InvalidEvent). The line
is the physical line the record starts on (a quoted cell may span lines), counted from 1 like an
editor does, so it matches what the user sees when opening the file.

Exports start with free-form preamble rows (Coinbase's "Transactions" / "User" lines, Schwab's
"Transactions for account ..." title), so the header is the first row holding every required
column, not simply the first row.

Amounts are parsed here, once, into Decimal: thousands separators only in groups of three
("1,234.56", never "1,5", which is a European decimal comma and ambiguous), an optional "$" and
sign in either order ("-$5.00", "$-5.00"), nothing else. Floats never appear.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ledger import codec, importer
from ledger.errors import InvalidEvent
from ledger.importer import Parsed
from ledger.limits import shown, year_problem

_NUMBER = re.compile(
    r"(?P<sign>[-+]?)(?P<dollar>\$?)(?P<sign2>[-+]?)"
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?P<frac>\.\d+)?(?P<exp>[eE][-+]?\d+)?"
)
MAX_WHOLE_DIGITS, MAX_DECIMALS = 15, 18  # codec.PLAIN
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass
class Conversion:
    """What a converter made of an export: the events, and sentences about rows it skipped."""

    events: list[Parsed] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def plain(value: Decimal) -> str:
    """A Decimal in the plain notation the contract wants ('1E+1' -> '10')."""
    return format(value, "f")


def nonzero(value: Decimal) -> str | None:
    """An optional amount (a fee): left out of the event when zero, like a `.jsonl` line would."""
    return plain(value) if value else None


def text_hash(cells: Iterable[str]) -> str:
    """A short, stable digest of a row's cells: the identity of a row whose export has no id."""
    joined = "\x1f".join(cell.strip() for cell in cells)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Row:
    """One data record of an export: its `FILE:LINE` and its cells by header name."""

    where: str
    cells: Mapping[str, str]
    order: tuple[str, ...] = field(default=())

    def has(self, column: str) -> bool:
        return column in self.cells

    def text(self, column: str) -> str:
        """The stripped cell ('' when the column is absent or empty)."""
        return self.cells.get(column, "").strip()

    def error(self, column: str, message: str) -> InvalidEvent:
        """The one-sentence error the CLI prints: `FILE:LINE: column 'NAME': message`."""
        return InvalidEvent(f"{self.where}: column {column!r}: {message}")

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            raise self.error(column, "is empty")
        return value

    def decimal(self, column: str, *, money: bool = False) -> Decimal | None:
        """The cell as an exact Decimal (None when empty); `money` admits a '$'."""
        raw = self.text(column)
        if not raw or raw in ("--", "-"):
            return None
        match = _NUMBER.fullmatch(raw)
        if match is None or (match["dollar"] and not money) or (match["sign"] and match["sign2"]):
            kind = "a USD amount" if money else "a decimal"
            raise self.error(column, f"{shown(raw)} is not {kind}")
        if not (match["int"] or match["frac"]):
            raise self.error(column, f"{shown(raw)} is not {'a USD amount' if money else 'a decimal'}")
        digits = (match["int"] or "0").replace(",", "") + (match["frac"] or "") + (match["exp"] or "")
        try:
            value = Decimal(digits)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid digits
            raise self.error(column, f"{shown(raw)} is not a decimal") from None
        # The contract's numbers have at most 15 digits before the point and 18 after it: refuse
        # here, naming the column, what no event could hold ('1e9999999' would overflow any sum).
        if not value:
            value = Decimal(0)  # '0e-999999' is zero, not a million zeros
        elif value.adjusted() >= MAX_WHOLE_DIGITS:
            raise self.error(column, f"{shown(raw)} is too large (at most {MAX_WHOLE_DIGITS} digits before the point)")
        elif value.adjusted() < -MAX_DECIMALS:
            raise self.error(column, f"{shown(raw)} is too small (at most {MAX_DECIMALS} decimals)")
        return -value if "-" in (match["sign"], match["sign2"]) else value

    def amount(self, column: str, *, money: bool = False) -> Decimal:
        """The cell's size (sign dropped: exports sign by direction, the ledger by event type)."""
        value = self.decimal(column, money=money)
        if value is None:
            raise self.error(column, "is empty")
        return abs(value)

    def positive(self, column: str, *, money: bool = False) -> Decimal:
        """A size that must be above zero (a trade's quantity or price)."""
        value = self.amount(column, money=money)
        if value == 0:
            raise self.error(column, "must not be zero")
        return value

    def us_date(self, column: str) -> str:
        """'MM/DD/YYYY' (or 'MM/DD/YYYY as of MM/DD/YYYY': the first date) as a bare ISO date."""
        raw = self.required(column)
        match = _US_DATE.match(raw)
        rest = raw[match.end() :].strip() if match else raw
        if match is None or (rest and not rest.lower().startswith("as of ")):
            raise self.error(column, f"{shown(raw)} is not a date MM/DD/YYYY")
        try:
            day = date(int(match[3]), int(match[1]), int(match[2]))
        except ValueError:
            raise self.error(column, f"{shown(raw)} is not a real date") from None
        problem = year_problem(day.year)
        if problem is not None:
            raise self.error(column, f"{shown(raw)}: the year {problem}")
        return day.isoformat()

    def timestamp(self, column: str, text: str, *, tz: ZoneInfo) -> str:
        """An RFC 3339 time made from `text` (the cell rewritten by the format), checked here."""
        try:
            codec.parse_at(text, tz=tz, where=self.where)
        except InvalidEvent as exc:
            _, _, reason = str(exc).partition(f"{text!r} ")  # the codec's reason, when it is not the syntax
            if not reason.startswith(("is out of range", "has digits below")):
                reason = "is not a time this format knows"
            raise self.error(column, f"{shown(self.text(column))} {reason}") from None
        return text

    def event(self, raw: dict[str, Any], *, tz: ZoneInfo) -> Parsed:
        """Validate a canonical event built from this row exactly as a `.jsonl` line is validated.

        Fields given as None are left out, so an absent note or zero-free body stays canonical.
        """
        present = {name: value for name, value in raw.items() if value is not None}
        return Parsed(self.where, codec.parse_event(present, tz=tz, where=self.where))


def read_rows(path: Path, *, required: tuple[str, ...], label: str) -> list[Row]:
    """The data rows after the header (the first row holding every `required` column).

    Blank rows are skipped. A file that is missing, not UTF-8 or has no such header is refused
    with one sentence naming it.
    """
    text = importer.read_text(path).text  # UTF-8, or Windows-1252 (`formats.convert` warns)
    reader = csv.reader(io.StringIO(text, newline=""))
    name = str(path)
    header: tuple[str, ...] | None = None
    rows: list[Row] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidEvent(f"{name}:{start}: not valid CSV ({exc})") from None
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            stripped = tuple(cell.strip() for cell in cells)
            if set(required) <= set(stripped):
                header = stripped
            continue
        rows.append(_row(f"{name}:{start}", header, cells))
    if header is None:
        wanted = ", ".join(repr(c) for c in required)
        raise InvalidEvent(f"{name}: no header row with the columns {wanted}: is this a {label} export?")
    return rows


def _row(where: str, header: tuple[str, ...], cells: list[str]) -> Row:
    extra = [c for c in cells[len(header) :] if c.strip()]
    if extra:
        raise InvalidEvent(f"{where}: {len(cells)} cells but the header has {len(header)} columns")
    return Row(where, dict(zip(header, cells, strict=False)), header)
