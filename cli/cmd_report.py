"""`gainlog report 8949 | schedule-d | income | all`: the tax reports (CONTRACT §1, §3).

Each command loads the ledger as of a knowledge point (`cli.usecases.load`), computes every tax
year in one pass (`projections.tax_year.tax_years`) and renders the contract's JSON
(`projections.reports`), CSV (`projections.form8949.to_csv`) or a rich table for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
            missing = _MissingBasis()
            for rows in chunks:
                text.add(rows)
                missing.add(rows)
            for piece in text.pieces():
                typer.echo(piece, nl=False)
            missing.warn(year)
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
    """Every year's 8949 (CSV, JSON), Schedule D and income (JSON) into DIR/YEAR/, from one replay,
    with DIR/manifest.json; DIR is replaced as a whole, atomically."""
    import shutil
    import tempfile

    target = out.resolve()
    _check_out(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # written next to DIR and renamed into place (issue #18): a run killed at any point leaves the
    # previous DIR whole (and at most a `.DIR.gainlog-*` folder next to it)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.gainlog-", dir=target.parent))
    try:
        written = write_reports(work, as_of)
        write_manifest(work, written)
        _swap_into_place(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    for year, missing in sorted(written.missing.items()):  # named where the files now are
        missing.warn(year, where=f" ({out / str(year) / 'form8949.csv'})")
    if json_out:
        _emit_json(_summary_json(out, written.summary))
    else:
        _print_summary(out, written.summary)


MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Written:
    """What `write_reports` wrote.

    Attributes:
        seq: the knowledge point the files are as of.
        head: the chain's hash at `seq`.
        tags: name -> `SEQ:HASH` of every tag at or before `seq` (a moved tag fails `verify --manifest`).
        summary: each year's (year, 8949 rows, Schedule D).
        missing: each year's 8949 rows with missing basis (their numbers), for the warning `report all` prints.
    """

    seq: int
    head: str
    tags: dict[str, str]
    summary: list[tuple[int, int, ScheduleD]]
    missing: dict[int, _MissingBasis]


def write_reports(out: Path, as_of: str | None) -> Written:
    """`report all`'s files into the existing folder `out`, as of `as_of` (`verify --manifest` replays it)."""
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
        year_to_missing: dict[int, _MissingBasis] = {}
        files: _Form8949Files | None = None
        for rows in form8949.row_chunks(replay.slices, wallet_reports(replay.log)):
            if files is None or files.year != rows[0].year:
                if files is not None:
                    year_to_count[files.year] = files.close()
                files = _Form8949Files(out, rows[0].year)
            add_rows(year_boxes, rows)
            year_to_missing.setdefault(files.year, _MissingBasis()).add(rows)
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
        store, seq = streamed.store, streamed.seq
        tags = {t.name: f"{t.seq}:{store.hash_at(t.seq)}" for t in store.tags() if t.seq <= seq}
        return Written(seq=seq, head=store.hash_at(seq), tags=tags, summary=summary, missing=year_to_missing)


def file_digests(folder: Path) -> dict[str, str]:
    """`YEAR/name` -> SHA-256 of every report file under `folder` (the manifest itself excluded)."""
    import hashlib

    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def write_manifest(folder: Path, written: Written) -> None:
    """DIR/manifest.json (CONTRACT §4 Integrity): the seq and chain hash the files are as of, their
    SHA-256, and the tags up to that seq (`SEQ:HASH`)."""
    _write_json(folder / MANIFEST, {"seq": written.seq, "head": written.head, "files": file_digests(folder),
                                    "tags": written.tags})


def _check_out(out: Path) -> None:
    """DIR may hold only what `report all` writes (year folders of report files, the manifest): it is
    replaced as a whole, and nothing else in it may be lost."""
    from ledger.errors import UsageError

    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError(f"--out {out}: not a folder")
    for entry in out.iterdir():
        ours = (entry.name == MANIFEST and entry.is_file()) or (
            entry.name.isdigit() and len(entry.name) == 4 and entry.is_dir()
            and all(f.name in REPORT_FILES and f.is_file() for f in entry.iterdir())
        )
        if not ours:
            raise UsageError(
                f"--out {out}: holds {entry.name!r}, which `report all` did not write; it replaces the folder "
                "as a whole, so give an empty or new folder (or one it wrote before)"
            )


