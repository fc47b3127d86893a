"""`report all` from a checkpoint, and the checkpoint a large `report all` leaves (issue #19).

`write_incremental`: when a usable checkpoint's tail qualifies (`projections.report_checkpoint`),
the 8949 and income files of the years before its open year, and of any later year the tail adds
no row to, are the previous run's in DIR, reused (hard links, else copies) after their size,
modification time and inode, else their SHA-256, are checked against the checkpoint's; the other
8949 and income files are written from the stored rows and the tail's; every year's
`schedule_d.json` and `report.html` are written again (each page names the seq and the carryover
chain of every year). Anything else: None, and the caller replays in full. When the tail was not
empty, `Collected.save_now` then saves a checkpoint at the tail's end (`Continued`): the engine
state the tail left, the totals, and the report part with the digests of the files just written,
so the next append folds only what came after it (the cost: the parts encoded, mostly the open
year's rows, whose stored chunks are copied as they are, and one write transaction).

`Collected`: what a full `report all` gathers on the way for a checkpoint, saved after the files
are in place when the log has `AUTO_CHECKPOINT` events or more and no checkpoint is at that seq
yet (the cost: the engine's state encoded, the open year's rows kept, one write transaction; see
docs/concepts.md "Checkpoints").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from .report_files import MissingBasis

if TYPE_CHECKING:
    from collections.abc import Callable
    from zoneinfo import ZoneInfo

    from ..ledger.store import Store
    from ..projections.form8949 import Row
    from ..projections.glance import Glance, Holding, RowSums
    from ..projections.model import IncomeRow
    from ..projections.report_checkpoint import ReportPart, Tail
    from ..projections.tax_year import ScheduleD, YearBoxes
    from .reading import Streamed
    from .reports import Income, Written

AUTO_CHECKPOINT = 50_000  # events: a full `report all` of a log this long saves a checkpoint at its seq


def wanted(store: Store, seq: int) -> bool:
    """Whether a full `report all` as of `seq` should leave a checkpoint: a large log, and none there
    yet with the `report` part (`gainlog checkpoint` saves one without it, which this one replaces:
    else the next append could serve `report schedule-d` but not `report all` or `report 8949`)."""
    from ..ledger import checkpoints as saved
    from ..projections.report_checkpoint import REPORT

    if seq < AUTO_CHECKPOINT:
        return False
    return not any(c.seq == seq and saved.has_part(store, c, REPORT)
                   for c in saved.usable(store, at_or_before=seq, version=saved.code_version()))


class Collected(msgspec.Struct):
    """What a full `report all` keeps for its checkpoint (`projections.report_checkpoint.ReportPart`)."""

    streamed: Streamed | None = None
    open_year: int | None = None
    horizon: str = ""
    open_rows: list[Row] = msgspec.field(default_factory=list)
    holdings: dict[int, tuple[Holding, ...]] = msgspec.field(default_factory=dict)
    charts: dict[int, bytes] = msgspec.field(default_factory=dict)  # year -> its page's charts, their keys (`_packed`)
    kept: dict[str, Any] | None = None  # `keep`'s arguments
    continued: Continued | None = None  # served from a checkpoint: what a checkpoint at its seq keeps

    def start(self, streamed: Streamed) -> None:
        from ..projections import checkpoint as cp
        from ..projections.report_checkpoint import open_year_of

        horizon = cp.last_trade(streamed.replay.log)
        self.streamed, self.horizon = streamed, cp.horizon_text(horizon)
        self.open_year = open_year_of(horizon, streamed.store.timezone)

    def page(self, year: int, glance: Glance, charts: dict[str, str]) -> None:
        """A year's page was written: keep its holdings, and its charts with what each is drawn from
        (a run from this checkpoint redraws only those whose inputs changed)."""
        self.holdings[year] = glance.holdings
        self.charts[year] = _packed(charts, _chart_keys(glance))

    def rows(self, rows: list[Row]) -> None:
        if rows and rows[0].date_sold.year == self.open_year:
            self.open_rows.extend(rows)

    def keep(
        self, *, year_boxes: YearBoxes, year_rows: dict[int, int], year_missing: dict[int, MissingBasis],
        sums: RowSums, income: list[IncomeRow],
    ) -> None:
        """What the files' writer knows once every year is written (`save_now` saves it with the digests)."""
        self.kept = {"year_boxes": year_boxes, "year_rows": year_rows, "year_missing": year_missing, "sums": sums,
                     "income": income}

    def save_now(self, digests: dict[str, str], out: Path) -> bool:
        """`save` with what `keep` kept (or `Continued.save`), the manifest's digests and the files'
        stats in `out`; False when there is nothing to save."""
        if self.continued is not None:
            return self.continued.save(digests, _stats(out, digests), out)
        return self.kept is not None and self.save(digests=digests, stats=_stats(out, digests), out=out, **self.kept)

    def save(
        self, *, digests: dict[str, str], year_boxes: YearBoxes, year_rows: dict[int, int],
        year_missing: dict[int, MissingBasis], sums: RowSums, income: list[IncomeRow],
        stats: dict[str, tuple[int, int, int]] | None = None, out: Path | None = None,
    ) -> bool:
        """Save the checkpoint (False when the file refused the write, or nothing to keep); `out`:
        the folder the files are in."""
        from ..ledger import checkpoints as saved
        from ..projections import checkpoint as cp
        from ..projections.report_checkpoint import REPORT, report_part
        from ..projections.year_checkpoint import YEARS, years_part_of
        from .year_html import _lots_at_end

        streamed = self.streamed
        engine = None if streamed is None else streamed.replay.engine
        if streamed is None or self.open_year is None or engine is None:
            return False
        store, run, tz = streamed.store, streamed.replay, streamed.store.timezone
        digest = saved.hash_at(store, streamed.seq)
        if digest is None:
            return False
        years = years_part_of(year_boxes, run.log, step_problems=run.fold_problems,
                              late_corrections=run.late_corrections, tz=tz)
        report = report_part(
            open_year=self.open_year, open_rows=self.open_rows, income=income, files=digests,
            year_rows=year_rows, year_missing={y: m.rows for y, m in year_missing.items()}, sums=sums,
            holdings=self.holdings, open_lots=_lots_at_end(run.year_end_lots, self.open_year), log=run.log,
            problems=run.problems, charts=self.charts, stats=stats or {}, out="" if out is None else str(out),
        )
        return saved.save(store, streamed.seq, digest, saved.code_version(), self.horizon, engine,
                          [(YEARS, years), (REPORT, report)], keep=cp.KEEP)


