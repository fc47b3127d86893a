"""R6.5 Filing exports: one tax year's Form 8949 rows and Schedule D as the files tax software takes.

Source: docs/exports.md (each layout with where it was confirmed). Pure functions over the year's
8949 rows (`projections.form8949.rows`, cents) and its Schedule D (`projections.tax_year`): no second
replay, no I/O. Every export carries every row with its rounded (d), (e), (g), so its totals are
exactly Schedule D's (CONTRACT §4 "Filing outputs").

- `txf_text`: TXF v042 (Intuit's Tax Exchange Format, revision of 11/30/2011), one detail record of
  record format 5 per row: `TD`, `N<refnum>`, `C1`, `L1`, `P<description>`, `D<acquired>`,
  `D<sold>`, `$<cost basis>`, `$<sales net>`, `$<disallowed wash sale>` (empty without code W),
  `^`. The refnum says the box: A 321, B 711, C 712, D 323, E 713, F 714. TXF v042 predates Form
  1099-DA: boxes G/H/I/J/K/L take the refnum of A/B/C/D/E/F [choice], the box with the same basis
  reporting, and the statement (`pages`) names the real box.
- `turbotax_csv`: TurboTax's gains-and-losses CSV upload (Currency Name, Purchase Date, Cost Basis,
  Date Sold, Proceeds). It has no adjustment column: `unexported_adjustments` names the rows whose
  (g) must be entered by hand; `too_many_rows` warns past the 3,999 rows a file takes.
- `taxact_csv`: TaxAct's 1099-B / Form 8949 CSV import, with wash sale, adjustment code and amount
  and the reporting category (the box).
- `pages`: the Form 8949-style statement: one page set per box, `ROWS_PER_PAGE` rows a page, page
  and box totals; the PDF itself is drawn by the CLI (`cli.export_pdf`).

Example (trade_fees): the row "1 BTC", acquired 2024-01-10, sold 2024-06-01, proceeds 11950.00,
basis 10100.00, box C -> TXF `N712` ... `$10100.00` `$11950.00` `$`.

Reports no problems; `unexported_adjustments` lists what a layout cannot carry.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import msgspec

from .form8949 import BOX_ORDER, Row, money
from .rules.form_box import Box
from .tax_year import ScheduleD

ZERO = Decimal(0)
WASH = "W"
TXF_VERSION = "V042"
# TXF v042 refnums (Section IV, 11/30/2011): Form 8949 box -> taxref; 1099-DA boxes as their 1099-B twins
BOX_TO_REFNUM: dict[Box, int] = {
    "A": 321, "B": 711, "C": 712, "D": 323, "E": 713, "F": 714,
    "G": 321, "H": 711, "I": 712, "J": 323, "K": 713, "L": 714,
}
TURBOTAX_HEADER = ("Currency Name", "Purchase Date", "Cost Basis", "Date Sold", "Proceeds")
TAXACT_HEADER = (
    "Description", "Date Acquired", "Date Sold", "Sales Proceeds", "Cost or Other Basis", "Wash Sale",
    "Adjustment Code", "Adjustment Amount", "Reporting Category",
)
TAXACT_LIMIT = 2000  # transactions TaxAct imports into one return
TURBOTAX_LIMIT = 3999  # rows a TurboTax CSV upload takes, as exporters that write it split their files
ROWS_PER_PAGE = 20  # rows on one page of the statement


class Statement(msgspec.Struct, frozen=True, kw_only=True):
    """One tax year's filing data: what every export is made from.

    Attributes:
        year: the tax year.
        rows: the year's Form 8949 rows (cents), in 8949 order.
        schedule_d: the year's Schedule D, from the same replay.
    """

    year: int
    rows: tuple[Row, ...]
    schedule_d: ScheduleD


def mdy(day: date) -> str:
    """MM/DD/YYYY, the date TXF and the CSV imports take."""
    return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"


def _one_line(text: str) -> str:
    """A text for a one-line field: line breaks and the TXF record mark `^` at a line start made spaces."""
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def wash_amount(row: Row) -> Decimal | None:
    """The disallowed wash-sale loss a row carries ((g) of a row with code W), None without one."""
    return row.adjustment if WASH in row.code else None


def unexported_adjustments(rows: Sequence[Row], *, fmt: str) -> list[int]:
    """Numbers (from 1, 8949 order) of the rows whose (g) the layout `fmt` cannot carry: in TurboTax's
    CSV every adjusted row, in TXF a row adjusted under a code other than W."""
    if fmt == "turbotax":
        return [n for n, r in enumerate(rows, 1) if r.adjustment]
    if fmt == "txf":
        return [n for n, r in enumerate(rows, 1) if r.adjustment and wash_amount(r) is None]
    return []


def too_many_rows(count: int, *, fmt: str) -> str | None:
    """The warning for a file of `count` rows that the tax program of `fmt` will not take whole, else None."""
    if fmt == "taxact" and count > TAXACT_LIMIT:
        return f"{count} rows: TaxAct imports at most {TAXACT_LIMIT} transactions into one return"
    if fmt == "turbotax" and count > TURBOTAX_LIMIT:
        return (f"{count} rows: TurboTax's CSV upload takes at most {TURBOTAX_LIMIT:,} rows a file: upload the "
                f"file in parts of {TURBOTAX_LIMIT:,} rows (each with the header), or use --format txf")
    return None


def txf_text(rows: Sequence[Row], *, exported_on: date, program: str) -> str:
    """The TXF v042 file (CRLF lines): header `V042`, `A<program>`, `D<date>`, `^`, then one record
    of format 5 per row, in box order (A..L as `form8949.grouped`), each ending with `^`."""
    lines = [TXF_VERSION, f"A{_one_line(program)}", f"D{mdy(exported_on)}", "^"]
    for r in sorted(rows, key=lambda r: BOX_ORDER[r.box]):
        wash = wash_amount(r)
        lines += [
            "TD", f"N{BOX_TO_REFNUM[r.box]}", "C1", "L1", f"P{_one_line(r.description)}",
            f"D{mdy(r.date_acquired)}", f"D{mdy(r.date_sold)}", f"${money(r.cost_basis)}",
            f"${money(r.proceeds)}", "$" if wash is None else f"${money(wash)}", "^",
        ]
    return "\r\n".join(lines) + "\r\n"


def _csv(header: Sequence[str], body: list[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue()


def turbotax_csv(rows: Sequence[Row]) -> str:
    """TurboTax's gains-and-losses CSV: one line per row, in 8949 order (no box, no adjustment)."""
    return _csv(TURBOTAX_HEADER, [
        (r.asset, mdy(r.date_acquired), money(r.cost_basis), mdy(r.date_sold), money(r.proceeds)) for r in rows
    ])