def _swap_into_place(work: Path, target: Path) -> None:
    """Put the folder `work` at `target`: one rename when `target` is new, else an atomic exchange
    (Linux renameat2) and the old tree removed; elsewhere two renames (a moment without `target`)."""
    import os
    import shutil

    if not target.exists():
        os.rename(work, target)
        return
    if not _exchange(work, target):
        old = work.with_name(work.name + "-old")
        os.rename(target, old)
        os.rename(work, target)
        work = old
    shutil.rmtree(work, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where that is not available."""
    import ctypes
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return bool(renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0)


class _MissingBasis:
    """The numbers (from 1, in 8949 order, as `explain --row` counts) of a year's rows with missing
    basis, from rows given a chunk at a time, and the warning that names them (R3.5)."""

    def __init__(self) -> None:
        self.count = 0
        self.rows: list[int] = []

    def add(self, rows: Sequence[Row]) -> None:
        self.rows.extend(self.count + i for i, r in enumerate(rows, 1) if r.missing_basis)
        self.count += len(rows)

    def message(self, year: int) -> str:
        return missing_basis_message(year, self.rows)

    def warn(self, year: int, *, where: str = "") -> None:
        """`gainlog: warning: ...` on stderr when there are such rows."""
        import sys

        if self.rows:
            print(f"gainlog: warning: {self.message(year)}{where}", file=sys.stderr)


def missing_basis_message(year: int, numbers: Sequence[int]) -> str:
    """What a report says of rows with missing basis (zero basis, R3.5)."""
    shown = ", ".join(str(n) for n in numbers[:10]) + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
    return (f"{year}: Form 8949 row(s) {shown} have missing basis: reported with zero basis, acquired on the "
            "sale date, short-term (R3.5); import the missing acquisitions or transfers in")


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
    """The year's rows grouped by part and box; `#` is the row's number in 8949 order (date sold,
    then seq), the N `explain --row N` takes."""
    from cli.render import line, number_column, number_table
    from projections.form8949 import BOX_ORDER

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
            out.print(table)
        else:
            out.print(f"Form 8949 {year} {title}: no rows")
    missing = [n for n, r in enumerate(rows, 1) if r.missing_basis]
    if missing:
        out.print(line(("warning:", "yellow"), " " + missing_basis_message(year, missing)))


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
    from cli.render import line, number_column, number_table, styled
    from projections.form8949 import money

    out = console()
    table = number_table(title=f"Schedule D {sd.year} ({sd.filing_status})")
    table.add_column("line", overflow="fold")
    table.add_column("", overflow="fold")
    for name in ("(d) proceeds", "(e) cost", "(g) adjustments", "(h) gain or (loss)"):
        number_column(table, name)
    blank = ("", "", "")
    table.add_row("", styled("Part I — short-term", "bold"), *blank, "")
    table.add_row("1a", "basis reported, no adjustments: not used, every row is on Form 8949", *blank, "0.00")
    _box_lines(table, sd, "ABCGHI")
    table.add_row("6", "short-term capital loss carryover", *blank, _paren(sd.carryover_in.short_term))
    table.add_row("7", styled("net short-term gain or (loss)", "bold"), *blank, money(sd.netting.line7))
    table.add_row("", styled("Part II — long-term", "bold"), *blank, "")
    table.add_row("8a", "basis reported, no adjustments: not used, every row is on Form 8949", *blank, "0.00")
    _box_lines(table, sd, "DEFJKL")
    table.add_row("14", "long-term capital loss carryover", *blank, _paren(sd.carryover_in.long_term))
    table.add_row("15", styled("net long-term gain or (loss)", "bold"), *blank, money(sd.netting.line15))
    table.add_row("", styled("Part III — summary", "bold"), *blank, "")
    table.add_row("16", styled("combine lines 7 and 15", "bold"), *blank, money(sd.netting.line16))
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
        out.print(line(("warning:", "yellow"), f" {warning}"))


def _print_worksheet(sd: ScheduleD) -> None:
    from cli.render import line, number_column, number_table
    from projections.form8949 import money

    w = sd.worksheet
    table = number_table(title=f"Capital Loss Carryover Worksheet: {sd.year} -> {sd.year + 1}")
    table.add_column("line", overflow="fold")
    table.add_column("", overflow="fold")
    number_column(table, "amount")
    l1 = "not given: assumed large enough that line 4 = line 2" if w.l1 is None else money(w.l1)
    lines = (
        ("1", f"taxable income {sd.year} before its zero floor (profile)", l1),
        ("2", "loss deducted: Schedule D line 21", money(w.l2)),
        ("3", "line 1 + line 2 (not below zero)", money(w.l3)),
        ("4", "smaller of line 2 or line 3", money(w.l4)),
        ("5", "loss on line 7, as a positive amount", money(w.l5)),
        ("6", "gain on line 15 (zero if a loss)", money(w.l6)),
        ("7", "line 4 + line 6", money(w.l7)),
        ("8", line((f"short-term carryover to {sd.year + 1}", "bold"), ": line 5 − line 7"), money(w.l8)),
        ("9", "loss on line 15, as a positive amount", money(w.l9)),
        ("10", "gain on line 7 (zero if a loss)", money(w.l10)),
        ("11", "line 4 − line 5 (not below zero)", money(w.l11)),
        ("12", "line 10 + line 11", money(w.l12)),
        ("13", line((f"long-term carryover to {sd.year + 1}", "bold"), ": line 9 − line 12"), money(w.l13)),
    )
    for row in lines:
        table.add_row(*row)
    console().print(table)


def _print_income(report: dict[str, Any]) -> None:
    from cli.render import number_column, number_table

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
    from cli.render import number_table
    from projections.form8949 import money

    if not summary:
        console().print("Nothing to report: the ledger has no events.")
        return
    from cli.render import number_column

    table = number_table(title=f"Reports written to {out_dir}")
    for name in ("year", "8949 rows", "net (line 16)", "deduction", "carryover out (short / long)"):
        number_column(table, name)
    for year, count, sd in summary:
        out = sd.carryover_out
        table.add_row(str(year), str(count), money(sd.netting.line16), money(sd.netting.deduction),
                      f"{money(out.short_term)} / {money(out.long_term)}")
    console().print(table)


@dataclass(frozen=True)
class Manifest:
    """A manifest `report all` wrote (see `Written`); `files`: `YEAR/name` -> SHA-256."""

    seq: int
    head: str
    files: dict[str, str]
    tags: dict[str, str]


def read_manifest(path: Path) -> Manifest:
    """A manifest `report all` wrote; UsageError naming the field when it is not one."""
    import json

    from ledger.errors import UsageError

    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--manifest {path}: cannot read it as JSON ({exc})") from None
    if not isinstance(value, dict):
        raise UsageError(f"--manifest {path}: not a gainlog manifest (expected an object)")
    seq, head, files = value.get("seq"), value.get("head"), value.get("files")
    tags = value.get("tags", {})  # absent: a manifest naming no tag
    for name, ok in (("seq", isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0),
                     ("head", isinstance(head, str)),
                     ("files", isinstance(files, dict) and all(isinstance(v, str) for v in files.values())),
                     ("tags", isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values()))):
        if not ok:
            raise UsageError(f"--manifest {path}: field {name!r}: missing or not what `report all` writes")
    return Manifest(seq=seq, head=head, files=files, tags=tags)  # type: ignore[arg-type]


def manifest_problem(manifest: Manifest) -> str | None:
    """The tags the manifest names must name the same seq and hash; then replay the log as of its
    seq the way `report all` does, into a temporary folder, and name the first file (in name order)
    that would not be written byte-identical to the manifest's digest."""
    import tempfile

    seq, files = manifest.seq, manifest.files
    with tempfile.TemporaryDirectory(prefix="gainlog-manifest-") as work:
        now = write_reports(Path(work), str(seq))
        written = file_digests(Path(work))
    for name, anchor in sorted(manifest.tags.items()):
        if now.tags.get(name) != anchor:
            return (f"--manifest: tag {name!r} named {anchor} when the manifest was written; it now names "
                    f"{now.tags.get(name, 'nothing at or before seq ' + str(seq))}")
    for name in sorted(set(files) | set(written)):
        if name not in written:
            return f"--manifest: {name} is in the manifest, but replaying the log as of seq {seq} writes no such file"
        if name not in files:
            return f"--manifest: replaying the log as of seq {seq} writes {name}, which the manifest does not list"
        if written[name] != files[name]:
            return f"--manifest: {name} would not be written byte-identical: replaying the log as of seq {seq} gives " \
                   f"sha256 {written[name]}, the manifest says {files[name]}"
    return None