class Continued(msgspec.Struct):
    """What `write_incremental` knows for a checkpoint at its seq (`report_checkpoint.Tail.report_part`)."""

    db: Path
    seq: int
    tail: Tail
    year_rows: dict[int, int] = msgspec.field(default_factory=dict)
    year_missing: dict[int, list[int]] = msgspec.field(default_factory=dict)
    holdings: dict[int, tuple[Holding, ...]] = msgspec.field(default_factory=dict)
    charts: dict[int, bytes] = msgspec.field(default_factory=dict)

    def save(self, digests: dict[str, str], stats: dict[str, tuple[int, int, int]], out: Path) -> bool:
        """Save the checkpoint at `seq`, of the files in `out` (False when the file refused the write)."""
        import sqlite3

        from ..ledger import checkpoints as saved
        from ..ledger.errors import GainlogError
        from ..ledger.store import Store
        from ..projections import checkpoint as cp
        from ..projections.report_checkpoint import REPORT
        from ..projections.year_checkpoint import YEARS

        tail = self.tail
        report = tail.report_part(files=digests, stats=stats, year_rows=self.year_rows,
                                  year_missing=self.year_missing, holdings=self.holdings, charts=self.charts,
                                  out=str(out))
        try:
            store = Store.open(self.db)
        except (GainlogError, sqlite3.Error):
            return False  # the files are in place: a cache that cannot be written is simply not used
        with store:
            digest, version = saved.hash_at(store, self.seq), saved.code_version()
            oldest = min((c.seq for c in saved.usable(store, at_or_before=self.seq, version=version)), default=None)
            # kept: this one and the oldest (the earliest horizon: an append dated before this one's
            # can still start there); the ones between are dropped
            return digest is not None and saved.save(
                store, self.seq, digest, version, cp.horizon_text(tail.horizon), tail.engine,
                [(YEARS, tail.years_bytes()), (REPORT, report)], keep=1, also=oldest)


