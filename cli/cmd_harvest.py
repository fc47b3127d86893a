"""`gainlog harvest`: the losses worth taking on a date, the plan and what it saves (CONTRACT §4 "Harvest").

Parses the options, calls `api.harvest.harvest` and renders its JSON (`--json`) or, for people, the
candidates with the harvestable loss by term, the plan, the tax before and after, and every warning.
`--write-plan FILE.jsonl` writes the plan's sells as canonical events to edit and import once executed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import AsOfOpt, JsonOpt, State, app, console, emit_json, err_console

if TYPE_CHECKING:
    from ..api.harvest import Harvest

HarvestOnOpt = Annotated[
    str | None, typer.Option("--on", help="The day to sell on (YYYY-MM-DD); default today in the ledger's time zone.")
]
PriceOpt = Annotated[
    list[str] | None,
    typer.Option("--price", metavar="ASSET=USD",
                 help="A price to value ASSET at (repeat for more assets); else the latest recorded price."),
]
MaxLossOpt = Annotated[
    str | None, typer.Option("--max-loss", metavar="AMOUNT", help="Plan sales until this much loss; default all.")
]
WritePlanOpt = Annotated[
    Path | None,
    typer.Option("--write-plan", metavar="FILE.jsonl",
                 help="Write the plan's sells as events to import once executed."),
]


@app.command("harvest")
def harvest_command(
    on: HarvestOnOpt = None, price: PriceOpt = None, max_loss: MaxLossOpt = None, write_plan: WritePlanOpt = None,
    as_of: AsOfOpt = None, json_out: JsonOpt = False,
) -> None:
    """Tax-loss harvesting: open lots at a loss on a date, a plan of sales and the tax it saves."""
    from contextlib import ExitStack

    from ..api.harvest import harvest, max_loss_amount, parse_prices
    from ..api.report_files import atomic_file

    with ExitStack() as stack:  # the plan's file made first: a folder that cannot take it fails before the replays
        plan = None if write_plan is None else stack.enter_context(atomic_file(write_plan))
        result = harvest(State.db, on=on, prices=parse_prices(price or []), max_loss=max_loss_amount(max_loss),
                         as_of=as_of, strict=State.strict)
        if plan is not None:
            plan.write("".join(line + "\n" for line in result.plan_lines()).encode())
    if json_out:
        emit_json(result.to_json())
    else:
        _print(result)
    if write_plan is not None:
        where = err_console() if json_out else console()
        where.print(f"Plan written to {write_plan}: {len(result.sells)} sell event(s); "
                    f"edit them as executed, then gainlog import {write_plan}")


def _print(result: Harvest) -> None:
    from .render import line, number_column, number_table, print_table, short_key

    value: dict[str, Any] = result.to_json()
    out = console()
    table = number_table(title=f"Harvest candidates on {value['on']} (lots at a loss, the largest first)")
    for name in ("asset", "wallet", "lot", "qty", "cost basis", "price", "value", "unrealized", "term",
                 "long-term on", "wash sale"):
        if name in ("qty", "cost basis", "price", "value", "unrealized"):
            number_column(table, name)
        else:
            table.add_column(name, overflow="fold")
    for row in value["candidates"]:
        wash = row["wash_sale"]
        blocked = "" if wash is None else (
            f"by {', '.join(short_key(k) for k in wash['replacements'])}; rebuy after {wash['rebuy_after']}")
        table.add_row(row["asset"], row["wallet"], short_key(row["lot"]), row["qty"], row["cost_basis"], row["price"],
                      row["value"], row["unrealized"], row["term"], row["long_term_on"], blocked)
    print_table(out, table)
    harvestable = value["harvestable"]
    out.print(f"Harvestable loss (not washed): short-term {harvestable['short_term']}, "
              f"long-term {harvestable['long_term']}")
    plan = value["plan"]
    if plan["sell"]:
        sells = number_table(title=f"Plan: sell on {value['on']} by specific identification, no fee")
        for name in ("asset", "wallet", "lot", "qty", "proceeds", "gain", "term"):
            if name in ("qty", "proceeds", "gain"):
                number_column(sells, name)
            else:
                sells.add_column(name, overflow="fold")
        for row in plan["sell"]:
            sells.add_row(row["asset"], row["wallet"], short_key(row["lot"]), row["qty"], row["proceeds"],
                          row["gain"], row["term"])
        out.print(sells)
    else:
        out.print("Plan: nothing to sell.")
    sd = plan["schedule_d"]
    out.print(f"Schedule D {value['year']} after the plan: net short-term {sd['net_short_term']}, net long-term "
              f"{sd['net_long_term']}, net {sd['net']}, deduction {sd['deduction']}")
    carry = plan["carryover"]
    if carry["short_term"] != "0.00" or carry["long_term"] != "0.00":
        out.print(f"Carried over to {value['year'] + 1}, not saved this year: short-term {carry['short_term']}, "
                  f"long-term {carry['long_term']}")
    tax = value["tax"]
    if tax is not None:
        out.print(f"Tax {value['year']} (estimate): before {tax['before']}, after {tax['after']}, "
                  f"savings {tax['savings']}")
    for warning in value["warnings"]:
        out.print(line(("warning:", "yellow"), f" {warning}"))
