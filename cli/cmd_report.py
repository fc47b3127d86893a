"""`gainlog report 8949 | schedule-d | income | all`: the tax reports (CONTRACT §1, §3).

Each command parses its options, calls one function of `api.reports` (the library API, docs/api.md)
and renders what it returns: the contract's JSON (`to_json()`, `projections.reports`), CSV
(`projections.form8949.CsvText`) or a rich table for people. Schedule D's line numbers and the loss
limit come from `projections.rules` (`schedule_d_lines`, `netting`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import AsOfOpt, CsvOpt, JsonOpt, State, YearOpt, console, report_app, say

if TYPE_CHECKING:
    from ..api.reports import Form8949, Written
    from ..projections.form8949 import Row
    from ..projections.tax_year import Amounts, ScheduleD

WholeDollarsOpt = Annotated[
    bool,
    typer.Option("--whole-dollars", help="Round every amount to whole dollars (half up); (h) recomputed."),
]
OutOpt = Annotated[Path, typer.Option("--out", help="Directory to write DIR/YEAR/... into.")]
JobsOpt = Annotated[
    int | None,
    typer.Option("--jobs", min=1, help="Replay in up to N processes, sharded by asset "
                 "(default: the usable cores)."),
]


def _jobs(jobs: int | None) -> int:
    """`--jobs`, or its default (`api.parallel.default_jobs`)."""
    from ..api.parallel import default_jobs

    return default_jobs() if jobs is None else jobs


@report_app.command("8949")
def report_8949(year: YearOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False, csv_out: CsvOpt = False,
                whole_dollars: WholeDollarsOpt = False, jobs: JobsOpt = None) -> None:
    """Form 8949: one row per disposed lot slice, with its box."""
    from ..api import reports
    from ..ledger.speed import gc_paused

    with gc_paused():
        form = reports.form8949(State.db, year, as_of=as_of, strict=State.strict, whole_dollars=whole_dollars,
                                jobs=_jobs(jobs))
        if csv_out:
            _echo_8949_csv(form)
        elif json_out:
            _echo_8949_json(form)
        else:
            _print_8949(year, [r for rows in form.chunks for r in rows], whole_dollars=whole_dollars)
        warn_empty_year(form.empty_year())
        _warn_unpaired(form)


def _warn_unpaired(form: Form8949) -> None:
    """Each unpaired transfer leg (R2.8) on stderr: they change the basis of rows in any year."""
    for message in form.unpaired():
        warn(message)


@report_app.command("schedule-d")
def report_schedule_d(year: YearOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False) -> None:
    """Schedule D: the year's netting, the deduction and the Capital Loss Carryover Worksheet."""
    from ..api import reports

    sd = reports.schedule_d(State.db, year, as_of=as_of, strict=State.strict)
    if json_out:
        _emit_json(reports.schedule_d_json(sd))
    else:
        _print_schedule_d(sd)
        warn_empty_year(sd.empty)


@report_app.command("income")
def report_income(year: YearOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False) -> None:
    """Ordinary income from income events, by kind."""
    from ..api import reports

    result = reports.income(State.db, year, as_of=as_of, strict=State.strict)
    if json_out:
        _emit_json(result.to_json())
    else:
        _print_income(result.to_json())
    warn_empty_year(result.empty)


@report_app.command("all")
def report_all(out: OutOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False, jobs: JobsOpt = None) -> None:
    """Every year's 8949 (CSV, JSON), Schedule D and income (JSON) into DIR/YEAR/, from one replay,
    with DIR/manifest.json; DIR is replaced as a whole, atomically."""
    from ..api import reports

    written = reports.write_reports(State.db, out, as_of=as_of, strict=State.strict, jobs=_jobs(jobs))
    for year, missing in sorted(written.missing.items()):  # named where the files now are
        warn(missing.message(year), where=f" ({out / str(year) / 'form8949.csv'})")
    if json_out:
        _emit_json(written.to_json())
    else:
        _print_summary(written)


HtmlOutOpt = Annotated[Path, typer.Option("--out", help="The HTML file to write.")]


