"""`gainlog lots`: the open lots at the end of a date (CONTRACT §1), wash-sale adjustments included.

Calls `api.lots.open_lots` (docs/api.md), which replays the log with `until` = the end of that local
date, and renders its `projections.model.OpenLot`s (as CONTRACT §3 `lots --json` rows with `--json`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from .app import AsOfOpt, JsonOpt, State, app, check_year, console, emit_json, err_console

if TYPE_CHECKING:
    from ..projections.model import Booked

OnOpt = Annotated[
    str | None, typer.Option("--on", help="Open lots at the end of this date (YYYY-MM-DD); default today.")
]
YearEndOpt = Annotated[
    int | None,
    typer.Option("--year-end", help="Open lots at the end of December 31 of YEAR.", callback=check_year),
]


@app.command("lots")
def lots(
    as_of: AsOfOpt = None, on: OnOpt = None, year_end: YearEndOpt = None, json_out: JsonOpt = False
) -> None:
    """Open lots at the end of a date (default: today in the ledger's time zone), with totals."""
    from ..api.lots import open_lots

    result = open_lots(State.db, as_of=as_of, on=on, year_end=year_end, strict=State.strict)
    if json_out:
        emit_json(result.to_json())
        _warn(result.booked)
        return
    _print(result.booked, result.day)


def _print(booked: Booked, day: date) -> None:
    from ..api.lots import open_lot_row
    from ..projections.form8949 import money, plain
    from .render import number_column, number_table, print_table, short_key, styled

    table = number_table(title=f"Open lots at the end of {day.isoformat()}")
    for name in ("Asset", "Wallet", "Qty", "Cost basis", "Acquired", "Lot"):
        if name in ("Qty", "Cost basis"):
            number_column(table, name)
        else:
            table.add_column(name, overflow="fold")
    qty_by_asset: dict[str, Decimal] = {}
    basis_by_asset: dict[str, Decimal] = {}
    for lot in booked.open_lots:
        row = open_lot_row(lot)
        table.add_row(lot.asset, lot.wallet, row["qty"], row["cost_basis"], row["date_acquired"], short_key(lot.lot))
        qty_by_asset[lot.asset] = qty_by_asset.get(lot.asset, Decimal(0)) + lot.qty
        basis_by_asset[lot.asset] = basis_by_asset.get(lot.asset, Decimal(0)) + Decimal(row["cost_basis"])
    table.add_section()
    for asset in sorted(qty_by_asset):
        table.add_row(
            styled(f"{asset} total", "bold"),
            "",
            plain(qty_by_asset[asset]),
            money(basis_by_asset[asset]),
            "",
            "",
        )
    table.add_row(styled("Total", "bold"), "", "", money(sum(basis_by_asset.values(), Decimal(0))), "", "")
    print_table(console(), table)
    _warn(booked)


def _warn(booked: Booked) -> None:
    """Problems go to stderr, in JSON mode too: stdout stays the contract's list of rows."""
    if booked.problems:
        err = err_console()
        for problem in booked.problems:
            err.print(f"warning: {problem.message}", markup=False, highlight=False)
