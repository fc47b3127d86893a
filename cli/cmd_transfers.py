"""`gainlog transfers`: list, confirm and pair transfer legs (R2.8; docs/cli.md).

Calls `api.transfers.transfers`, `confirm` and `pair` (docs/api.md) and renders their results.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated

import typer

from .app import AsOfOpt, JsonOpt, State, app, console, emit_json, say
from .render import visible

if TYPE_CHECKING:
    from ..api.transfers import Transfers, Written

transfers_app = typer.Typer(
    help="Pair the withdrawals and deposits exports record one side at a time into transfers.",
    invoke_without_command=True,
)
app.add_typer(transfers_app, name="transfers")

WindowOpt = Annotated[
    str, typer.Option("--window", metavar="HOURS", help="A deposit pairs only within HOURS after the withdrawal.")
]
ToleranceOpt = Annotated[
    str,
    typer.Option(
        "--tolerance", metavar="FRACTION",
        help="Network fee allowed beyond the withdrawal's own fee, as a fraction of what was sent.",
    ),
]


def _decimal(option: str, text: str) -> Decimal:
    from ..ledger.errors import UsageError

    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise UsageError(f"{option} {text!r}: give a number of zero or more")
    return value


def _window(text: str) -> timedelta:
    return timedelta(microseconds=int(_decimal("--window", text) * 3_600_000_000))


@transfers_app.callback()
def transfers(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    window: WindowOpt = "72",
    tolerance: ToleranceOpt = "0.01",
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Append a transfer for every matched (unambiguous) pair.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Matched (proposed), ambiguous and unmatched withdrawal and deposit legs, and the pairs made."""
    if ctx.invoked_subcommand is not None:
        return
    from ..api import transfers as api
    from ..ledger.errors import UsageError

    span, share = _window(window), _decimal("--tolerance", tolerance)
    if confirm:
        if as_of is not None:
            raise UsageError("transfers --confirm pairs at the head of the log: leave out --as-of")
        _show_written(api.confirm(State.db, window=span, tolerance=share), json_out=json_out)
        return
    result = api.transfers(State.db, as_of=as_of, window=span, tolerance=share, strict=State.strict)
    if json_out:
        emit_json(result.to_json())
    else:
        _print(result)


@transfers_app.command("pair")
def pair(
    withdrawal: Annotated[str, typer.Argument(help="The withdrawal's key (or an unambiguous start of it).")],
    deposit: Annotated[str, typer.Argument(help="The deposit's key (or an unambiguous start of it).")],
    fee_value: Annotated[
        str | None,
        typer.Option("--fee-value", help="USD value of the fee units (default: from a price within 24 hours)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Pair one withdrawal with one deposit by hand (any window or tolerance)."""
    from ..api import transfers as api

    value = None if fee_value is None else _decimal("--fee-value", fee_value)
    _show_written(api.pair(State.db, withdrawal, deposit, fee_value=value), json_out=json_out)


def _show_written(result: Written, *, json_out: bool) -> None:
    if json_out:
        emit_json(result.to_json())
    else:
        span = f" (seq {result.first_seq}-{result.last_seq})" if result.added else ""
        say(f"{len(result.added)} transfer(s) added, {len(result.duplicates)} already in the log{span}.")
        for key in result.added:
            say(f"  {visible(key)}")
    for _, reason in result.left:
        print(f"gainlog: warning: not confirmed: {visible(reason)}", file=sys.stderr)


def _leg_cells(leg: object) -> tuple[str, ...]:
    from ..api.transfers import leg_json

    row = leg_json(leg)  # type: ignore[arg-type]
    fee = f" (fee {row['fee_qty']})" if row["fee_qty"] else ""
    return tuple(visible(str(x)) for x in (row["key"], row["type"], row["at"], row["wallet"],
                                           f"{row['qty']} {row['asset']}{fee}"))


def _print(result: Transfers) -> None:
    from rich.table import Table

    m = result.matching
    out = console()
    out.print(f"Transfer legs as of seq {result.seq} (window {result.window.total_seconds() / 3600:g} h, "
              f"tolerance {result.tolerance}):", markup=False, highlight=False)
    heads = ("Key", "Type", "At", "Wallet", "Qty")
    matched = [row for p in m.matched for row in (
        (*_leg_cells(p.withdrawal), ""), (*_leg_cells(p.deposit), f"fee {p.fee_qty.normalize():f}"))]
    ambiguous = [(*_leg_cells(a.leg), "candidates: " + ", ".join(visible(c.key) for c in a.candidates))
                 for a in m.ambiguous]
    sections = (
        ("Matched (proposed: `gainlog transfers --confirm`)", matched),
        ("Ambiguous (pair by hand: `gainlog transfers pair W D`)", ambiguous),
        ("Unmatched", [(*_leg_cells(leg), "") for leg in m.unmatched]),
    )
    for title, rows in sections:
        if not rows:
            out.print(f"{title}: 0 leg(s)", markup=False, highlight=False)
            continue
        table = Table(title=f"{title}: {len(rows)} leg(s)", title_justify="left")
        for name in (*heads, "Note"):
            table.add_column(name, overflow="fold")
        for row in rows:
            table.add_row(*row)
        out.print(table)
    if m.paired:
        out.print(f"Paired by {len(m.paired)} transfer(s): "
                  + ", ".join(visible(p.transfer) for p in m.paired), markup=False, highlight=False)