@report_app.command("html")
def report_html(year: YearOpt, out: HtmlOutOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False) -> None:
    """A year at a glance: one self-contained HTML page (Schedule D, carryovers, gains by month,
    proceeds by wallet and asset, open lots, unrealized gain), the one `report all` writes as
    DIR/YEAR/report.html."""
    from ..api.year_html import year_html

    written = year_html(State.db, year, out, as_of=as_of, strict=State.strict)
    if json_out:
        _emit_json(written.to_json())
    else:
        console().print(f"Wrote {year} at a glance to {out}", markup=False)
    warn_empty_year(written.glance.schedule_d.empty)


# -- helpers ---------------------------------------------------------------------------------


def _echo_8949_csv(form: Form8949) -> None:
    """`report 8949 --csv` (`Form8949.write_csv`), then the warning about rows with missing basis."""
    import sys

    sys.stdout.flush()
    missing = form.write_csv(sys.stdout.buffer)
    sys.stdout.buffer.flush()
    warn(missing.message(form.year))


def _echo_8949_json(form: Form8949) -> None:
    """`report 8949 --json`, written a chunk of rows at a time (`Form8949.write_json`)."""
    import sys

    sys.stdout.flush()
    form.write_json(sys.stdout.buffer)
    sys.stdout.buffer.flush()


def warn_empty_year(empty: str) -> None:
    """On stderr, why the year asked for holds nothing (`ScheduleD.empty`), if it is so."""
    if empty:
        import sys

        sys.stdout.flush()
        print(f"gainlog: warning: {empty}", file=sys.stderr)


def _emit_json(value: Any) -> None:
    import msgspec

    _emit_json_bytes(msgspec.json.encode(value))


def _emit_json_bytes(compact: bytes) -> None:
    import sys

    from ..api.report_files import indented

    sys.stdout.flush()
    sys.stdout.buffer.write(indented(compact))
    sys.stdout.buffer.flush()


def warn(message: str, *, where: str = "") -> None:
    """`gainlog: warning: MESSAGE WHERE` on stderr, when there is a message."""
    import sys

    if message:
        print(f"gainlog: warning: {message}{where}", file=sys.stderr)


def _fmt(amount: Any, *, whole_dollars: bool = False) -> str:
    from ..projections.form8949 import dollars, money

    return dollars(amount) if whole_dollars else money(amount)


def _paren(amount: Any) -> str:
    """A carryover as the form shows a subtraction: (1,000.00)."""
    from ..projections.form8949 import money

    return f"({money(amount)})" if amount else "0.00"


def _print_8949(year: int, rows: Sequence[Row], *, whole_dollars: bool) -> None:
    """The year's rows grouped by part and box; `#` is the row's number in 8949 order (date sold,
    then seq), the N `explain --row N` takes."""
    from ..api.report_files import missing_basis_message
    from ..projections.form8949 import BOX_ORDER
    from .render import line, number_column, number_table, print_table

    out = console()
    numbered = sorted(enumerate(rows, 1), key=lambda pair: BOX_ORDER[pair[1].box])  # stable: row order in a box
    for part, title in (("I", "Part I — short-term"), ("II", "Part II — long-term")):
        part_rows = [(n, r) for n, r in numbered if r.part == part]
        table = number_table(title=f"Form 8949 {year} {title}", show_footer=bool(part_rows))
        table.add_column("#", justify="right", overflow="fold")
        table.add_column("box", overflow="fold")
        for name in ("(a) description", "(b) acquired", "(c) sold", "(d) proceeds", "(e) cost basis",
                     "(f) code", "(g) adjustment", "(h) gain or (loss)"):
            if name[1] in "deg" or name.startswith("(h)"):
                number_column(table, name)
            else:
                table.add_column(name, justify="right" if name[1] == "b" else "left", overflow="fold")
        for n, r in part_rows:
            table.add_row(str(n), r.box, r.description, r.date_acquired.isoformat(), r.date_sold.isoformat(),
                          *(_fmt(a, whole_dollars=whole_dollars) for a in (r.proceeds, r.cost_basis)), r.code,
                          *(_fmt(a, whole_dollars=whole_dollars) for a in (r.adjustment, r.gain)))
        if part_rows:
            totals = [sum((getattr(r, f) for _, r in part_rows), start=part_rows[0][1].gain * 0)
                      for f in ("proceeds", "cost_basis", "adjustment", "gain")]
            for column, value in zip((5, 6, 8, 9), totals, strict=True):
                table.columns[column].footer = _fmt(value, whole_dollars=whole_dollars)
            table.columns[0].footer = "Total"
            print_table(out, table)
        else:
            out.print(f"Form 8949 {year} {title}: no rows")
    missing = [n for n, r in enumerate(rows, 1) if r.missing_basis]
    if missing:
        out.print(line(("warning:", "yellow"), " " + missing_basis_message(year, missing)))


