"""`gainlog report 8949 | schedule-d | income | all`: the tax reports (CONTRACT §1, §3).

Each command loads the ledger as of a knowledge point (`cli.usecases.load`), computes every tax
year in one pass (`projections.tax_year.tax_years`) and renders the contract's JSON
(`projections.reports`), CSV (`projections.form8949.to_csv`) or a rich table for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from cli.app import AsOfOpt, CsvOpt, JsonOpt, State, YearOpt, console, report_app

if TYPE_CHECKING:
    from projections.form8949 import Row
    from projections.model import IncomeRow
    from projections.tax_year import Amounts, ScheduleD

WholeDollarsOpt = Annotated[
    bool,
    typer.Option("--whole-dollars", help="Round every amount to whole dollars (half up); (h) recomputed."),
]
REPORT_FILES = ("form8949.csv", "form8949.json", "schedule_d.json", "income.json")
OutOpt = Annotated[Path, typer.Option("--out", help="Directory to write DIR/YEAR/... into.")]
# Schedule D (2025 layout) line for the totals of each Form 8949 box.
BOX_TO_LINE = {"A": "1b", "G": "1b", "B": "2", "H": "2", "C": "3", "I": "3",
               "D": "8b", "J": "8b", "E": "9", "K": "9", "F": "10", "L": "10"}


@report_app.command("8949")
def report_8949(year: YearOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False, csv_out: CsvOpt = False,
                whole_dollars: WholeDollarsOpt = False) -> None:
    """Form 8949: one row per disposed lot slice, with its box."""
    import sys
    from itertools import takewhile

    from cli.usecases import gc_paused, stream
    from projections import form8949
    from projections.rules.form_box import wallet_reports
    from projections.tax_year import Facts

    with gc_paused():
        streamed = stream(State.db, as_of)
        replay, tz = streamed.replay, streamed.store.timezone
        # the slices come in 8949 order: the year's are all in once a later year's begins
        slices = (s for s in takewhile(lambda s: s.date_sold.year <= year, replay.slices) if s.date_sold.year == year)
        quantum = form8949.DOLLAR if whole_dollars else form8949.CENT
        chunks = form8949.row_chunks(slices, wallet_reports(replay.log), quantum=quantum)
        if csv_out:  # written a chunk of rows at a time, as `report all` does (issue #7)
            text = form8949.CsvText(whole_dollars=whole_dollars)
            for rows in chunks:
                text.add(rows)
            for piece in text.pieces():
                typer.echo(piece, nl=False)
        elif json_out:
            sys.stdout.flush()
            json_rows = _JsonRows(sys.stdout.buffer)
            for rows in chunks:
                json_rows.add(rows)
            json_rows.close()
            sys.stdout.buffer.flush()
        else:
            _print_8949(year, [r for rows in chunks for r in rows], whole_dollars=whole_dollars)
        facts = Facts()
        facts.add(replay.log)  # the non-trade events and the first and last trade: enough for the span
        warn_empty_year(facts.empty_year(year, tz))


@report_app.command("schedule-d")
def report_schedule_d(year: YearOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False) -> None:
    """Schedule D: the year's netting, the deduction and the Capital Loss Carryover Worksheet."""
    from cli.usecases import schedule_d
    from projections.reports import schedule_d_json

    sd = schedule_d(State.db, as_of, year)
    if json_out:
        report = schedule_d_json(sd)
        if sd.empty:
            report["warnings"] = [*report["warnings"], sd.empty]
        _emit_json(report)
    else:
        _print_schedule_d(sd)
        warn_empty_year(sd.empty)


@report_app.command("income")
def report_income(year: YearOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False) -> None:
    """Ordinary income from income events, by kind."""
    from cli.usecases import empty_year, income
    from projections.reports import income_rows_json

    report = income_rows_json(income(State.db, as_of), year)
    if json_out:
        _emit_json(report)
    else:
        _print_income(report)
    if not report["rows"]:  # only then can the year be empty: the span needs a pass over the log
        warn_empty_year(empty_year(State.db, as_of, year))


