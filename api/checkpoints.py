"""Checkpoints as a library: `checkpoint` (docs/concepts.md "Checkpoints").

A checkpoint is a cache, never the truth: the lot engine's state and every year's Schedule D
totals at one seq, which `api.reports.schedule_d` starts from to fold only the events after it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..ledger.store import Store
    from ..projections.pipeline import Replay
    from ..projections.tax_year import YearBoxes


def save_checkpoint(db: Path, *, strict: bool = False) -> int | None:
    """`checkpoint`: replay the log once (streamed) and save a checkpoint at its head; the seq it
    covers (None for an empty log). A file that refuses the write (read-only, locked) is a `GainlogError`.
    A readable checkpoint at the head already (one `report all` left, with its `report` part) is kept
    as it is: no replay."""
    from ..ledger import checkpoints as saved
    from ..ledger.errors import GainlogError
    from ..ledger.speed import gc_paused
    from ..projections import checkpoint as cp
    from ..projections.pipeline import replay
    from ..projections.rules.form_box import wallet_reports
    from ..projections.tax_year import slice_boxes
    from ..projections.year_checkpoint import YEARS
    from .progress import LARGE_LOG, working
    from .reading import open_ledger

    store = open_ledger(db, strict=strict)
    with store, gc_paused():
        seq = store.last_seq()
        digest = saved.hash_at(store, seq)
        if digest is None:
            return None  # an empty log: nothing to keep
        for made in saved.usable(store, at_or_before=seq, version=saved.code_version()):
            if made.seq == seq and all(saved.part(store, made, name) is not None for name in (cp.STATE, YEARS)):
                return seq  # already there (and `report all`'s part kept)
        with working(f"Replaying {seq:,} events", large=seq >= LARGE_LOG):
            run = replay(store.iter_read(until=seq), tz=store.timezone, until_seq=seq,
                         targets=store.retract_targets(until=seq), freeze=True)
            year_boxes = slice_boxes(run.slices, wallet_reports(run.log))
        if not save_replayed(store, seq, run, year_boxes):
            raise GainlogError(f"cannot write a checkpoint into {db} (read-only, or locked by another writer)")
        return seq


def save_replayed(store: Store, seq: int, run: Replay, year_boxes: YearBoxes) -> bool:
    """Save the checkpoint `checkpoint` saves at `seq` (the engine state and the `years` part), from a
    replay as of `seq` made with `freeze` and its rows' totals (`tax_year.slice_boxes` of all its
    slices); False when the file refused the write (read-only, locked). It prunes to the newest, but
    keeps the newest one with `report all`'s part, which it cannot replace."""
    from ..ledger import checkpoints as saved
    from ..projections import checkpoint as cp
    from ..projections.report_checkpoint import REPORT
    from ..projections.year_checkpoint import YEARS, years_part_of

    digest, version = saved.hash_at(store, seq), saved.code_version()
    if digest is None or run.engine is None:
        return False
    totals = years_part_of(year_boxes, run.log, step_problems=run.fold_problems,
                           late_corrections=run.late_corrections, tz=store.timezone)
    horizon = cp.horizon_text(cp.last_trade(run.log))
    reported = next((c.seq for c in saved.usable(store, at_or_before=seq, version=version)
                     if saved.has_part(store, c, REPORT)), None)
    return saved.save(store, seq, digest, version, horizon, run.engine, [(YEARS, totals)], keep=cp.KEEP,
                      also=reported)


def clear_checkpoints(db: Path) -> int:
    """`checkpoint --clear`: drop every saved checkpoint; how many there were."""
    from ..ledger import checkpoints
    from ..ledger.store import Store

    with Store.open(db) as store:
        return checkpoints.clear(store)
