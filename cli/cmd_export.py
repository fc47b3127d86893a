"""`gainlog export` and `gainlog reconcile`: filing outputs (CONTRACT §4 "Filing outputs", docs/exports.md).

`export` calls `api.export.export` (TXF, TurboTax and TaxAct CSV from `projections.exports`; the PDF
drawn by `cli.export_pdf`, the only module that imports fpdf2); `reconcile` calls
`api.reconcile.reconcile` and renders `projections.reconcile.Reconciled`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .app import AsOfOpt, JsonOpt, State, YearOpt, app, console, emit_json

if TYPE_CHECKING:
    from ..api.export import Exported
    from ..projections.exports import Statement
    from ..projections.reconcile import Reconciled

ExportFormatOpt = Annotated[
    str, typer.Option("--format", help="txf (TurboTax/H&R Block desktop), turbotax (CSV), taxact (CSV) or pdf.")
]
ExportOutOpt = Annotated[Path, typer.Option("--out", help="The file to write (replaced whole).")]
BrokerFormatOpt = Annotated[
    str, typer.Option("--format", help="The broker file's layout: generic, schwab (1099 Composite CSV), 1099da or "
                      "1099-b (any 1099-B CSV import --format 1099-b reads).")
]
WalletOpt = Annotated[
    str | None, typer.Option("--wallet", help="Compare only the ledger's rows of this wallet (the broker's account).")
]


@app.command("export")
def export(year: YearOpt, fmt: ExportFormatOpt, out: ExportOutOpt, as_of: AsOfOpt = None,
           json_out: JsonOpt = False) -> None:
    """Write the year's Form 8949 rows and Schedule D for tax software (TXF, CSV) or as a PDF statement."""
    from ..api.export import export as run

    done = run(State.db, year, fmt, out, as_of=as_of, strict=State.strict, draw_pdf=_draw_pdf)
    if json_out:
        emit_json(done.to_json())
    else:
        _print_export(done)
    _warn(done.warnings)


def _draw_pdf(st: Statement) -> bytes:
    from .export_pdf import draw

    return draw(st)


def _print_export(done: Exported) -> None:
    from .app import say

    totals = done.to_json()["totals"]
    assert isinstance(totals, dict)
    say(f"wrote {done.out} ({done.format}): {len(done.statement.rows)} rows of {done.statement.year}, "
        f"proceeds {totals['proceeds']}, cost basis {totals['cost_basis']}, adjustments {totals['adjustments']}, "
        f"gain {totals['gain']}")


def _warn(warnings: list[str]) -> None:
    import sys

    from .render import visible

    sys.stdout.flush()
    for message in warnings:
        print(f"gainlog: warning: {visible(message)}", file=sys.stderr)


@app.command("reconcile")
def reconcile(file: Annotated[Path, typer.Argument(help="The broker's 1099-B / 1099-DA rows (CSV).")],
              year: YearOpt, fmt: BrokerFormatOpt = "generic", wallet: WalletOpt = None, as_of: AsOfOpt = None,
              json_out: JsonOpt = False) -> None:
    """Compare a broker's 1099-B / 1099-DA rows with the year's Form 8949 rows, with the 8949 codes called for."""
    from ..api.reconcile import reconcile as run

    result = run(State.db, year, file, fmt=fmt, wallet=wallet, as_of=as_of, strict=State.strict)
    if json_out:
        emit_json(result.to_json())
    else:
        _print_reconciled(result)


def _print_reconciled(result: Reconciled) -> None:
    from ..projections.form8949 import money, plain
    from .render import number_table, print_table, printer

    out = console()
    by_sale = (f" ({result.by_sale} per sale)", f", {len(result.sales)} sale{'s' * (len(result.sales) != 1)} with "
               "differences") if result.by_sale else ("", "")
    out.print(f"{result.matched} broker rows matched{by_sale[0]}, {len(result.differences)} with differences"
              f"{by_sale[1]}, {len(result.only_broker)} only at the broker, {len(result.only_ledger)} only in the "
              "ledger")
    if result.differences:
        table = number_table(title=f"Differences {result.year}")
        for name in ("broker line", "8949 row", "asset", "qty", "sold", "field", "broker", "ledger", "code"):
            table.add_column(name, overflow="fold")
        for d in result.differences:
            broker, ledger = d.broker.to_json(), {
                "date_acquired": d.ledger.date_acquired.isoformat(), "proceeds": money(d.ledger.proceeds),
                "cost_basis": money(d.ledger.cost_basis),
                "wash_sale_disallowed": money(d.ledger.adjustment if "W" in d.ledger.code else d.ledger.adjustment * 0),
                "term": d.ledger.term, "box": d.ledger.box,
            }
            for name in d.fields:
                table.add_row(str(d.broker.line), str(d.row), d.ledger.asset, plain(d.ledger.qty),
                              d.ledger.date_sold.isoformat(), name, str(broker[name]), ledger[name],
                              d.codes[name] or "-")
        print_table(out, table)
    lines = printer()  # off a terminal without rich's cost per line: a year may have 20,000 rows the broker lacks
    for sale in result.sales:
        totals = sale.totals()
        what = "; ".join(f"{name} broker {totals['broker'][name] or '-'}, ledger {totals['ledger'][name]} (code "
                         f"{sale.codes[name] or '-'})" for name in sale.fields)
        numbers, rows = ", ".join(str(b.line) for b in sale.broker), ", ".join(str(n) for n, _ in sale.ledger)
        lines.print(f"sale of {plain(sale.qty)} {sale.asset} on {sale.date_sold.isoformat()} (broker line"
                    f"{'s' * (len(sale.broker) > 1)} {numbers}; 8949 rows {rows}): {what}")
    for b in result.only_broker:
        lines.print(f"only at the broker: line {b.line}: {plain(b.qty)} {b.asset} sold {b.date_sold.isoformat()}, "
                    f"proceeds {money(b.proceeds)}")
    for n, r in result.only_ledger:
        lines.print(f"only in the ledger: 8949 row {n}: {r.description} sold {r.date_sold.isoformat()}, "
                    f"proceeds {money(r.proceeds)} (box {r.box})")
