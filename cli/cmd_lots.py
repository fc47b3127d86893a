"""`gainlog lots`: the open lots at the end of a date (CONTRACT §1), wash-sale adjustments included.

Mirrors `projections.pipeline.project` with `until` = the end of that local date; rows are
`projections.model.OpenLot` rendered as CONTRACT §3 `lots --json` rows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from cli.app import AsOfOpt, JsonOpt, State, app, check_year, console, emit_json, err_console

if TYPE_CHECKING:
    from projections.model import Booked, OpenLot

OnOpt = Annotated[
    str | None, typer.Option("--on", help="Open lots at the end of this date (YYYY-MM-DD); default today.")
]
YearEndOpt = Annotated[
    int | None,
    typer.Option("--year-end", help="Open lots at the end of December 31 of YEAR.", callback=check_year),
]


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last instant of a local date (trades at or before it count)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz) - timedelta(microseconds=1)


def _day(on: str | None, year_end: int | None, tz: ZoneInfo) -> date:
    from ledger.errors import UsageError
    from ledger.limits import year_problem

    if on is not None and year_end is not None:
        raise UsageError("lots: give either --on DATE or --year-end YEAR, not both")
    if year_end is not None:
        return date(year_end, 12, 31)
    if on is None:
        return datetime.now(tz).date()
    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise UsageError(f"lots: --on {on!r} is not a date YYYY-MM-DD") from None
    problem = year_problem(day.year)
    if problem is not None:
        raise UsageError(f"lots: --on {on}: year {problem}")
    return day


def open_lot_row(lot: OpenLot) -> dict[str, Any]:
    """One CONTRACT §3 `lots --json` row, plus acquisition time, covered status and wash-sale facts."""
    from projections.form8949 import money, plain

    return {
        "asset": lot.asset,
        "wallet": lot.wallet,
        "qty": plain(lot.qty),
        "cost_basis": money(lot.basis),
        "date_acquired": lot.date_acquired.isoformat(),
        "lot": lot.lot,
        "class": lot.asset_class,
        "acquired_at": lot.acquired_at.isoformat().replace("+00:00", "Z"),
        "covered": lot.covered,
        "transferred": lot.transferred,
        "wash_adjustment": money(lot.wash_adjustment),
        "wash": [
            {
                "loss_key": w.loss_key,
                "loss_seq": w.loss_seq,
                "loss_lot": w.loss_lot,
                "replacement_lot": w.replacement_lot,
                "qty": plain(w.qty),
                "amount": money(w.amount),
                "days": w.days,
            }
            for w in lot.wash
        ],
    }


def open_lots(
    *, as_of: str | None, day: date | None = None, year_end: int | None = None, on: str | None = None
) -> tuple[Booked, date]:
    """Replay the ledger as of `as_of` up to the end of the chosen local date."""
    from cli.usecases import open_store
    from projections.pipeline import project

    store = open_store(State.db)
    seq = store.resolve(as_of)
    tz = store.timezone
    chosen = day or _day(on, year_end, tz)
    booked = project(store.read(until=seq), tz=tz, until_seq=seq, until=end_of_day(chosen, tz))
    return booked, chosen


@app.command("lots")
def lots(
    as_of: AsOfOpt = None, on: OnOpt = None, year_end: YearEndOpt = None, json_out: JsonOpt = False
) -> None:
    """Open lots at the end of a date (default: today in the ledger's time zone), with totals."""
    booked, day = open_lots(as_of=as_of, on=on, year_end=year_end)
    if json_out:
        emit_json([open_lot_row(lot) for lot in booked.open_lots])
        _warn(booked)
        return
    _print(booked, day)


def _print(booked: Booked, day: date) -> None:
    from cli.render import number_column, number_table, short_key, styled
    from projections.form8949 import money, plain

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
    console().print(table)
    _warn(booked)


def _warn(booked: Booked) -> None:
    """Problems go to stderr, in JSON mode too: stdout stays the contract's list of rows."""
    if booked.problems:
        err = err_console()
        for problem in booked.problems:
            err.print(f"warning: {problem.message}", markup=False, highlight=False)
