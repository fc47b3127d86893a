"""Charles Schwab's realized gain/loss export with lot details (schwab.com > Accounts > Realized
Gain/Loss, "Lot Details" view, Export), imported as closed positions like a 1099-B: each lot becomes
the `buy` and the `sell` that reproduce it, through the 1099-B importer's own code
(`broker_1099b.closed_lot`, `broker_1099b.add_closed_lots`). It serves accounts whose transaction
history does not reach back to the buys.

A title row ("Realized Gain/Loss - Lot Details for ACCOUNT as of ... from MM/DD/YYYY to MM/DD/YYYY")
stands above the header:

    "Symbol","Name","Closed Date","Opened Date","Quantity","Proceeds Per Share","Cost Per Share",
    "Proceeds","Cost Basis (CB)","Gain/Loss ($)","Gain/Loss (%)","Long Term Gain/Loss",
    "Short Term Gain/Loss","Term","Unadjusted Cost Basis","Wash Sale?","Disallowed Loss",
    "Transaction Closed Date","Transaction Cost Basis","Total Transaction Gain/Loss ($)", ...

| column | read as |
|---|---|
| Symbol | the asset, as written (an option is `XYZ 01/17/2025 50.00 C`) |
| Name | the note's description |
| Opened Date, Closed Date | the buy's and the sell's dates (MM/DD/YYYY) |
| Quantity | qty (a negative quantity, a short position, is not mapped) |
| Proceeds | the sell's total ($0.00, a lot closed for nothing, is not mapped) |
| Cost Basis (CB) | the buy's total (empty or $0.00: not mapped) |
| Wash Sale?, Disallowed Loss | with Yes, the sell's `wash_disallowed` (as 1099-B box 1g) |
| Gain/Loss ($), Term | only checked: a gain other than P - C + W or P - C, a term the dates do not give: warned |

Money is "$1,234.56", "-$12.34" or "($12.34)"; "--" is an empty cell. Rows that hold no lot are
left out: repeated header rows, rows with only a first cell (the title, an account's name, "There
are no transactions ..."), rows whose Symbol starts or ends with "Total", rows with neither a Symbol
nor a Closed Date. The last total row's Proceeds, Cost Basis (CB) and Gain/Loss ($) are checked
against the sums of the lots' (a warning names the line). The per-share and "Transaction ..."
columns are not read.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..limits import shown
from . import broker_1099b
from .table import Conversion, Row, plain, read_rows

REQUIRED = ("Symbol", "Closed Date", "Opened Date", "Quantity", "Proceeds", "Cost Basis (CB)")
NAME, GAIN, TERM, WASH, DISALLOWED = "Name", "Gain/Loss ($)", "Term", "Wash Sale?", "Disallowed Loss"


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every lot of a Schwab realized gain/loss export as the buy and sell that reproduce it."""
    out = Conversion()
    rows = read_rows(path, required=REQUIRED, label="Schwab Realized Gain/Loss - Lot Details")
    kinds = [(row, _kind(row)) for row in rows]
    flagged = broker_1099b.flag_groups()
    lots = [(row, _lot(row, wallet, out, flagged)) for row, kind in kinds if kind == "lot"]
    broker_1099b.add_closed_lots(out, path, lots, flagged, tz=tz)
    totals = [row for row, kind in kinds if kind == "total"]
    if totals:
        _check_total(totals[-1], [row for row, _ in lots], out)
    return out


def _kind(row: Row) -> str:
    """'lot', 'total' (a row whose Symbol starts or ends with Total), or 'none' (see the module docstring)."""
    cells = [row.text(column) for column in row.order]
    symbol = row.text("Symbol").casefold()
    if cells == list(row.order) or not any(cells[1:]):
        return "none"  # a repeated header; a title, an account's name or a "no transactions" line
    if symbol.startswith("total") or symbol.endswith("total"):
        return "total"  # "Total", "Account Total"
    return "lot" if symbol or row.text("Closed Date") else "none"