def tail_from_checkpoint(store: Store, seq: int, *, freeze: bool = True) -> tuple[Tail, int] | None:
    """`report_checkpoint.report_after` of the newest usable checkpoint at or before `seq` that
    serves (`freeze`: as there), with that checkpoint's seq; None when none does."""
    from ..ledger import checkpoints as saved
    from ..projections import checkpoint as cp
    from ..projections.report_checkpoint import PARTS, report_after

    for candidate in saved.usable(store, at_or_before=seq, version=saved.code_version()):  # newest first
        blobs = [saved.part(store, candidate, name) for name in PARTS]
        if any(b is None for b in blobs):
            continue
        engine, totals, report = blobs
        assert engine is not None and totals is not None and report is not None
        tail = store.read(after=candidate.seq, until=seq)
        result = report_after(engine, totals, report, cp.parse_horizon(candidate.horizon), tail, tz=store.timezone,
                              freeze=freeze)
        if result is not None:
            return result, candidate.seq
    return None


class _Served(msgspec.Struct, frozen=True):
    """A checkpoint's tail as of a knowledge point (`_served`)."""

    tail: Tail
    tz: ZoneInfo
    seq: int


def _served(db: Path, as_of: str | None, strict: bool, check: bool = True) -> _Served | None:
    """`tail_from_checkpoint` as of `as_of`, without the engine state for a new checkpoint (the
    single reports keep none), with the ledger's time zone and the seq `as_of` names; None to replay.
    It runs the drift check (`open_ledger`, unless not `check`) either way: the caller's replay need not."""
    from ..ledger.speed import gc_paused
    from .reading import open_ledger

    with open_ledger(db, strict=strict, check=check) as store, gc_paused():
        seq = store.resolve(as_of)
        served = tail_from_checkpoint(store, seq, freeze=False)
        return None if served is None else _Served(served[0], store.timezone, seq)


class Served8949(msgspec.Struct, frozen=True):
    """`report 8949` of one year from a checkpoint (`form8949_rows`).

    Attributes:
        rows: the year's rows (cents), decoded when called.
        empty: why the year is empty ("" when it may hold an event).
        legs: the unpaired transfer legs' warnings.
        json_file: when the year's rows begin with those of the `form8949.json` that `report all`
            wrote (the checkpoint's) and the file is still the one the checkpoint names: that file,
            whose rows `report 8949 --json` prints as they are, without decoding one; else None.
        json_more: with `json_file`, the tail's rows of the year, which follow the file's.
        csv_file: when the year's rows are those of the `form8949.csv` that `report all` wrote (the
            tail adds none to the year) and the file is still the checkpoint's: that file, which is
            `report 8949 --csv`'s text; else None.
        missing: with `csv_file`, the numbers of the year's rows with missing basis (R3.5).
    """

    rows: Callable[[], list[Row]]
    empty: str
    legs: list[str]
    json_file: Path | None = None
    json_more: list[Row] = msgspec.field(default_factory=list)
    csv_file: Path | None = None
    missing: list[int] = msgspec.field(default_factory=list)


def form8949_rows(db: Path, year: int, *, as_of: str | None, strict: bool) -> Served8949 | None:
    """`report 8949`'s rows of `year` from a checkpoint `report all` left, when it serves (`_served`);
    None to replay. A year from the open year on: the stored rows and the tail's; an earlier one:
    the year's `form8949.json` in the folder that `report all` wrote, when it is still the file the
    checkpoint names (its stats, else its SHA-256)."""
    served = _served(db, as_of, strict)
    return None if served is None else _year_rows(served.tail, served.tz, year)


