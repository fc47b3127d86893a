"""The broker files `reconcile` reads: a broker's Form 1099-B / 1099-DA rows (docs/exports.md).

- `generic`: CONTRACT §4's CSV, header `asset,qty,date_acquired,date_sold,proceeds,cost_basis,
  wash_sale_disallowed,box` (dates YYYY-MM-DD or MM/DD/YYYY; date_acquired `VARIOUS` or empty;
  cost_basis empty when not reported; wash_sale_disallowed and box may be empty).
- `schwab`: the CSV of Schwab's 1099 Composite: other forms' sections first, then a line
  `"Form 1099 B"`, a line of box numbers, and the header `Description of property (Example 100 sh.
  XYZ Co.)`, `Date acquired`, `Date sold or disposed`, `Proceeds`, `Cost or other basis`, `Accrued
  market discount`, `Wash sale loss disallowed` (amounts with `$` and commas), the term column
  (`Short-Term gain loss Long-term gain or loss Ordinary`, any name with "term") and the box (`Form 8949
  Code`: A, B, D, E; X is none). The description gives the quantity and the security, whose name is the
  asset: `1.00 ABIOMED INC` -> ABIOMED INC, `10 sh. AAPL` -> AAPL.
- `1099da`: the 1099-DA form-data CSV as exchanges' tax providers issue it (TaxBit's template):
  `asset_symbol`, `asset_quantity` (box 1c), `acquired_date` (1d), `disposed_date` (1e),
  `proceeds` (1f), `cost_basis` (1g), `gain_loss_classification` (box 6: Short-term, Long-term),
  `is_noncovered_security` (box 9), optionally `wash_sale_loss_disallowed` (1i) and
  `form_8949_checkbox` (G, H, J, K); dates M/D/YYYY or YYYY-MM-DD.
- `1099-b`: any broker 1099-B CSV that `import --format 1099-b` reads (`ledger/formats/broker_1099b.py`:
  columns found by name, box number and punctuation ignored, e.g. Fidelity's 1099 CSV with its
  `1099-B-1g-Wash sale loss Disallowed`), read by the same code: box 1g, or a Form 8949 layout's code
  W with its adjustment, is `wash_sale_disallowed`; a date acquired `Various` and an empty cost basis
  are kept (None); the box is the `Box` column's, else A/B (short) or D/E (long) from a covered
  column or section title.

Every problem is an `InvalidEvent` (exit 2) naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..ledger.errors import InvalidEvent
from ..projections.reconcile import BrokerRow

FORMATS = ("generic", "schwab", "1099da", "1099-b")
GENERIC_HEADER = ("asset", "qty", "date_acquired", "date_sold", "proceeds", "cost_basis", "wash_sale_disallowed",
                  "box")
SCHWAB_MARK = "Form 1099 B"
SCHWAB_DESCRIPTION = "Description of property (Example 100 sh. XYZ Co.)"
BOXES = frozenset("ABCDEFGHIJKL")


class _Line:
    """One CSV row with its file and line, for messages naming where a value is wrong."""

    def __init__(self, path: Path, number: int, values: dict[str, str]) -> None:
        self.path, self.number, self.values = path, number, values

    def fail(self, column: str, problem: str) -> InvalidEvent:
        return InvalidEvent(f"{self.path}:{self.number}: column {column!r}: {problem}")

    def text(self, column: str) -> str:
        return (self.values.get(column) or "").strip()

    def day(self, column: str, *, various: bool = False) -> date | None:
        text = self.text(column)
        if various and (not text or text.upper() == "VARIOUS"):
            return None
        for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise self.fail(column, f"{text!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")

    def amount(self, column: str, *, optional: bool = False) -> Decimal | None:
        text = self.text(column).replace("$", "").replace(",", "").strip()
        negative = text.startswith("(") and text.endswith(")")
        text = text.strip("()")
        if not text or text in ("--", "-"):
            if optional:
                return None
            raise self.fail(column, "is empty")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise self.fail(column, f"{self.text(column)!r} is not an amount") from None
        if not value.is_finite():
            raise self.fail(column, f"{self.text(column)!r} is not an amount")
        return -value if negative else value


def _rows(path: Path, text: str, start: int = 1) -> tuple[list[str], list[_Line]]:
    """The header and the rows of CSV text whose first line is file line `start`."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidEvent(f"{path}: the file is empty") from None
    except csv.Error as exc:
        raise InvalidEvent(f"{path}:{start}: not valid CSV ({exc})") from None
    lines: list[_Line] = []
    try:
        for values in reader:
            if any(v.strip() for v in values):
                lines.append(_Line(path, start + reader.line_num - 1, dict(zip(header, values, strict=False))))
    except csv.Error as exc:
        raise InvalidEvent(f"{path}:{start + reader.line_num - 1}: not valid CSV ({exc})") from None
    return header, lines