@report_app.command("all")
def report_all(out: OutOpt, as_of: AsOfOpt = None, json_out: JsonOpt = False) -> None:
    """Every year's 8949 (CSV, JSON), Schedule D and income (JSON) into DIR/YEAR/, from one replay."""
    from cli.usecases import gc_paused, stream
    from projections import form8949, reports
    from projections.rules.form_box import wallet_reports
    from projections.tax_year import YearBoxes, add_rows, totalled

    with gc_paused():
        streamed = stream(State.db, as_of)
        replay = streamed.replay
        # Each year's 8949 files are written a few thousand rows at a time as the slices come
        # (issue #7); Schedule D needs only the totals of every year's rows.
        year_boxes: YearBoxes = {}
        year_to_count: dict[int, int] = {}
        files: _Form8949Files | None = None
        for rows in form8949.row_chunks(replay.slices, wallet_reports(replay.log)):
            if files is None or files.year != rows[0].year:
                if files is not None:
                    year_to_count[files.year] = files.close()
                files = _Form8949Files(out, rows[0].year)
            add_rows(year_boxes, rows)
            files.add(rows)
        if files is not None:
            year_to_count[files.year] = files.close()
        ty = totalled(year_boxes, replay.problems, replay.log, tz=streamed.store.timezone)
        year_to_income: dict[int, list[IncomeRow]] = {}
        for income in replay.income:
            year_to_income.setdefault(income.date.year, []).append(income)
        summary = []
        for year in ty.report_years():
            if year not in year_to_count:
                _Form8949Files(out, year).close()
            folder = out / str(year)
            sd = ty.years[year]
            _write_json(folder / "schedule_d.json", reports.schedule_d_json(sd))
            _write_json(folder / "income.json", reports.income_rows_json(year_to_income.get(year, []), year))
            summary.append((year, year_to_count.get(year, 0), sd))
    if json_out:
        _emit_json(_summary_json(out, summary))
    else:
        _print_summary(out, summary)


class _Form8949Files:
    """DIR/YEAR/form8949.csv and form8949.json, written from rows given a chunk at a time: the same
    bytes as `form8949.to_csv` and `_indented(reports.form8949_json_bytes(...))` of all of them."""

    def __init__(self, out: Path, year: int) -> None:
        from projections.form8949 import CsvText

        self.year = year
        self.folder = out / str(year)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.csv = CsvText()
        self.json = _JsonRows((self.folder / "form8949.json").open("wb"))

    def add(self, rows: Sequence[Row]) -> None:
        from projections.form8949 import plain

        qtys = [plain(r.qty) for r in rows]  # once for both files
        self.csv.add(rows, qtys)
        self.json.add(rows, qtys)

    def close(self) -> int:
        """Finish both files; how many rows they hold."""
        self.json.close()
        self.json.file.close()
        with (self.folder / "form8949.csv").open("w", encoding="utf-8") as csv_file:
            csv_file.writelines(self.csv.pieces())
        return self.json.count


class _JsonRows:
    """`_indented(reports.form8949_json_bytes(rows))` written to `file` from rows given a chunk at a
    time: the same bytes, without the text of all the rows in memory at once (issue #7)."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.count = 0

    def add(self, rows: Sequence[Row], qtys: Sequence[str] | None = None) -> None:
        """Add rows; `qtys`: `form8949.plain` of each row's qty, when the caller has them."""
        from projections.reports import form8949_json_bytes

        if not rows:
            return
        self.file.write(b",\n" if self.count else b"[\n")
        indented = _indented(form8949_json_bytes(rows, qtys))
        self.file.write(memoryview(indented)[2:-3])  # the rows, indented as in the whole array
        self.count += len(rows)

    def close(self) -> None:
        """End the array (`[]` when no rows came)."""
        self.file.write(b"\n]\n" if self.count else _indented(b"[]"))


# -- helpers ---------------------------------------------------------------------------------


def _json_bytes(value: Any) -> bytes:
    """Indented JSON, keys in the order given: the same text as `cli.app.emit_json`, many times faster."""
    import msgspec

    return _indented(msgspec.json.encode(value))


def _indented(compact: bytes) -> bytes:
    """Compact JSON indented as `cli.app.emit_json` writes it."""
    import msgspec

    return msgspec.json.format(compact, indent=2) + b"\n"


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

    sys.stdout.flush()
    sys.stdout.buffer.write(_indented(compact))
    sys.stdout.buffer.flush()


