"""`export --year Y --format txf|turbotax|taxact|pdf --out FILE` as a library (CONTRACT §4 "Filing outputs").

`statement` replays the ledger once (streamed, as `report 8949`; or serves it from a checkpoint as
`report 8949` does) and returns the year's Form 8949
rows and its Schedule D from that one replay (`projections.exports.Statement`); `export_text`
formats it as TXF or a tax-software CSV (`projections.exports`) and writes the file atomically
(a temporary file next to it, renamed into place). The PDF statement is drawn by the CLI
(`cli.export_pdf`, the only code that imports the PDF library), from the same `Statement`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from ..projections.exports import Statement

TEXT_FORMATS = ("txf", "turbotax", "taxact")
FORMATS = (*TEXT_FORMATS, "pdf")


def statement(db: Path, year: int, *, as_of: str | None = None, strict: bool = False) -> Statement:
    """The year's 8949 rows and Schedule D as of `as_of`, from a checkpoint `report all` left where it
    serves `report 8949` (`report_cache.year_statement`: 200,000 events, 2.5 s -> 0.6 s), else from one
    streamed replay: the rows of every year up to `year` are added up for the carryover chain, and only
    `year`'s are kept."""
    from itertools import takewhile

    from ..ledger.speed import gc_paused
    from ..projections.exports import Statement
    from ..projections.form8949 import row_chunks
    from ..projections.rules.form_box import wallet_reports
    from ..projections.tax_year import YearBoxes, add_rows, totalled
    from .reading import stream
    from .report_cache import year_statement

    served = year_statement(db, year, as_of=as_of, strict=strict)  # the drift check, either way
    if served is not None:
        return Statement(year=year, rows=tuple(served[0]), schedule_d=served[1])
    with gc_paused():
        streamed = stream(db, as_of, strict=strict, check=False)
        replay = streamed.replay
        upto = takewhile(lambda s: s.date_sold.year <= year, replay.slices)  # slices come in 8949 order
        year_boxes: YearBoxes = {}
        year_rows = []
        for rows in row_chunks(upto, wallet_reports(replay.log)):
            add_rows(year_boxes, rows)
            if rows[0].year == year:
                year_rows.extend(rows)
        sd = totalled(year_boxes, replay.problems, replay.log, tz=streamed.store.timezone, through=year).years[year]
    return Statement(year=year, rows=tuple(year_rows), schedule_d=sd)


class Exported(msgspec.Struct, frozen=True):
    """What `export` wrote.

    Attributes:
        out: the file, as given.
        format: txf, turbotax, taxact or pdf.
        statement: the year's rows and Schedule D the file was made from.
        unexported: numbers (8949 order, from 1) of rows whose adjustment the layout cannot carry.
        warnings: what the user must know about the file (layout limits, the year's warnings).
    """

    out: Path
    format: str
    statement: Statement
    unexported: list[int]
    warnings: list[str]

    def to_json(self) -> dict[str, object]:
        """`export --json`: the file, its format, rows, the totals it carries and the warnings."""
        from ..projections.exports import totals
        from ..projections.form8949 import money

        t = totals(self.statement.rows)
        return {
            "year": self.statement.year, "format": self.format, "out": str(self.out),
            "rows": len(self.statement.rows),
            "totals": {"proceeds": money(t.proceeds), "cost_basis": money(t.cost_basis),
                       "adjustments": money(t.adjustment), "gain": money(t.gain)},
            "warnings": list(self.warnings),
        }


def render_text(st: Statement, fmt: str, *, exported_on: date) -> bytes:
    """The file `export --format fmt` writes for a text format (TXF is ASCII, the CSVs UTF-8)."""
    from importlib.metadata import PackageNotFoundError, version

    from ..projections import exports

    if fmt == "txf":
        try:
            program = f"gainlog {version('gainlog')}"
        except PackageNotFoundError:
            program = "gainlog"
        return exports.txf_text(st.rows, exported_on=exported_on, program=program).encode("ascii", "replace")
    if fmt == "turbotax":
        return exports.turbotax_csv(st.rows).encode("utf-8")
    return exports.taxact_csv(st.rows).encode("utf-8")


def known_on(db: Path, as_of: str | None = None) -> date:
    """The day (ledger time zone) the last event known at `as_of` was recorded: the TXF header's date,
    so one log gives one file on any day (`export` is a replay, like every report)."""
    from .reading import open_ledger

    with open_ledger(db, check=False) as store:
        seq = store.resolve(as_of)
        last = store.read(after=seq - 1, until=seq) if seq else []
        return last[-1].recorded_at.astimezone(store.timezone).date() if last else date(1970, 1, 1)


def export(
    db: Path, year: int, fmt: str, out: Path, *, as_of: str | None = None, strict: bool = False,
    exported_on: date | None = None, draw_pdf: Callable[[Statement], bytes] | None = None,
) -> Exported:
    """`export`: the year's statement written to `out` as `fmt` (`draw_pdf` makes the PDF's bytes);
    a `UsageError` for an unknown format."""
    from ..ledger.errors import UsageError
    from ..projections.exports import too_many_rows, unexported_adjustments
    from .report_files import atomic_file

    if fmt not in FORMATS or (fmt == "pdf" and draw_pdf is None):
        raise UsageError(f"--format {fmt!r}: give one of {', '.join(FORMATS)}")
    with atomic_file(out) as f:  # made first: a folder that cannot take the file fails before the replay
        st = statement(db, year, as_of=as_of, strict=strict)
        if fmt == "pdf":
            assert draw_pdf is not None
            f.write(draw_pdf(st))
        else:
            f.write(render_text(st, fmt, exported_on=exported_on or known_on(db, as_of)))
    unexported = unexported_adjustments(st.rows, fmt=fmt)
    warnings = list(st.schedule_d.warnings)
    if st.schedule_d.empty:  # a year in which no event can fall (`--year 2030`): say so, as the reports do
        warnings.append(st.schedule_d.empty)
    if unexported:
        numbers = ", ".join(map(str, unexported[:10])) + (", ..." if len(unexported) > 10 else "")
        warnings.append(
            f"{fmt} has no column for these rows' adjustments (g): enter them by hand in the tax software, "
            f"or use --format txf or taxact (rows {numbers} of `report 8949 --year {year}`)"
        )
    limit = too_many_rows(len(st.rows), fmt=fmt)
    if limit is not None:
        warnings.append(limit)
    return Exported(out=out, format=fmt, statement=st, unexported=unexported, warnings=warnings)
