"""The tax reports as a library: `report 8949 | schedule-d | income | all` (CONTRACT §1, §3).

Each function opens the ledger at `db` for reading (`api.reading.open_ledger`: the drift check, a
warning or with `strict` an IntegrityViolation), replays it as of `as_of` and returns the
projection's values; `to_json()` gives the contract's JSON. The files of `report all` are
written by `write_reports`, with the manifest `verify --manifest` checks (`api.manifest`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import msgspec

from .report_files import REPORT_FILES, MissingBasis

if TYPE_CHECKING:
    from ..projections.form8949 import Row
    from ..projections.model import IncomeRow
    from ..projections.tax_year import ScheduleD
    from .reading import Streamed
    from .report_cache import Collected


def schedule_d_json(sd: ScheduleD) -> dict[str, Any]:
    """`report schedule-d --json` (`projections.reports.schedule_d_json`), with why the year is
    empty (`ScheduleD.empty`) among the warnings when it is."""
    from ..projections.reports import schedule_d_json as contract_json

    report = contract_json(sd)
    if sd.empty:  # a year in which no event can fall (`--year 2030`): say so
        report["warnings"] = [*report["warnings"], sd.empty]
    return report


# -- report 8949 ------------------------------------------------------------------------------


class Form8949(msgspec.Struct):
    """One year's Form 8949 rows as they come from a streamed replay (issue #7).

    Attributes:
        year: the tax year.
        whole_dollars: amounts rounded to whole dollars (half up), (h) recomputed.
        chunks: the rows in 8949 order, a list at a time; iterate it once (inside
            `api.reading.gc_paused()` for speed).
    """

    year: int
    whole_dollars: bool
    chunks: Iterator[list[Row]]
    streamed: Streamed | None = None  # None: served from a checkpoint
    served: tuple[str, list[str]] = ("", [])  # from a checkpoint: `empty_year()`, `unpaired()`
    json_file: Path | None = None  # served: the JSON of the first rows, as `report all` wrote it
    json_more: list[Row] = msgspec.field(default_factory=list)  # served with `json_file`: the rows after the file's
    csv_file: Path | None = None  # served: the year's CSV as `report all` wrote it (the tail adds no row)
    missing: list[int] = msgspec.field(default_factory=list)  # served with `csv_file`: the rows with missing basis

    def write_csv(self, out: BinaryIO) -> MissingBasis:
        """`report 8949 --csv` into `out`, the rows a chunk at a time (`form8949.CsvText`, issue #7),
        or when served with `csv_file`, that file as it is (no row decoded); the year's rows with
        missing basis, for the warning."""
        import shutil

        from ..projections.form8949 import CsvText

        missing = MissingBasis()
        if self.csv_file is not None:
            with self.csv_file.open("rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
            missing.rows = list(self.missing)
            return missing
        text = CsvText(whole_dollars=self.whole_dollars)
        for rows in self.chunks:
            text.add(rows)
            missing.add(rows)
        for piece in text.pieces():
            out.write(piece.encode())
        return missing

    def write_json(self, out: BinaryIO) -> None:
        """`report 8949 --json` into `out`: the rows a chunk at a time (`report_files.JsonRows`); when
        served with `json_file`, that file's rows as they are, then `json_more`'s (no row decoded)."""
        import shutil

        from .report_files import JsonRows

        json_rows = JsonRows(out)
        if self.json_file is not None:
            with self.json_file.open("rb") as f:
                size = f.seek(0, 2)
                f.seek(0)
                if not self.json_more:
                    shutil.copyfileobj(f, out, 1 << 20)
                    return
                if size > len(JsonRows.END) + 2:  # `[`, the rows, END: the rows go on after the file's
                    left = size - len(JsonRows.END)
                    while left:
                        left -= out.write(f.read(min(left, 1 << 20)))
                    json_rows.count = 1
            for i in range(0, len(self.json_more), 4096):
                json_rows.add(self.json_more[i:i + 4096])
        else:
            for rows in self.chunks:
                json_rows.add(rows)
        json_rows.close()

    def empty_year(self) -> str:
        """Why no event can fall in the year (`Facts.empty_year`), "" when one may; call it once
        `chunks` is used up (the replay's log is complete then)."""
        from ..projections.tax_year import Facts

        if self.streamed is None:
            return self.served[0]
        facts = Facts()
        facts.add(self.streamed.replay.log)  # the non-trade events and the first and last trade: the span
        return facts.empty_year(self.year, self.streamed.store.timezone)

    def unpaired(self) -> list[str]:
        """The warnings of the unpaired transfer legs (R2.8: they change rows in any year); after `chunks`."""
        from ..projections.rules.transfer_legs import CODES

        if self.streamed is None:
            return list(self.served[1])
        return [p.message for p in self.streamed.replay.problems if p.code in CODES]


def form8949(
    db: Path, year: int, *, as_of: str | None = None, strict: bool = False, whole_dollars: bool = False,
    jobs: int = 1,
) -> Form8949:
    """`report 8949`: the year's rows, streamed (the log is never held whole), or in cents from a
    checkpoint `report all` left when it serves (issue #19: `report_cache.form8949_rows`);
    `jobs`: replayed in up to that many processes, sharded by asset (`api.parallel`: the same rows)."""
    from itertools import takewhile

    from .report_cache import form8949_rows

    checked = False  # the drift check ran (in `form8949_rows`)
    if not whole_dollars:
        served = form8949_rows(db, year, as_of=as_of, strict=strict)
        checked = True
        if served is not None:
            return Form8949(year=year, whole_dollars=False, chunks=_served_chunks(served.rows),
                            served=(served.empty, served.legs), json_file=served.json_file,
                            json_more=served.json_more, csv_file=served.csv_file, missing=served.missing)

    from ..projections import form8949 as f8949
    from ..projections.rules.form_box import wallet_reports
    from .parallel import stream

    streamed = stream(db, as_of, strict=strict, check=not checked, jobs=jobs)
    replay = streamed.replay
    # the slices come in 8949 order: the year's are all in once a later year's begins
    slices = (s for s in takewhile(lambda s: s.date_sold.year <= year, replay.slices) if s.date_sold.year == year)
    quantum = f8949.DOLLAR if whole_dollars else f8949.CENT
    chunks = f8949.row_chunks(slices, wallet_reports(replay.log), quantum=quantum)
    return Form8949(year=year, whole_dollars=whole_dollars, chunks=iter(chunks), streamed=streamed)


def _served_chunks(rows: Callable[[], list[Row]]) -> Iterator[list[Row]]:
    """The rows a checkpoint serves, 4,096 at a time, decoded only once the first chunk is asked for."""
    served = rows()
    for i in range(0, len(served), 4096):
        yield served[i:i + 4096]


# -- report schedule-d ------------------------------------------------------------------------


def schedule_d(
    db: Path, year: int, *, as_of: str | None = None, strict: bool = False, check: bool = True
) -> ScheduleD:
    """`report schedule-d`: one year's Schedule D as of `as_of`, from a checkpoint's stored totals
    and the events after it, the newest checkpoint whose tail qualifies (projections.year_checkpoint:
    no replay of the log), else by a streamed replay. `to_json`: `schedule_d_json`; `check`: run the
    drift check (`reading.open_ledger`)."""
    from ..ledger import checkpoints as saved
    from ..projections import checkpoint as cp
    from ..projections.year_checkpoint import YEARS, schedule_d_after
    from .reading import open_ledger
    from .report_cache import AUTO_CHECKPOINT

    with open_ledger(db, strict=strict, check=check) as store:
        seq = store.resolve(as_of)
        candidates = saved.usable(store, at_or_before=seq, version=saved.code_version())  # newest first
        for candidate in candidates:
            engine, totals = saved.part(store, candidate, cp.STATE), saved.part(store, candidate, YEARS)
            if engine is None or totals is None:
                continue
            tail = store.read(after=candidate.seq, until=seq)
            sd = schedule_d_after(
                engine, totals, cp.parse_horizon(candidate.horizon), tail, tz=store.timezone, year=year
            )
            if sd is not None:
                return sd
        keep = seq >= AUTO_CHECKPOINT and not any(c.seq == seq for c in candidates)
    return _streamed_schedule_d(db, year, as_of=as_of, keep=keep)


def _streamed_schedule_d(db: Path, year: int, *, as_of: str | None, keep: bool = False) -> ScheduleD:
    """One year's Schedule D by a streamed replay: the rows of the years up to `year` added up a
    chunk at a time (the carryover chain never looks at later years). `keep`: add up every year's
    rows and leave the checkpoint `gainlog checkpoint` saves at `as_of` (a large log, issue #19), so
    that the next `report schedule-d` after an append folds only the new events; a file that refuses
    the write simply gets none."""
    from itertools import takewhile

    from ..ledger.speed import gc_paused
    from ..projections.rules.form_box import wallet_reports
    from ..projections.tax_year import slice_boxes, totalled
    from .checkpoints import save_replayed
    from .reading import stream

    with gc_paused():
        streamed = stream(db, as_of, check=False, freeze=keep)  # the drift check ran when the ledger was opened
        replay = streamed.replay
        slices = replay.slices if keep else takewhile(lambda s: s.date_sold.year <= year, replay.slices)
        year_boxes = slice_boxes(slices, wallet_reports(replay.log))  # slices come in 8949 order
        if keep:
            save_replayed(streamed.store, streamed.seq, replay, year_boxes)
        return totalled(year_boxes, replay.problems, replay.log, tz=streamed.store.timezone, through=year).years[year]


# -- report income ----------------------------------------------------------------------------


def income_rows(db: Path, *, as_of: str | None = None, strict: bool = False) -> list[IncomeRow]:
    """Every year's income rows as of `as_of` (R7.1): read from the log's `income`, `price` (an income
    without `value` is valued from them) and `retract` events alone, without the lot engine's fold
    (`projections.engine.income_rows`)."""
    from ..projections.engine import income_rows as rows_of
    from ..projections.knowledge import live
    from .reading import open_ledger

    with open_ledger(db, strict=strict) as store:
        seq = store.resolve(as_of)
        known = live(store.iter_read(until=seq, types=("income", "price", "retract")), until_seq=seq)
        return rows_of(known, tz=store.timezone)


def _income_year(
    db: Path, year: int, *, as_of: str | None = None, strict: bool = False, check: bool = True
) -> tuple[list[IncomeRow], list[str]]:
    """`year`'s income rows (as `income_rows`) and the warnings of `report income`: each income event
    without `value` that no price valued (counted at 0, CONTRACT §4 Prices), then each unpaired
    transfer leg (R2.8). One read of the log; `check`: run the drift check (`open_ledger`)."""
    from ..ledger.events import Income as IncomeEvent
    from ..projections.engine import income_rows as rows_of
    from ..projections.engine import pooled_on
    from ..projections.exact import exact_context
    from ..projections.knowledge import live
    from ..projections.rules.prices import PriceIndex, needs_price, value_event
    from ..projections.rules.transfer_legs import early_withdrawal, unpaired_problems
    from .reading import open_ledger

    with open_ledger(db, strict=strict, check=check) as store:
        seq = store.resolve(as_of)
        types = ("income", "price", "retract", "withdrawal", "deposit", "transfer")  # legs: R2.8 warnings
        known = live(store.iter_read(until=seq, types=types), until_seq=seq)
        tz = store.timezone
        pooled = None  # before 2025 a withdrawal's warning depends on its asset's pooling (R3.3)
        if early_withdrawal(known, tz=tz):
            pooling = ("method", "buy", "income", "gift_in", "rename", "reorg", "retract")  # scope and class
            pooled = pooled_on(live(store.iter_read(until=seq, types=pooling), until_seq=seq))
    rows = [r for r in rows_of(known, tz=tz) if r.date.year == year]
    legs = [p.message for p in unpaired_problems(known, tz=tz, pooled=pooled)]  # every year's reports (R2.8)
    seqs = {r.seq for r in rows}
    unvalued = [r for r in known if r.seq in seqs and isinstance(r.event, IncomeEvent) and needs_price(r.event)]
    if not unvalued:
        return rows, legs
    prices = PriceIndex(known)
    with exact_context():
        problems = [value_event(prices, r).problem for r in unvalued]
    return rows, [p.message for p in problems if p is not None] + legs


class Income(msgspec.Struct, frozen=True):
    """One tax year's ordinary income (R7).

    Attributes:
        year: the tax year.
        rows: the year's income rows, in log order.
        empty: why no event can fall in the year ("" when one may, or when there are rows).
        warnings: the year's income events without `value` that no price valued (at 0).
    """

    year: int
    rows: list[IncomeRow]
    empty: str
    warnings: list[str] = msgspec.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """`report income --json`: {"year", "total", "by_kind", "rows", "warnings"}."""
        from ..projections.reports import income_rows_json

        return {**income_rows_json(self.rows, self.year), "warnings": list(self.warnings)}


def income(db: Path, year: int, *, as_of: str | None = None, strict: bool = False) -> Income:
    """`report income`: the year's income rows, from a checkpoint `report all` left where it serves
    `report 8949` (issue #19: `report_cache.income_year`, no read of the log), else from the log;
    only when there are none is the log scanned for whether the year can hold an event at all
    (`api.reading.empty_year`)."""
    from .reading import empty_year
    from .report_cache import income_year

    served = income_year(db, year, as_of=as_of, strict=strict)  # the drift check runs here
    if served is not None:
        return served
    rows, warnings = _income_year(db, year, as_of=as_of, strict=strict, check=False)
    return Income(year=year, rows=rows, empty="" if rows else empty_year(db, year, as_of=as_of), warnings=warnings)


# -- report all -------------------------------------------------------------------------------


class YearSummary(msgspec.Struct, frozen=True):
    """One year `report all` wrote: its number of 8949 rows and its Schedule D."""

    year: int
    rows: int
    schedule_d: ScheduleD


class Written(msgspec.Struct, frozen=True):
    """What `write_reports` wrote.

    Attributes:
        out: the folder, as given.
        seq: the knowledge point the files are as of.
        head: the chain's hash at `seq`.
        tags: name -> `SEQ:HASH` of every tag at or before `seq` (a moved tag fails `verify --manifest`).
        summary: each year's rows and Schedule D, in year order.
        missing: each year's 8949 rows with missing basis (their numbers), for the warning.
    """

    out: Path
    seq: int
    head: str
    tags: dict[str, str]
    summary: list[YearSummary]
    missing: dict[int, MissingBasis]

    def files(self, year: int) -> list[Path]:
        """The files of one year: `out/YEAR/form8949.csv`, ... (`REPORT_FILES`)."""
        return [self.out / str(year) / name for name in REPORT_FILES]

    def to_json(self) -> dict[str, Any]:
        """`report all --json`: where each year's files went, with its headline numbers."""
        from ..projections.form8949 import money

        return {
            "out": str(self.out),
            "years": [
                {
                    "year": y.year, "rows": y.rows, "net": money(y.schedule_d.netting.line16),
                    "deduction": money(y.schedule_d.netting.deduction),
                    "carryover_out": {"short_term": money(y.schedule_d.carryover_out.short_term),
                                      "long_term": money(y.schedule_d.carryover_out.long_term)},
                    "files": [str(path) for path in self.files(y.year)],
                }
                for y in self.summary
            ],
        }


def write_reports(
    db: Path, out: Path, *, as_of: str | None = None, strict: bool = False, jobs: int = 1
) -> Written:
    """`report all`: every year's 8949 (CSV, JSON), Schedule D and income (JSON) and year at a glance
    (HTML, `api.year_html`) into `out/YEAR/`,
    from one replay, with `out/manifest.json`; `out` is replaced as a whole, atomically. A
    `UsageError` when `out` holds anything `report all` did not write. `jobs`: the replay in up to
    that many processes, sharded by asset (`api.parallel`: the same files)."""
    import shutil
    import tempfile

    from .manifest import write_manifest
    from .report_cache import Collected, write_incremental
    from .report_files import check_out, swap_into_place

    target = out.resolve()
    check_out(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # written next to DIR and renamed into place (issue #18): a run killed at any point leaves the
    # previous DIR whole (and at most a `.DIR.gainlog-*` folder next to it)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.gainlog-", dir=target.parent))
    collect = Collected()  # what a checkpoint keeps: after a full replay, or at the end of a checkpoint's tail
    try:
        incremental = write_incremental(db, target, work, as_of=as_of, strict=strict, collect=collect)  # issue #19
        if incremental is not None:
            written, known = incremental
        else:
            shutil.rmtree(work)
            work.mkdir()
            collect = Collected()
            written = write_report_files(db, work, as_of=as_of, strict=strict, check=False, collect=collect,
                                         jobs=jobs)
            known = {}  # the drift check ran in `write_incremental`
        digests = write_manifest(work, written, known)
        swap_into_place(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    collect.save_now(digests, target)
    return Written(out=out, seq=written.seq, head=written.head, tags=written.tags, summary=written.summary,
                   missing=written.missing)


def write_report_files(
    db: Path, folder: Path, *, as_of: str | None = None, strict: bool = False, check: bool = True,
    collect: Collected | None = None, jobs: int = 1,
) -> Written:
    """`report all`'s files into the existing `folder`, as of `as_of`, without the manifest or the
    atomic replace (`verify --manifest` replays into a temporary folder with it, `check=False`).
    `collect`: gather what a checkpoint keeps, when the log is large enough (`api.report_cache`):
    a sharded replay's workers send their engine states, merged into one (`checkpoint.merge_engines`:
    none when they cannot be merged exactly), and their rows of the open year; `jobs`: as `write_reports`."""
    from ..ledger.speed import gc_paused
    from ..projections import form8949, reports
    from ..projections.glance import RowSums
    from ..projections.rules.form_box import wallet_reports
    from ..projections.tax_year import YearBoxes, totalled
    from .parallel import stream_sharded
    from .report_files import Form8949Files, write_json
    from .year_html import PAGE, draw, glance_of, page

    with gc_paused():
        freeze = False
        if collect is not None:
            from .reading import open_ledger
            from .report_cache import wanted

            with open_ledger(db, check=False) as store:
                freeze = wanted(store, store.resolve(as_of))
        streamed, sharding = stream_sharded(db, as_of, strict=strict, check=check, year_ends=True, freeze=freeze,
                                            jobs=jobs, texts=True)
        replay = streamed.replay
        if freeze and collect is not None and replay.engine is not None:  # None: the shards' did not merge
            collect.start(streamed)
        else:
            collect = None
        # Each year's 8949 files are written a few thousand rows at a time as the slices come
        # (issue #7); Schedule D needs only the totals of every year's rows.
        year_boxes: YearBoxes = {}
        year_to_count: dict[int, int] = {}
        year_to_missing: dict[int, MissingBasis] = {}
        files: Form8949Files | None = None
        sums = RowSums()  # the year pages' month and wallet/asset totals
        if sharding.rows is not None:  # sharded: the workers made the rows, their text and totals (no slices here)
            sharding.rows.write(folder, year_boxes, sums, year_to_count, year_to_missing)
            if collect is not None:
                year = collect.open_year
                open_rows = None if year is None else sharding.rows.open_rows(year)
                if open_rows is None:  # a worker failed: the replay in one process kept no rows
                    collect = None
                else:
                    collect.rows(open_rows)
        for rows in form8949.row_chunks(replay.slices, wallet_reports(replay.log)):
            if files is None or files.year != rows[0].year:
                if files is not None:
                    year_to_count[files.year] = files.close()
                files = Form8949Files(folder, rows[0].year)
            sums.add(rows, year_boxes)
            if collect is not None:
                collect.rows(rows)
            year_to_missing.setdefault(files.year, MissingBasis()).add(rows)
            files.add(rows)
        if files is not None:
            year_to_count[files.year] = files.close()
        ty = totalled(year_boxes, replay.problems, replay.log, tz=streamed.store.timezone)
        income = replay.income if sharding.rows is None else sharding.rows.income
        year_to_income: dict[int, list[IncomeRow]] = {}
        for row in income:
            year_to_income.setdefault(row.date.year, []).append(row)
        summary = []
        carryover: str | None = None
        for year in ty.report_years():
            if year not in year_to_count:
                Form8949Files(folder, year).close()
            sd = ty.years[year]
            write_json(folder / str(year) / "schedule_d.json", reports.schedule_d_json(sd))
            write_json(folder / str(year) / "income.json", reports.income_rows_json(year_to_income.get(year, []), year))
            glance = glance_of(streamed, ty, sums, year)
            charts = draw(glance, carryover=carryover)  # one carryover chart: every page has the same chain
            carryover = charts["carryover"]
            if collect is not None:
                collect.page(year, glance, charts)
            (folder / str(year) / PAGE).write_text(page(glance, seq=streamed.seq, charts=charts), encoding="utf-8")
            summary.append(YearSummary(year=year, rows=year_to_count.get(year, 0), schedule_d=sd))
        store, seq = streamed.store, streamed.seq
        tags = {t.name: f"{t.seq}:{store.hash_at(t.seq)}" for t in store.tags() if t.seq <= seq}
        if collect is not None:
            collect.keep(year_boxes=year_boxes, year_rows=year_to_count, year_missing=year_to_missing, sums=sums,
                         income=list(income))
        return Written(out=folder, seq=seq, head=store.hash_at(seq), tags=tags, summary=summary,
                       missing=year_to_missing)

