"""`report all` from a checkpoint, and the checkpoint a large `report all` leaves (issue #19).

`write_incremental`: when a usable checkpoint's tail qualifies (`projections.report_checkpoint`),
the files of the years before its open year are the previous run's in DIR, reused (hard links,
else copies) after their SHA-256 is checked against the checkpoint's; the 8949 and income files
of the open year onward are written from the stored rows and the tail's; every year's
`schedule_d.json` and `report.html` are written again (each page names the seq and the carryover
chain of every year). Anything else: None, and the caller replays in full.

`Collected`: what a full `report all` gathers on the way for a checkpoint, saved after the files
are in place when the log has `AUTO_CHECKPOINT` events or more and no checkpoint is at that seq
yet (the cost: the engine's state encoded, the open year's rows kept, one write transaction; see
docs/concepts.md "Checkpoints").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .report_files import MissingBasis

if TYPE_CHECKING:
    from ..ledger.store import Store
    from ..projections.form8949 import Row
    from ..projections.glance import Holding, RowSums
    from ..projections.model import IncomeRow
    from ..projections.report_checkpoint import Tail
    from ..projections.tax_year import YearBoxes
    from .reading import Streamed
    from .reports import Written

AUTO_CHECKPOINT = 50_000  # events: a full `report all` of a log this long saves a checkpoint at its seq


def wanted(store: Store, seq: int) -> bool:
    """Whether a full `report all` as of `seq` should leave a checkpoint: a large log, none there yet."""
    from ..ledger import checkpoints as saved

    if seq < AUTO_CHECKPOINT:
        return False
    return not any(c.seq == seq for c in saved.usable(store, at_or_before=seq, version=saved.code_version()))


@dataclass
class Collected:
    """What a full `report all` keeps for its checkpoint (`projections.report_checkpoint.ReportPart`)."""

    streamed: Streamed | None = None
    open_year: int | None = None
    horizon: str = ""
    open_rows: list[Row] = field(default_factory=list)
    holdings: dict[int, tuple[Holding, ...]] = field(default_factory=dict)
    charts: dict[int, bytes] = field(default_factory=dict)  # year -> its page's charts but the carryover's
    kept: dict[str, Any] | None = None  # `keep`'s arguments

    def start(self, streamed: Streamed) -> None:
        from ..projections import checkpoint as cp
        from ..projections.report_checkpoint import open_year_of

        horizon = cp.last_trade(streamed.replay.log)
        self.streamed, self.horizon = streamed, cp.horizon_text(horizon)
        self.open_year = open_year_of(horizon, streamed.store.timezone)

    def page(self, year: int, holdings: tuple[Holding, ...], charts: dict[str, str]) -> None:
        """A year's page was written: keep its holdings and charts (those of a year before the open
        year are the same after any tail that a checkpoint serves)."""
        self.holdings[year] = holdings
        if self.open_year is not None and year < self.open_year:
            self.charts[year] = _packed(charts)

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
        """`save` with what `keep` kept, the manifest's digests and the files' stats in `out`."""
        return self.kept is not None and self.save(digests=digests, stats=_stats(out, digests), **self.kept)

    def save(
        self, *, digests: dict[str, str], year_boxes: YearBoxes, year_rows: dict[int, int],
        year_missing: dict[int, MissingBasis], sums: RowSums, income: list[IncomeRow],
        stats: dict[str, tuple[int, int, int]] | None = None,
    ) -> bool:
        """Save the checkpoint (False when the file refused the write, or nothing to keep)."""
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
            problems=run.problems, charts=self.charts, stats=stats or {},
        )
        return saved.save(store, streamed.seq, digest, saved.code_version(), self.horizon, engine,
                          [(YEARS, years), (REPORT, report)], keep=cp.KEEP)


def tail_from_checkpoint(store: Store, seq: int) -> Tail | None:
    """`report_checkpoint.report_after` of the newest usable checkpoint at or before `seq` that
    serves, None when none does."""
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
        result = report_after(engine, totals, report, cp.parse_horizon(candidate.horizon), tail, tz=store.timezone)
        if result is not None:
            return result
    return None


def form8949_rows(
    db: Path, year: int, *, as_of: str | None, strict: bool
) -> tuple[list[Row], str, list[str]] | None:
    """`report 8949`'s rows of `year` (cents) from a checkpoint `report all` left, when it serves
    and `year` is its open year or later: the rows, why the year is empty ("" when it may hold an
    event) and the unpaired transfer legs' warnings; None to replay. It runs the drift check
    (`open_ledger`) either way: the caller's replay need not."""
    from ..ledger.speed import gc_paused
    from .reading import open_ledger

    with open_ledger(db, strict=strict) as store, gc_paused():
        result = tail_from_checkpoint(store, store.resolve(as_of))
        if result is None or year < result.open_year:
            return None
        rows = [r for r in result.rows if r.date_sold.year == year]
        return rows, result.facts.empty_year(year, store.timezone), list(result.part.legs)


