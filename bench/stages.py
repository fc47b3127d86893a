"""CPU seconds of each stage of `report all`'s replay, in one process (issue #19: where the time goes).

    .venv/bin/python bench/stages.py LEDGER.db

Stages, each timed with `time.process_time` as the one before it ends: reading and decoding the
log (`Store.iter_read`, read once on its own), the replay up to the end of the lot engine's fold
(reading again, knowledge, fold, `finish`), the wash-sale pass (the washed slices read to the end;
with its stock rows and rows coded W, which its cost follows: docs/limitations.md),
the 8949 rows (`form8949.row_chunks`) with the year totals (`glance.RowSums.add` with `tax_year.add_rows`' totals),
and the 8949 writers (CSV and JSON into a temporary folder). The report pages, Schedule D and
income files, a fixed cost per year, are left out. The ledger is only read.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from gainlog.api.report_files import Form8949Files
from gainlog.ledger.speed import gc_paused
from gainlog.ledger.store import Store
from gainlog.projections import form8949
from gainlog.projections.glance import RowSums
from gainlog.projections.pipeline import replay
from gainlog.projections.rules.form_box import wallet_reports
from gainlog.projections.tax_year import YearBoxes


def main(db: Path) -> None:
    clock = time.process_time
    with gc_paused(), Store.open(db) as store, tempfile.TemporaryDirectory() as tmp:
        seq = store.last_seq()
        targets = store.retract_targets(until=seq)
        started = clock()
        count = sum(1 for _ in store.iter_read(until=seq))
        read = clock() - started
        started = clock()
        run = replay(store.iter_read(until=seq), tz=store.timezone, until_seq=seq, targets=targets, year_ends=True)
        folded = clock() - started
        started = clock()
        slices = list(run.slices)
        washed = clock() - started
        started = clock()
        chunks = list(form8949.row_chunks(slices, wallet_reports(run.log)))
        boxes: YearBoxes = {}
        sums = RowSums()
        for rows in chunks:
            sums.add(rows, boxes)
        made = clock() - started
        started = clock()
        files: Form8949Files | None = None
        for rows in chunks:
            if files is None or files.year != rows[0].year:
                if files is not None:
                    files.close()
                files = Form8949Files(Path(tmp), rows[0].year)
            files.add(rows)
        if files is not None:
            files.close()
        written = clock() - started
    rows_count = sum(len(c) for c in chunks)
    stock = sum(1 for s in slices if s.asset_class == "stock")
    washes = sum(1 for s in slices if "W" in s.code)
    print(f"{count:,} events, {len(slices):,} slices, {rows_count:,} rows (CPU seconds)")
    print(f"read and decode            {read:7.3f}")
    print(f"knowledge, lot engine fold {folded - read:7.3f}  (replay to `finish`: {folded:.2f}, reading included)")
    print(f"wash-sale pass             {washed:7.3f}  ({stock:,} stock rows, {washes:,} with W: its cost follows them)")
    print(f"8949 rows and year totals  {made:7.3f}")
    print(f"8949 CSV and JSON writers  {written:7.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