def _amount_cells(a: Amounts) -> tuple[str, str, str, str]:
    from ..projections.form8949 import money

    return money(a.proceeds), money(a.cost_basis), money(a.adjustments), money(a.gain)


def _box_lines(table: Any, sd: ScheduleD, boxes: str) -> None:
    """Lines 1b–3 (short) or 8b–10 (long): one line per Form 8949 box with rows."""
    from ..projections.rules.schedule_d_lines import BOX_TO_LINE

    for b in sd.boxes:
        if b.box in boxes:
            label = f"Form 8949 box {b.box} ({b.rows} row{'s' if b.rows != 1 else ''})"
            table.add_row(BOX_TO_LINE[b.box], label, *_amount_cells(b.amounts))


def _print_schedule_d(sd: ScheduleD) -> None:
    from ..projections.form8949 import money
    from ..projections.rules import schedule_d_lines as lines
    from ..projections.rules.netting import loss_limit
    from .render import line, number_column, number_table, print_table, styled

    out = console()
    table = number_table(title=f"Schedule D {sd.year} ({sd.filing_status})")
    table.add_column("line", overflow="fold")
    table.add_column("", overflow="fold")
    for name in ("(d) proceeds", "(e) cost", "(g) adjustments", "(h) gain or (loss)"):
        number_column(table, name)
    blank = ("", "", "")
    unused = "basis reported, no adjustments: not used, every row is on Form 8949"
    table.add_row("", styled("Part I — short-term", "bold"), *blank, "")
    table.add_row(lines.SHORT_UNUSED, unused, *blank, "0.00")
    _box_lines(table, sd, "ABCGHI")
    carry_in = sd.carryover_in
    table.add_row(lines.SHORT_CARRYOVER, "short-term capital loss carryover", *blank, _paren(carry_in.short_term))
    table.add_row(lines.NET_SHORT, styled("net short-term gain or (loss)", "bold"), *blank, money(sd.netting.line7))
    table.add_row("", styled("Part II — long-term", "bold"), *blank, "")
    table.add_row(lines.LONG_UNUSED, unused, *blank, "0.00")
    _box_lines(table, sd, "DEFJKL")
    table.add_row(lines.LONG_CARRYOVER, "long-term capital loss carryover", *blank, _paren(sd.carryover_in.long_term))
    table.add_row(lines.NET_LONG, styled("net long-term gain or (loss)", "bold"), *blank, money(sd.netting.line15))
    table.add_row("", styled("Part III — summary", "bold"), *blank, "")
    combine = f"combine lines {lines.NET_SHORT} and {lines.NET_LONG}"
    table.add_row(lines.NET, styled(combine, "bold"), *blank, money(sd.netting.line16))
    limit = f"{loss_limit(sd.filing_status):,}"
    table.add_row(lines.DEDUCTION, f"capital loss deducted (a line {lines.NET} loss, at most {limit})", *blank,
                  _paren(sd.netting.deduction))
    print_table(out, table)
    out.print(f"Totals — short-term: {' / '.join(_amount_cells(sd.short_term))}; "
              f"long-term: {' / '.join(_amount_cells(sd.long_term))}")
    if sd.carryover_from_event:
        out.print(f"Carryover into {sd.year} set by the carryover event at seq {sd.carryover_from_event}.")
    _print_worksheet(sd)
    for warning in sd.warnings:
        out.print(line(("warning:", "yellow"), f" {warning}"))