def year_statement(
    db: Path, year: int, *, as_of: str | None, strict: bool, check: bool = True
) -> tuple[list[Row], ScheduleD] | None:
    """`export`'s, `reconcile`'s and `diff`'s year (`export.statement`, `audit.year_diff`): its 8949 rows,
    where `form8949_rows` serves them, and its Schedule D, from the same checkpoint and tail; None to
    replay. `check`: run the drift check."""
    served = _served(db, as_of, strict, check)
    if served is None:
        return None
    rows = _year_rows(served.tail, served.tz, year)
    sd = served.tail.years.years.get(year)
    return None if rows is None or sd is None else (rows.rows(), sd)


def _year_rows(result: Tail, tz: ZoneInfo, year: int) -> Served8949 | None:
    """`form8949_rows` of a checkpoint's tail."""
    from ..projections.report_checkpoint import rows_from_json

    part = result.part
    empty, legs = result.facts.empty_year(year, tz), list(part.legs)
    same = _same_file(part, year, "form8949.json")
    more = [r for r in result.new_rows if r.date_sold.year == year]  # they follow the stored ones
    csv_file = None if more else _same_file(part, year, "form8949.csv")
    missing = list(part.year_missing.get(year, [])) if csv_file is not None else []
    if year >= result.open_year:
        return Served8949(rows=lambda: result.rows_of(year), empty=empty, legs=legs, json_file=same, json_more=more,
                          csv_file=csv_file, missing=missing)
    if same is None:
        return None
    # the file the checkpoint names (its stats or its SHA-256): rows_from_json reads it back
    return Served8949(rows=lambda: rows_from_json(same.read_bytes()), empty=empty, legs=legs, json_file=same,
                      csv_file=csv_file, missing=missing)


def income_year(db: Path, year: int, *, as_of: str | None, strict: bool) -> Income | None:
    """`report income` of `year` from a checkpoint `report all` left, where `form8949_rows` serves
    (`_served`); None to replay. The rows of a year before the open year as the checkpoint stored
    them, of a later one the stored rows and the tail's; the warnings: the year's income events
    valued at 0 (`ReportPart.unpriced`), then the unpaired transfer legs (`ReportPart.legs`)."""
    from .reports import Income

    served = _served(db, as_of, strict)
    if served is None:
        return None
    result, tz = served.tail, served.tz
    rows = result.income_of(year)
    return Income(year=year, rows=rows, empty="" if rows else result.facts.empty_year(year, tz),
                  warnings=[*result.part.unpriced.get(year, ()), *result.part.legs])


def year_glance(db: Path, year: int, *, as_of: str | None, strict: bool) -> tuple[int, Glance] | None:
    """`report html`'s numbers of `year` from a checkpoint `report all` left, where `form8949_rows`
    serves (`_served`), with the seq the page is as of; None to replay. They are what a `report all`
    served from the same checkpoint draws that year's page from (`_write`): the tail's Schedule D of
    every year, the rows' sums and the year-end holdings (of a year before the open year, as the
    full run stored them; None for a year it did not write, or one outside the years it totals)."""
    from datetime import date

    from ..projections.glance import glance_held
    from .lots import end_of_day

    served = _served(db, as_of, strict)
    if served is None:
        return None
    result = served.tail
    if year not in result.years.years:
        return None
    held = result.holdings(year, end_of_day(date(year, 12, 31), served.tz))
    return None if held is None else (served.seq, glance_held(year, result.years, result.sums, held))


def serves(db: Path, *, as_of: str | None, strict: bool) -> bool:
    """Whether a checkpoint `report all` left serves the log as of `as_of` (`_served`). Such a log has
    no event of CONTRACT §4 "More events" (`donate`, `lost`, a split, ...): a checkpoint of one is never
    saved or restored (`projections.checkpoint`), and a tail with one does not qualify."""
    return _served(db, as_of, strict) is not None


