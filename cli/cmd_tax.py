"""`gainlog report tax`: the federal tax estimate of a year (CONTRACT §4 "Tax estimate", TAX_RULES R8).

Parses the options, calls `api.tax.tax_report` and renders the contract's JSON or a table for people.
Registered on `report` (cli/cmd_report.py imports this module).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .app import AsOfOpt, JsonOpt, State, YearOpt, console, emit_json, report_app

if TYPE_CHECKING:
    from ..api.tax import TaxReport


@report_app.command("tax")
def report_tax(year: YearOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False) -> None:
    """Federal tax estimate: other income plus the year's capital gains, by the year's brackets."""
    from ..api.tax import tax_report

    report = tax_report(State.db, year, as_of=as_of, strict=State.strict)
    if json_out:
        emit_json(report.to_json())
    else:
        print_tax(report)


def print_tax(report: TaxReport) -> None:
    from .render import line, number_column, number_table, print_table

    value: dict[str, Any] = report.to_json()
    table = number_table(title=f"Federal tax estimate {value['year']} ({value['filing_status']}, {value['table']})")
    table.add_column("", overflow="fold")
    number_column(table, "amount")
    for label, key in (
        ("other income (profile)", "other_income"), ("capital gain or deductible loss (Schedule D)", "net"),
        ("taxable income", "taxable_income"), ("of it at capital-gain rates", "capital_gain"),
        ("tax on ordinary income (brackets)", "ordinary_tax"),
        ("tax on capital gain (0 / 15 / 20 %)", "capital_gain_tax"),
        ("tax", "tax"),
    ):
        amount = value[key]
        if key == "net" and value["deduction"] != "0.00":
            amount = f"-{value['deduction']}"
        table.add_row(label, amount)
    out = console()
    print_table(out, table)
    out.print("An estimate of the regular federal income tax only (no NIIT, AMT, credits or state tax).")
    for warning in value["warnings"]:
        out.print(line(("warning:", "yellow"), f" {warning}"))