def _need(path: Path, header: list[str], names: tuple[str, ...], layout: str, line: int = 1) -> None:
    missing = [n for n in names if n not in header]
    if missing:
        raise InvalidEvent(f"{path}:{line}: the header of this {layout} file has no column {', '.join(missing)}")


def _box(row: _Line, column: str) -> str:
    text = row.text(column).upper()
    if text and text not in BOXES:
        raise row.fail(column, f"{row.text(column)!r} is not a Form 8949 box (A to L)")
    return text


def _term(text: str) -> str:
    low = text.strip().lower()
    if low.startswith("short") or low == "s":
        return "short"
    if low.startswith("long") or low == "l":
        return "long"
    return ""


def _positive_qty(row: _Line, column: str, text: str) -> Decimal:
    try:
        qty = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise row.fail(column, f"{text!r} is not a quantity") from None
    if not qty.is_finite() or qty <= 0:
        raise row.fail(column, f"{text!r} is not a quantity above zero")
    return qty


def read_generic(path: Path, text: str) -> list[BrokerRow]:
    header, lines = _rows(path, text)
    _need(path, header, GENERIC_HEADER[:6], "generic")
    out = []
    for row in lines:
        if not row.text("asset"):
            raise row.fail("asset", "is empty")
        sold = row.day("date_sold")
        assert sold is not None
        proceeds = row.amount("proceeds")
        assert proceeds is not None
        out.append(BrokerRow(
            line=row.number, asset=row.text("asset"), qty=_positive_qty(row, "qty", row.text("qty")),
            date_acquired=row.day("date_acquired", various=True), date_sold=sold, proceeds=proceeds,
            cost_basis=row.amount("cost_basis", optional=True),
            wash_sale_disallowed=row.amount("wash_sale_disallowed", optional=True) or Decimal(0),
            box=_box(row, "box"),
        ))
    return out


# "1.00 ABIOMED INC", "10 sh. AAPL": the quantity, then the security (Schwab writes its name, not its ticker)
_SCHWAB_QTY = re.compile(r"^\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s+(?:(?:SH|SHS|SHARES)\.?\s+)?(\S.*)$", re.IGNORECASE)


def read_schwab(path: Path, text: str) -> list[BrokerRow]:
    lines = text.splitlines(keepends=True)
    mark = next((i for i, ln in enumerate(lines) if next(csv.reader([ln]), [""])[:1] == [SCHWAB_MARK]), None)
    if mark is None:
        raise InvalidEvent(f"{path}: no line \"{SCHWAB_MARK}\": not the CSV of a Schwab 1099 Composite")
    start = mark + 3  # the mark, a line of box numbers, then the header (file lines from 1)
    header, rows = _rows(path, "".join(lines[mark + 2:]), start=start)
    names = (SCHWAB_DESCRIPTION, "Date acquired", "Date sold or disposed", "Proceeds", "Cost or other basis",
             "Wash sale loss disallowed")
    _need(path, header, names, "Schwab 1099 Composite", line=start)
    term_column = next((h for h in header if "term" in h.lower()), "")
    box_column = next((h for h in header if h.lower() in ("box", "form 8949 box", "8949 box", "form 8949 code")), "")
    out = []
    for row in rows:
        description = row.text(SCHWAB_DESCRIPTION)
        if description.lower().startswith("total"):
            continue
        found = _SCHWAB_QTY.match(description)
        if found is None:
            raise row.fail(SCHWAB_DESCRIPTION, f"{description!r} does not start with a quantity and a security")
        sold = row.day("Date sold or disposed")
        proceeds = row.amount("Proceeds")
        assert sold is not None and proceeds is not None
        out.append(BrokerRow(
            line=row.number, asset=" ".join(found.group(2).split()),
            qty=_positive_qty(row, SCHWAB_DESCRIPTION, found.group(1)),
            date_acquired=row.day("Date acquired", various=True), date_sold=sold, proceeds=proceeds,
            cost_basis=row.amount("Cost or other basis", optional=True),
            wash_sale_disallowed=row.amount("Wash sale loss disallowed", optional=True) or Decimal(0),
            term=_term(row.text(term_column)) if term_column else "",
            box=_box(row, box_column) if box_column and row.text(box_column).upper() != "X" else "",  # X: no box
        ))
    return out