def _write_json(path: Path, value: Any) -> None:
    path.write_bytes(_json_bytes(value))


def _fmt(amount: Any, *, whole_dollars: bool = False) -> str:
    from projections.form8949 import dollars, money

    return dollars(amount) if whole_dollars else money(amount)


def _paren(amount: Any) -> str:
    """A carryover as the form shows a subtraction: (1,000.00)."""
    from projections.form8949 import money

    return f"({money(amount)})" if amount else "0.00"


def _print_8949(year: int, rows: Sequence[Row], *, whole_dollars: bool) -> None:
    from rich.table import Table

    from projections.form8949 import grouped

    out = console()
    for part, title in (("I", "Part I — short-term"), ("II", "Part II — long-term")):
        part_rows = [r for r in grouped(rows) if r.part == part]
        table = Table(title=f"Form 8949 {year} {title}", show_footer=bool(part_rows))
        for name in ("box", "(a) description", "(b) acquired", "(c) sold", "(d) proceeds", "(e) cost basis",
                     "(f) code", "(g) adjustment", "(h) gain or (loss)"):
            table.add_column(name, justify="right" if name[1] in "deghb" and name != "box" else "left")
        for r in part_rows:
            table.add_row(r.box, r.description, r.date_acquired.isoformat(), r.date_sold.isoformat(),
                          *(_fmt(a, whole_dollars=whole_dollars) for a in (r.proceeds, r.cost_basis)), r.code,
                          *(_fmt(a, whole_dollars=whole_dollars) for a in (r.adjustment, r.gain)))
        if part_rows:
            totals = [sum((getattr(r, f) for r in part_rows), start=r.gain * 0)
                      for f in ("proceeds", "cost_basis", "adjustment", "gain")]
            for column, value in zip((4, 5, 7, 8), totals, strict=True):
                table.columns[column].footer = _fmt(value, whole_dollars=whole_dollars)
            table.columns[0].footer = "Total"
            out.print(table)
        else:
            out.print(f"Form 8949 {year} {title}: no rows")


def _amount_cells(a: Amounts) -> tuple[str, str, str, str]:
    from projections.form8949 import money

    return money(a.proceeds), money(a.cost_basis), money(a.adjustments), money(a.gain)


def _box_lines(table: Any, sd: ScheduleD, boxes: str) -> None:
    """Lines 1b–3 (short) or 8b–10 (long): one line per Form 8949 box with rows."""
    for b in sd.boxes:
        if b.box in boxes:
            label = f"Form 8949 box {b.box} ({b.rows} row{'s' if b.rows != 1 else ''})"
            table.add_row(BOX_TO_LINE[b.box], label, *_amount_cells(b.amounts))