def write_incremental(
    db: Path, target: Path, work: Path, *, as_of: str | None, strict: bool
) -> tuple[Written, dict[str, str]] | None:
    """`report all`'s files into `work` from a checkpoint and the previous run's files in `target`
    (module docstring): what was written and the digests of the reused files; None to replay. It
    runs the drift check (`open_ledger`) either way: the caller's replay need not."""
    from ..ledger.speed import gc_paused
    from .reading import open_ledger

    with open_ledger(db, strict=strict) as store, gc_paused():
        if not target.is_dir():
            return None
        seq = store.resolve(as_of)
        result = tail_from_checkpoint(store, seq)
        return None if result is None else _write(store, seq, result, target, work)


def _write(store: Store, seq: int, result: Tail, target: Path, work: Path) -> tuple[Written, dict[str, str]] | None:
    """The files of `result` (a `report_checkpoint.Tail`) into `work`; None when a reused file is
    missing or not the checkpoint's bytes (the caller replays into a fresh folder)."""
    from datetime import date

    from ..projections import reports
    from ..projections.glance import glance_held
    from ..projections.report_checkpoint import KEPT
    from .lots import end_of_day
    from .report_files import Form8949Files, write_json
    from .reports import Written, YearSummary
    from .year_html import PAGE, draw, page

    tz, ty, part = store.timezone, result.years, result.part
    known: dict[str, str] = {}
    year_to_rows: dict[int, list[Row]] = {}
    for row in result.rows:
        year_to_rows.setdefault(row.date_sold.year, []).append(row)
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
        if year < result.open_year:
            folder.mkdir(parents=True, exist_ok=True)
            for name in KEPT:
                key = f"{year}/{name}"
                if not _reuse(target / key, folder / name, part.files.get(key), part.stats.get(key)):
                    return None
                known[key] = part.files[key]
            count = part.year_rows.get(year, 0)
            if year in part.year_missing:
                missing[year] = MissingBasis()
                missing[year].count, missing[year].rows = count, part.year_missing[year]
        else:
            files = Form8949Files(work, year)
            year_rows = year_to_rows.get(year, [])
            if year_rows:
                missing[year] = MissingBasis()
            for i in range(0, len(year_rows), 4096):
                chunk = year_rows[i:i + 4096]
                missing[year].add(chunk)
                files.add(chunk)
            count = files.close()
            write_json(folder / "income.json", reports.income_rows_json(year_to_income.get(year, []), year))
        sd = ty.years[year]
        write_json(folder / "schedule_d.json", reports.schedule_d_json(sd))
        glance = glance_held(year, ty, result.sums, held)
        kept = _unpacked(part.charts[year]) if year < result.open_year and year in part.charts else None
        if kept is not None:
            charts = {"carryover": carryover if carryover is not None else draw(glance, only="carryover")["carryover"],
                      **kept}
        else:
            charts = draw(glance, carryover=carryover)
        carryover = charts["carryover"]
        (folder / PAGE).write_text(page(glance, seq=seq, charts=charts), encoding="utf-8")
        summary.append(YearSummary(year=year, rows=count, schedule_d=sd))
    tags = {t.name: f"{t.seq}:{store.hash_at(t.seq)}" for t in store.tags() if t.seq <= seq}
    written = Written(out=work, seq=seq, head=store.hash_at(seq), tags=tags, summary=summary, missing=missing)
    return written, known


PACKED = ("months", "proceeds", "lots")  # the charts a checkpoint keeps per year (zlib)


def _packed(charts: dict[str, str]) -> bytes:
    """The `PACKED` charts as one compressed blob."""
    import zlib

    return zlib.compress("\0".join(charts[name] for name in PACKED).encode(), 6)


def _unpacked(blob: bytes) -> dict[str, str] | None:
    """`_packed`'s charts (None when the blob is not one)."""
    import zlib

    try:
        parts = zlib.decompress(blob).decode().split("\0")
    except (zlib.error, UnicodeDecodeError):
        return None
    return dict(zip(PACKED, parts, strict=True)) if len(parts) == len(PACKED) else None


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


def _reuse(source: Path, dest: Path, digest: str | None, stat: tuple[int, int, int] | None) -> bool:
    """Link (else copy) `source` to `dest` when it still has the size, modification time and inode
    `stat` it was written with (as `make` and `rsync` decide), else when its SHA-256 is `digest`."""
    import hashlib
    import os
    import shutil

    if digest is None or not source.is_file():
        return False
    st = source.stat()
    if stat is None or (st.st_size, st.st_mtime_ns, st.st_ino) != tuple(stat):
        sha = hashlib.sha256()
        with source.open("rb") as f:
            while chunk := f.read(1 << 20):
                sha.update(chunk)
        if sha.hexdigest() != digest:
            return False
    try:
        os.link(source, dest)
    except OSError:
        shutil.copyfile(source, dest)
    return True