def read_1099da(path: Path, text: str) -> list[BrokerRow]:
    header, lines = _rows(path, text)
    _need(path, header, ("asset_symbol", "asset_quantity", "acquired_date", "disposed_date", "proceeds",
                         "cost_basis"), "1099-DA")
    out = []
    for row in lines:
        if not row.text("asset_symbol"):
            raise row.fail("asset_symbol", "is empty")
        sold = row.day("disposed_date")
        proceeds = row.amount("proceeds")
        assert sold is not None and proceeds is not None
        term = _term(row.text("gain_loss_classification"))
        noncovered = row.text("is_noncovered_security").upper() in ("TRUE", "X", "YES", "1")
        basis = row.amount("cost_basis", optional=True)
        box = _box(row, "form_8949_checkbox")
        if not box and term:
            reported = basis is not None and not noncovered
            box = {("short", True): "G", ("short", False): "H", ("long", True): "J", ("long", False): "K"}[
                (term, reported)]
        out.append(BrokerRow(
            line=row.number, asset=row.text("asset_symbol"),
            qty=_positive_qty(row, "asset_quantity", row.text("asset_quantity")),
            date_acquired=row.day("acquired_date", various=True), date_sold=sold, proceeds=proceeds,
            cost_basis=basis, wash_sale_disallowed=row.amount("wash_sale_loss_disallowed", optional=True) or Decimal(0),
            term=term, box=box,
        ))
    return out


def read_1099b(path: Path, text: str) -> list[BrokerRow]:
    from ..ledger.formats import broker_1099b as form

    columns, sales = form.read_sales(text, path)
    out = []
    for row, section in sales:
        line = int(row.where.rsplit(":", 1)[1])
        qty = form.quantity_of(row, columns)
        if not qty or qty <= 0:
            raise row.error(columns.get("quantity", "Quantity"), "no quantity above zero (no Quantity column, and "
                            "the description starts with no number)")
        sold = form.day_of(row, columns["sold"])
        various = row.text(columns["acquired"]).lower() in ("various", "var", "")
        acquired = None if various else form.day_of(row, columns["acquired"], before=sold)
        proceeds = form.money(row, columns["proceeds"])
        if proceeds is None:
            raise row.error(columns["proceeds"], "is empty")
        term = form.normalised(row.text(columns.get("term", ""))) or section.get("term", "")
        term = "long" if term in form.LONG else "short" if term in form.SHORT else ""
        box = form.box_letter(row.text(columns.get("box", "")))
        covered = form.normalised(row.text(columns.get("covered", ""))) or section.get("covered", "")
        if not box and term and covered:
            reported = covered in ("yes", "y", "true", "covered")
            box = {("short", True): "A", ("short", False): "B", ("long", True): "D", ("long", False): "E"}[
                (term, reported)]
        out.append(BrokerRow(
            line=line, asset=form.asset_of(row, columns), qty=qty,
            date_acquired=acquired,
            date_sold=sold, proceeds=abs(proceeds),
            cost_basis=form.money(row, columns["basis"]), wash_sale_disallowed=form.wash_sale(row, columns),
            term=term, box=box,
        ))
    return out


READERS: dict[str, Callable[[Path, str], list[BrokerRow]]] = {
    "generic": read_generic, "schwab": read_schwab, "1099da": read_1099da, "1099-b": read_1099b,
}


def read_broker_file(path: Path, fmt: str) -> list[BrokerRow]:
    """The broker's rows of `path` in layout `fmt` (a `UsageError` for an unknown layout)."""
    from ..ledger.errors import UsageError

    reader = READERS.get(fmt)
    if reader is None:
        raise UsageError(f"--format {fmt!r}: give one of {', '.join(FORMATS)}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidEvent(f"{path}: not a UTF-8 text file") from None
    return reader(path, text)