def taxact_csv(rows: Sequence[Row]) -> str:
    """TaxAct's 1099-B CSV import: one line per row, in box order; the reporting category is the box."""
    return _csv(TAXACT_HEADER, [
        (r.description, mdy(r.date_acquired), mdy(r.date_sold), money(r.proceeds), money(r.cost_basis),
         WASH if WASH in r.code else "", r.code, money(r.adjustment) if r.adjustment or r.code else "", r.box)
        for r in sorted(rows, key=lambda r: BOX_ORDER[r.box])
    ])


class Totals(msgspec.Struct, frozen=True, kw_only=True):
    """Column totals of some rows: (d), (e), (g), (h)."""

    proceeds: Decimal = ZERO
    cost_basis: Decimal = ZERO
    adjustment: Decimal = ZERO
    gain: Decimal = ZERO


def totals(rows: Sequence[Row]) -> Totals:
    """The column totals of rows (sums of the rounded columns, as Schedule D's)."""
    return Totals(
        proceeds=sum((r.proceeds for r in rows), ZERO), cost_basis=sum((r.cost_basis for r in rows), ZERO),
        adjustment=sum((r.adjustment for r in rows), ZERO), gain=sum((r.gain for r in rows), ZERO),
    )


class Page(msgspec.Struct, frozen=True, kw_only=True):
    """One page of the statement.

    Attributes:
        box: the Form 8949 box of its rows.
        number: the page's number within its box (from 1).
        of: how many pages the box has.
        rows: its rows, in 8949 order.
        page_totals: the totals of its rows.
        box_totals: the box's totals, on the box's last page only.
    """

    box: Box
    number: int
    of: int
    rows: tuple[Row, ...]
    page_totals: Totals
    box_totals: Totals | None


def pages(rows: Sequence[Row], *, per_page: int = ROWS_PER_PAGE) -> list[Page]:
    """The statement's pages: each box with rows (A, B, C, G, H, I, then D, E, F, J, K, L) in pages of
    at most `per_page` rows, in 8949 order within the box."""
    box_to_rows: dict[str, list[Row]] = {}
    for r in rows:
        box_to_rows.setdefault(r.box, []).append(r)
    out: list[Page] = []
    for the_box in sorted(box_to_rows, key=BOX_ORDER.__getitem__):
        box_rows = box_to_rows[the_box]
        chunks = [box_rows[i:i + per_page] for i in range(0, len(box_rows), per_page)]
        for n, chunk in enumerate(chunks, 1):
            out.append(Page(
                box=chunk[0].box, number=n, of=len(chunks), rows=tuple(chunk), page_totals=totals(chunk),
                box_totals=totals(box_rows) if n == len(chunks) else None,
            ))
    return out


BOX_TITLES: dict[str, str] = {
    "A": "Short-term, reported on Form 1099-B showing basis reported to the IRS",
    "B": "Short-term, reported on Form 1099-B showing basis not reported to the IRS",
    "C": "Short-term, not reported on Form 1099-B",
    "D": "Long-term, reported on Form 1099-B showing basis reported to the IRS",
    "E": "Long-term, reported on Form 1099-B showing basis not reported to the IRS",
    "F": "Long-term, not reported on Form 1099-B",
    "G": "Short-term digital assets, reported on Form 1099-DA showing basis reported to the IRS",
    "H": "Short-term digital assets, reported on Form 1099-DA showing basis not reported to the IRS",
    "I": "Short-term digital assets, not reported on Form 1099-DA",
    "J": "Long-term digital assets, reported on Form 1099-DA showing basis reported to the IRS",
    "K": "Long-term digital assets, reported on Form 1099-DA showing basis not reported to the IRS",
    "L": "Long-term digital assets, not reported on Form 1099-DA",
}


def row_cells(r: Row) -> tuple[str, ...]:
    """A row's columns (a)-(h) as the statement prints them."""
    return (r.description, mdy(r.date_acquired), mdy(r.date_sold), money(r.proceeds), money(r.cost_basis),
            r.code, money(r.adjustment) if r.adjustment or r.code else "", money(r.gain))


def total_cells(t: Totals) -> tuple[str, str, str, str]:
    """(d), (e), (g), (h) of a totals line."""
    return money(t.proceeds), money(t.cost_basis), money(t.adjustment), money(t.gain)