def _print_worksheet(sd: ScheduleD) -> None:
    from ..projections.form8949 import money
    from ..projections.rules.schedule_d_lines import DEDUCTION, NET_LONG, NET_SHORT
    from .render import line, number_column, number_table, print_table

    w = sd.worksheet
    table = number_table(title=f"Capital Loss Carryover Worksheet: {sd.year} -> {sd.year + 1}")
    table.add_column("line", overflow="fold")
    table.add_column("", overflow="fold")
    number_column(table, "amount")
    l1 = "not given: assumed large enough that line 4 = line 2" if w.l1 is None else money(w.l1)
    lines = (
        ("1", f"taxable income {sd.year} before its zero floor (profile)", l1),
        ("2", f"loss deducted: Schedule D line {DEDUCTION}", money(w.l2)),
        ("3", "line 1 + line 2 (not below zero)", money(w.l3)),
        ("4", "smaller of line 2 or line 3", money(w.l4)),
        ("5", f"loss on line {NET_SHORT}, as a positive amount", money(w.l5)),
        ("6", f"gain on line {NET_LONG} (zero if a loss)", money(w.l6)),
        ("7", "line 4 + line 6", money(w.l7)),
        ("8", line((f"short-term carryover to {sd.year + 1}", "bold"), ": line 5 − line 7"), money(w.l8)),
        ("9", f"loss on line {NET_LONG}, as a positive amount", money(w.l9)),
        ("10", f"gain on line {NET_SHORT} (zero if a loss)", money(w.l10)),
        ("11", "line 4 − line 5 (not below zero)", money(w.l11)),
        ("12", "line 10 + line 11", money(w.l12)),
        ("13", line((f"long-term carryover to {sd.year + 1}", "bold"), ": line 9 − line 12"), money(w.l13)),
    )
    for row in lines:
        table.add_row(*row)
    print_table(console(), table)


def _print_income(report: dict[str, Any]) -> None:
    from .render import line, number_column, number_table, print_table

    table = number_table(title=f"Ordinary income {report['year']} (R7)", show_footer=True)
    for name in ("date", "kind", "asset", "qty", "wallet", "value"):
        if name in ("qty", "value"):
            number_column(table, name)
        else:
            table.add_column(name, overflow="fold")
    for r in report["rows"]:
        table.add_row(r["date"], r["kind"], r["asset"], r["qty"], r["wallet"], r["value"])
    table.columns[0].footer = "Total"
    table.columns[5].footer = report["total"]
    out = console()
    print_table(out, table)
    for kind, amount in report["by_kind"].items():
        out.print(f"  {kind}: {amount}")
    for warning in report.get("warnings", ()):
        out.print(line(("warning:", "yellow"), f" {warning}"))


def _print_summary(written: Written) -> None:
    """The table of the years written; to a pipe or a file, the same text without importing rich."""
    import sys

    from ..projections.form8949 import money
    from .render import number_table, plain_number_table

    out_dir, summary = written.out, written.summary
    if not summary:
        say("Nothing to report: the ledger has no events.")  # to a pipe without importing rich, as the table
        return
    from .render import number_column

    title = f"Reports written to {out_dir}"
    head = ("year", "8949 rows", "net (line 16)", "deduction", "carryover out (short / long)")
    rows = [(str(y.year), str(y.rows), money(y.schedule_d.netting.line16), money(y.schedule_d.netting.deduction),
             f"{money(y.schedule_d.carryover_out.short_term)} / {money(y.schedule_d.carryover_out.long_term)}")
            for y in summary]
    text = plain_number_table(title, head, rows)
    if text is not None:
        sys.stdout.write(text)
        return
    table = number_table(title=title)
    for name in head:
        number_column(table, name)
    for row in rows:
        table.add_row(*row)
    console().print(table)



from . import cmd_donations  # noqa: E402,F401  (registers `report donations`)
from . import cmd_tax as _cmd_tax  # noqa: E402,F401  (registers `report tax` on report_app)