def _print_schedule_d(sd: ScheduleD) -> None:
    from rich.table import Table

    from projections.form8949 import money

    out = console()
    table = Table(title=f"Schedule D {sd.year} ({sd.filing_status})")
    for name, justify in (("line", "left"), ("", "left"), ("(d) proceeds", "right"), ("(e) cost", "right"),
                          ("(g) adjustments", "right"), ("(h) gain or (loss)", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    blank = ("", "", "")
    table.add_row("", "[b]Part I — short-term[/b]", *blank, "")
    table.add_row("1a", "basis reported, no adjustments: not used, every row is on Form 8949", *blank, "0.00")
    _box_lines(table, sd, "ABCGHI")
    table.add_row("6", "short-term capital loss carryover", *blank, _paren(sd.carryover_in.short_term))
    table.add_row("7", "[b]net short-term gain or (loss)[/b]", *blank, money(sd.netting.line7))
    table.add_row("", "[b]Part II — long-term[/b]", *blank, "")
    table.add_row("8a", "basis reported, no adjustments: not used, every row is on Form 8949", *blank, "0.00")
    _box_lines(table, sd, "DEFJKL")
    table.add_row("14", "long-term capital loss carryover", *blank, _paren(sd.carryover_in.long_term))
    table.add_row("15", "[b]net long-term gain or (loss)[/b]", *blank, money(sd.netting.line15))
    table.add_row("", "[b]Part III — summary[/b]", *blank, "")
    table.add_row("16", "[b]combine lines 7 and 15[/b]", *blank, money(sd.netting.line16))
    limit = "1,500" if sd.filing_status == "mfs" else "3,000"
    table.add_row("21", f"capital loss deducted (a line 16 loss, at most {limit})", *blank,
                  _paren(sd.netting.deduction))
    out.print(table)
    out.print(f"Totals — short-term: {' / '.join(_amount_cells(sd.short_term))}; "
              f"long-term: {' / '.join(_amount_cells(sd.long_term))}")
    if sd.carryover_from_event:
        out.print(f"Carryover into {sd.year} set by the carryover event at seq {sd.carryover_from_event}.")
    _print_worksheet(sd)
    for warning in sd.warnings:
        out.print(f"[yellow]warning:[/yellow] {warning}")


def _print_worksheet(sd: ScheduleD) -> None:
    from rich.table import Table

    from projections.form8949 import money

    w = sd.worksheet
    table = Table(title=f"Capital Loss Carryover Worksheet: {sd.year} -> {sd.year + 1}")
    table.add_column("line")
    table.add_column("")
    table.add_column("amount", justify="right")
    l1 = "not given: assumed large enough that line 4 = line 2" if w.l1 is None else money(w.l1)
    lines = (
        ("1", f"taxable income {sd.year} before its zero floor (profile)", l1),
        ("2", "loss deducted: Schedule D line 21", money(w.l2)),
        ("3", "line 1 + line 2 (not below zero)", money(w.l3)),
        ("4", "smaller of line 2 or line 3", money(w.l4)),
        ("5", "loss on line 7, as a positive amount", money(w.l5)),
        ("6", "gain on line 15 (zero if a loss)", money(w.l6)),
        ("7", "line 4 + line 6", money(w.l7)),
        ("8", f"[b]short-term carryover to {sd.year + 1}[/b]: line 5 − line 7", money(w.l8)),
        ("9", "loss on line 15, as a positive amount", money(w.l9)),
        ("10", "gain on line 7 (zero if a loss)", money(w.l10)),
        ("11", "line 4 − line 5 (not below zero)", money(w.l11)),
        ("12", "line 10 + line 11", money(w.l12)),
        ("13", f"[b]long-term carryover to {sd.year + 1}[/b]: line 9 − line 12", money(w.l13)),
    )
    for row in lines:
        table.add_row(*row)
    console().print(table)


def _print_income(report: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"Ordinary income {report['year']} (R7)", show_footer=True)
    for name in ("date", "kind", "asset", "qty", "wallet", "value"):
        table.add_column(name, justify="right" if name in ("qty", "value") else "left")
    for r in report["rows"]:
        table.add_row(r["date"], r["kind"], r["asset"], r["qty"], r["wallet"], r["value"])
    table.columns[0].footer = "Total"
    table.columns[5].footer = report["total"]
    out = console()
    out.print(table)
    for kind, amount in report["by_kind"].items():
        out.print(f"  {kind}: {amount}")


def _summary_json(out_dir: Path, summary: Sequence[tuple[int, int, ScheduleD]]) -> dict[str, Any]:
    """`report all --json`: where each year's files went, with its headline numbers."""
    from projections.form8949 import money

    return {
        "out": str(out_dir),
        "years": [
            {
                "year": year, "rows": count, "net": money(sd.netting.line16), "deduction": money(sd.netting.deduction),
                "carryover_out": {"short_term": money(sd.carryover_out.short_term),
                                  "long_term": money(sd.carryover_out.long_term)},
                "files": [str(out_dir / str(year) / name) for name in REPORT_FILES],
            }
            for year, count, sd in summary
        ],
    }


def _print_summary(out_dir: Path, summary: Sequence[tuple[int, int, ScheduleD]]) -> None:
    from rich.table import Table

    from projections.form8949 import money

    if not summary:
        console().print("Nothing to report: the ledger has no events.")
        return
    table = Table(title=f"Reports written to {out_dir}")
    for name in ("year", "8949 rows", "net (line 16)", "deduction", "carryover out (short / long)"):
        table.add_column(name, justify="right")
    for year, count, sd in summary:
        out = sd.carryover_out
        table.add_row(str(year), str(count), money(sd.netting.line16), money(sd.netting.deduction),
                      f"{money(out.short_term)} / {money(out.long_term)}")
    console().print(table)
