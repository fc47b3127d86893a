"""`gainlog report donations --year Y [--json]`: each donation with its basis, date acquired, term and
fair market value (Form 8283). Registered on `report` by cli/cmd_report.py."""

from __future__ import annotations

from typing import Any

from .app import AsOfOpt, JsonOpt, State, YearOpt, console, report_app


@report_app.command("donations")
def report_donations(year: YearOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False) -> None:
    """Donations (donate events): basis, date acquired, term and fair market value, for Form 8283."""
    from ..api.donations import donations
    from .cmd_report import _emit_json

    report = donations(State.db, year, as_of=as_of, strict=State.strict)
    if json_out:
        _emit_json(report)
    else:
        _print(report)


def _print(report: dict[str, Any]) -> None:
    from .render import line, number_column, number_table, print_table

    table = number_table(title=f"Donations {report['year']} (Form 8283)", show_footer=True)
    for name in ("date", "asset", "qty", "wallet", "date acquired", "term", "basis", "fmv"):
        if name in ("qty", "basis", "fmv"):
            number_column(table, name)
        else:
            table.add_column(name, overflow="fold")
    for r in report["rows"]:
        table.add_row(r["date"], r["asset"], r["qty"], r["wallet"], r["date_acquired"], r["term"], r["basis"],
                      r["fmv"])
    table.columns[0].footer = "Total"
    table.columns[6].footer = report["total_basis"]
    table.columns[7].footer = report["total_fmv"]
    out = console()
    print_table(out, table)
    for warning in report["warnings"]:
        out.print(line(("warning:", "yellow"), f" {warning}"))