def _same_file(part: ReportPart, year: int, name: str) -> Path | None:
    """The year's file `name` (`report_checkpoint.KEPT`) in the folder that `report all` wrote, when
    it is still the file the part names; None otherwise (a year it wrote no file for, or the folder
    moved or changed)."""
    key = f"{year}/{name}"
    path = Path(part.out) / key
    if not part.out or not _unchanged(path, part.files.get(key), part.stats.get(key)):
        return None
    return path


def write_incremental(
    db: Path, target: Path, work: Path, *, as_of: str | None, strict: bool, collect: Collected | None = None,
) -> tuple[Written, dict[str, str]] | None:
    """`report all`'s files into `work` from a checkpoint and the previous run's files in `target`
    (module docstring): what was written and the digests of the reused files; None to replay. It
    runs the drift check (`open_ledger`) either way: the caller's replay need not. `collect`: given
    what a checkpoint at `as_of` keeps (`Continued`) when the checkpoint was older."""
    from ..ledger.speed import gc_paused
    from .reading import open_ledger

    with open_ledger(db, strict=strict) as store, gc_paused():
        if not target.is_dir():
            return None
        seq = store.resolve(as_of)
        served = tail_from_checkpoint(store, seq)
        if served is None:
            return None
        continued = Continued(db, seq, served[0])
        written = _write(store, seq, served[0], target, work, continued)
        if written is not None and collect is not None and served[1] < seq:
            collect.continued = continued
        return written


def _write(
    store: Store, seq: int, result: Tail, target: Path, work: Path, keep: Continued,
) -> tuple[Written, dict[str, str]] | None:
    """The files of `result` (a `report_checkpoint.Tail`) into `work`, and into `keep` what a
    checkpoint at `seq` keeps of them; None when a reused file is missing or not the checkpoint's
    bytes (the caller replays into a fresh folder)."""
    from datetime import date

    from ..projections import reports
    from ..projections.glance import glance_held
    from ..projections.report_checkpoint import KEPT
    from .lots import end_of_day
    from .report_files import Form8949Files, write_json
    from .reports import Written, YearSummary
    from .year_html import CHARTS, PAGE, draw, page

    tz, ty, part = store.timezone, result.years, result.part
    known: dict[str, str] = {}

    def reuse(year: int, names: tuple[str, ...]) -> bool:
        """Link the previous run's files `names` of `year` into `work`, all or (False: one is not the
        checkpoint's) none."""
        keys = [f"{year}/{name}" for name in names]
        if not all(_unchanged(target / key, part.files.get(key), part.stats.get(key)) for key in keys):
            return False
        for key in keys:
            _link(target / key, work / key)
            known[key] = part.files[key]
        return True

    year_to_income: dict[int, list[IncomeRow]] = {}
    for income_row in result.income:
        year_to_income.setdefault(income_row.date.year, []).append(income_row)
    summary, missing = [], {}
    carryover: str | None = None
    for year in ty.report_years():
        folder = work / str(year)
        held = result.holdings(year, end_of_day(date(year, 12, 31), tz))
        if held is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        new_rows, new_income = (False, False) if year < result.open_year else result.changed(year)
        if year < result.open_year and not reuse(year, KEPT):
            return None
        if year < result.open_year or (not new_rows and year in part.year_rows and reuse(year, KEPT[:2])):
            count = part.year_rows.get(year, 0)
            if year in part.year_missing:
                missing[year] = MissingBasis()
                missing[year].count, missing[year].rows = count, part.year_missing[year]
        else:
            files = Form8949Files(work, year)
            year_rows = result.rows_of(year)
            if year_rows:
                missing[year] = MissingBasis()
            for i in range(0, len(year_rows), 4096):
                chunk = year_rows[i:i + 4096]
                missing[year].add(chunk)
                files.add(chunk)
            count = files.close()
        if year >= result.open_year and (new_income or not reuse(year, KEPT[2:])):
            write_json(folder / "income.json", reports.income_rows_json(year_to_income.get(year, []), year))
        keep.year_rows[year] = count
        if year in missing:
            keep.year_missing[year] = missing[year].rows
        sd = ty.years[year]
        write_json(folder / "schedule_d.json", reports.schedule_d_json(sd))
        glance = glance_held(year, ty, result.sums, held)
        keys = _chart_keys(glance)
        stored = _unpacked(part.charts[year]) if year in part.charts else {}
        charts = {}
        for name in CHARTS:  # a chart drawn from what its stored one was drawn from is that one
            if name == "carryover" and carryover is not None:
                charts[name] = carryover  # every page has the same chain
            elif name in stored and stored[name][0] == keys[name]:
                charts[name] = stored[name][1]
            else:
                charts[name] = draw(glance, only=name)[name]
        carryover = charts["carryover"]
        keep.holdings[year] = held
        keep.charts[year] = _packed(charts, keys)
        (folder / PAGE).write_text(page(glance, seq=seq, charts=charts), encoding="utf-8")
        summary.append(YearSummary(year=year, rows=count, schedule_d=sd))
    tags = {t.name: f"{t.seq}:{store.hash_at(t.seq)}" for t in store.tags() if t.seq <= seq}
    written = Written(out=work, seq=seq, head=store.hash_at(seq), tags=tags, summary=summary, missing=missing)
    return written, known