def _check_total(total: Row, lots: list[Row], out: Conversion) -> None:
    """Warn when the last total line's Proceeds, Cost Basis (CB) or Gain/Loss ($) is not the sum of the lots'
    (a lot missing from the file, or a cell gainlog read otherwise than Schwab added it)."""
    differ = []
    for column in ("Proceeds", "Cost Basis (CB)", GAIN):
        said = broker_1099b.money(total, column) if total.has(column) else None
        summed = sum((broker_1099b.money(row, column) or Decimal(0) for row in lots), Decimal(0))
        if said is not None and said != summed:
            differ.append(f"{column} {plain(said)}, the lots' {plain(summed)}")
    if differ:
        out.warnings.append(f"{total.where}: the total line is not the sum of the lots ({'; '.join(differ)}): "
                            "check that the export is whole and that gainlog read it as Schwab wrote it")


def _lot(
    row: Row, wallet: str, out: Conversion, flagged: dict[str, list[Row]]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    asset = row.required("Symbol")
    opened = date.fromisoformat(row.us_date("Opened Date"))
    closed = date.fromisoformat(row.us_date("Closed Date"))
    qty = row.decimal("Quantity")
    if qty is None or qty == 0:
        raise row.error("Quantity", "is empty" if qty is None else "must not be zero")
    if qty < 0:
        out.not_mapped(row, "Quantity", "short position", "",
                       f"{shown(row.text('Quantity'))}: a short position (opened by a sale), which gainlog does "
                       "not hold as a lot: record it with `gainlog add`")
        return None
    proceeds = _amount(row, "Proceeds")
    basis = _amount(row, "Cost Basis (CB)")
    if not basis:
        out.not_mapped(row, "Cost Basis (CB)", "no cost basis", "",
                       "Schwab gives no cost basis for this lot: record the purchase with `gainlog add buy` and the "
                       "sale with `gainlog add sell`")
        return None
    if not proceeds:
        out.not_mapped(row, "Proceeds", "no proceeds", "",
                       "the lot closed for nothing (an option that expired worthless): a `sell` needs proceeds "
                       "above zero; record the purchase with `gainlog add buy` and the loss with "
                       "`gainlog add worthless`")
        return None
    wash = _wash(row, basis)
    name = row.text(NAME) or asset
    note = f"Schwab realized: {name} (proceeds {plain(proceeds)}, cost basis {plain(basis)}"
    note += f", wash sale {plain(wash)})" if wash else ")"
    columns = {field: column for field, column in (("gain", GAIN), ("term", TERM)) if row.has(column)}
    return broker_1099b.closed_lot(row, columns, {}, acquired=opened, sold=closed, qty=qty, asset=asset,
                                   proceeds=proceeds, basis=basis, wash=wash, wallet=wallet, note=note,
                                   flagged=flagged)


def _amount(row: Row, column: str) -> Decimal:
    """A money cell that may not be negative ('$1,234.56'; empty or '--' is zero)."""
    value = broker_1099b.money(row, column) or Decimal(0)
    if value < 0:
        raise row.error(column, f"{shown(row.text(column))} is below zero")
    return value


def _wash(row: Row, basis: Decimal) -> Decimal:
    """The loss a wash sale disallowed: Disallowed Loss when Wash Sale? says Yes (its sign dropped)."""
    said = row.text(WASH).casefold()
    if said not in ("yes", "no", "", "--"):
        raise row.error(WASH, f"{shown(row.text(WASH))} is not Yes or No")
    amount = abs(broker_1099b.money(row, DISALLOWED) or Decimal(0)) if row.has(DISALLOWED) else Decimal(0)
    if amount and said != "yes":
        raise row.error(DISALLOWED, f"{shown(row.text(DISALLOWED))} but {WASH!r} is not Yes")
    if amount >= basis:
        raise row.error(DISALLOWED, f"{shown(row.text(DISALLOWED))} is not below the cost basis")
    return amount