def _chart_keys(glance: Glance) -> dict[str, str]:
    """For each chart of a page (`year_html.CHARTS`), a digest of the values `year_html.draw` draws
    it from: equal keys, equal SVG."""
    import hashlib

    import msgspec

    inputs = {"carryover": glance.chain, "months": glance.months, "proceeds": glance.proceeds,
              "lots": (glance.holdings, glance.priced)}
    return {name: hashlib.sha256(msgspec.msgpack.encode(value)).hexdigest() for name, value in inputs.items()}


def _packed(charts: dict[str, str], keys: dict[str, str]) -> bytes:
    """A page's charts and their keys (`_chart_keys`) as one compressed blob."""
    import zlib

    from .year_html import CHARTS

    return zlib.compress("\0".join(f"{keys[name]}\0{charts[name]}" for name in CHARTS).encode(), 6)


def _unpacked(blob: bytes) -> dict[str, tuple[str, str]]:
    """`_packed`'s charts: name -> (key, SVG); empty when the blob is not one."""
    import zlib

    from .year_html import CHARTS

    try:
        parts = zlib.decompress(blob).decode().split("\0")
    except (zlib.error, UnicodeDecodeError):
        return {}
    if len(parts) != 2 * len(CHARTS):
        return {}
    return {name: (parts[2 * i], parts[2 * i + 1]) for i, name in enumerate(CHARTS)}


def _stats(out: Path, digests: dict[str, str]) -> dict[str, tuple[int, int, int]]:
    """`YEAR/name` -> (size, mtime in ns, inode) of each file of `digests` in `out`."""
    stats = {}
    for key in digests:
        try:
            st = (out / key).stat()
        except OSError:
            continue
        stats[key] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return stats


def _unchanged(source: Path, digest: str | None, stat: tuple[int, int, int] | None) -> bool:
    """Whether `source` is still the file the checkpoint saw: it has the size, modification time
    and inode `stat` it was written with (as `make` and `rsync` decide), else its SHA-256 is `digest`."""
    import hashlib

    if digest is None or not source.is_file():
        return False
    st = source.stat()
    if stat is not None and (st.st_size, st.st_mtime_ns, st.st_ino) == tuple(stat):
        return True
    sha = hashlib.sha256()
    with source.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest() == digest


def _link(source: Path, dest: Path) -> None:
    """`dest` as a hard link to `source`, else a copy (another file system)."""
    import os
    import shutil

    try:
        os.link(source, dest)
    except OSError:
        shutil.copyfile(source, dest)
