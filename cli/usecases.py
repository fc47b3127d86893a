"""Use cases the reporting commands share: open the ledger, replay it as of a knowledge point.

`load(db, as_of)` is what `report`, `diff` and `explain` do first (CONTRACT §1 `--as-of`: only what
had been recorded at K counts; what is known applies by event time). Heavy modules are imported
inside the functions so that importing a command module stays cheap. `gc_paused()` keeps the cyclic
garbage collector out of a replay: the replay allocates millions of objects that form no cycles, and
the collector's repeated full passes over them cost about a tenth of the time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.events import Recorded
    from ledger.store import Store
    from projections.model import Booked, IncomeRow
    from projections.pipeline import Replay
    from projections.tax_year import ScheduleD, TaxYears


@dataclass(frozen=True)
class Loaded:
    """A ledger replayed as of one knowledge point.

    Attributes:
        store: the open store.
        seq: the knowledge point as a seq (the head when no --as-of).
        records: the log up to `seq`, retractions included.
        booked: the projection of that log.
    """

    store: Store
    seq: int
    records: Sequence[Recorded]
    booked: Booked

    def tax_years(self, *, through: int | None = None) -> TaxYears:
        """Every year's 8949 rows and Schedule D from this one replay."""
        from projections.tax_year import tax_years

        with gc_paused():
            return tax_years(self.booked, self.records, tz=self.store.timezone, through=through)


def skip_drift_check() -> None:
    """No "changed since the last verify" check in this command (`verify` itself is the full one)."""
    from cli.app import State

    State.drift_checked = True


def open_store(db_path: Path) -> Store:
    """`Store.open`, plus the cheap check that the log has not changed since the last full `verify`
    (issue #18, `ledger.integrity.since_verify`), once per command: a warning on stderr, or with the
    global `--strict` an IntegrityViolation (exit 4). A ledger never verified (made before issue #18
    and never checked since) gets no warning, but `--strict` refuses it."""
    import sys

    from cli.app import State
    from ledger import integrity
    from ledger.errors import IntegrityViolation
    from ledger.store import Store

    store = Store.open(db_path)
    if State.drift_checked:
        return store
    State.drift_checked = True
    drift = integrity.since_verify(store)
    message = None
    if drift.change is not None:
        message = f"the log changed since the last verify ({drift.change}): run `gainlog verify`"
    elif not drift.verified and State.strict:
        message = "the log was never verified: run `gainlog verify` once (--strict needs a verified log)"
    if message is not None:
        if State.strict:
            store.close()
            raise IntegrityViolation(message)
        print(f"gainlog: warning: {message}", file=sys.stderr)
    return store


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block (as it was before, after it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


LARGE_LOG = 50_000  # events: from here on a replay takes seconds, and a terminal gets a spinner


@contextmanager
def _working(what: str, *, large: bool) -> Iterator[None]:
    """A spinner on stderr while a long replay runs, only when stderr is a terminal."""
    import sys

    if not (large and sys.stderr.isatty()):
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(what):
        yield


def load(db_path: Path, as_of: str | None, *, option: str = "--as-of") -> Loaded:
    """Open the ledger at `db_path` and replay it as of `as_of` (seq, tag, @time or None = head);
    `option` names the command-line option it came from, for messages."""
    from projections.pipeline import project

    store = open_store(db_path)
    seq = store.resolve(as_of, option=option)
    with gc_paused(), _working(f"Replaying {seq:,} events", large=seq >= LARGE_LOG):
        records = store.read(until=seq)
        booked = project(records, tz=store.timezone, until_seq=seq)
    return Loaded(store=store, seq=seq, records=records, booked=booked)


@dataclass(frozen=True)
class Streamed:
    """A ledger replayed once as of one knowledge point, for reports that write rows as they come.

    Attributes:
        store: the open store.
        seq: the knowledge point as a seq.
        replay: the projection, its slices as a stream (`projections.pipeline.Replay`).
    """

    store: Store
    seq: int
    replay: Replay


def stream(db_path: Path, as_of: str | None, *, option: str = "--as-of") -> Streamed:
    """`load` for `report all` and `report 8949` (issue #7): the same projection, but the log is read
    straight from the store into the fold and never held whole (`projections.pipeline.replay`): a
    million-event log takes about 0.85 GB instead of 3 GB.

    It never uses a checkpoint (a cache: the result is the same). Restoring one needs the whole log
    and the saved slices in memory next to each other, and saves `report all` little, since the
    wash-sale pass and the rows of every year are full passes anyway: on the benchmark's 1M-event
    log, 28 s and 2.85 GB through the checkpoint against about 30 s and 0.85 GB streamed."""
    from projections.pipeline import replay

    store = open_store(db_path)
    seq = store.resolve(as_of, option=option)
    with gc_paused(), _working(f"Replaying {seq:,} events", large=seq >= LARGE_LOG):
        targets = store.retract_targets(until=seq)
        projected = replay(store.iter_read(until=seq), tz=store.timezone, until_seq=seq, targets=targets)
    return Streamed(store=store, seq=seq, replay=projected)


def income(db_path: Path, as_of: str | None) -> list[IncomeRow]:
    """The income rows as of `as_of` (R7.1): read from the log's `income` and `retract` events
    alone, without the lot engine's fold (`lots_engine.income_rows`)."""
    from projections.knowledge import live
    from projections.lots_engine import income_rows

    with open_store(db_path) as store:
        seq = store.resolve(as_of)
        known = live(store.iter_read(until=seq, types=("income", "retract")), until_seq=seq)
        return income_rows(known, tz=store.timezone)


def empty_year(db_path: Path, as_of: str | None, year: int) -> str:
    """Why no event can fall in `year` as of `as_of` (`Facts.empty_year`), "" when one may: the log
    streams through the year facts (retracted events count too: they still span the years)."""
    from ledger.store import Store
    from projections.tax_year import Facts

    with Store.open(db_path) as store:
        facts = Facts()
        facts.add(store.iter_read(until=store.resolve(as_of)))
        return facts.empty_year(year, store.timezone)


def save_checkpoint(db_path: Path) -> int | None:
    """Replay the log once (streamed) and save a checkpoint at its head: the lot engine's state and
    every year's Schedule D totals (docs/concepts.md "Checkpoints"); the seq it covers (None for an
    empty log). A file that refuses the write (read-only, locked) is a `GainlogError`."""
    from ledger import checkpoints as saved
    from ledger.errors import GainlogError
    from projections import checkpoint as cp
    from projections.pipeline import replay
    from projections.year_checkpoint import YEARS, years_part

    store = open_store(db_path)
    with store, gc_paused():
        seq = store.last_seq()
        digest = saved.hash_at(store, seq)
        if digest is None:
            return None  # an empty log: nothing to keep
        with _working(f"Replaying {seq:,} events", large=seq >= LARGE_LOG):
            run = replay(store.iter_read(until=seq), tz=store.timezone, until_seq=seq,
                         targets=store.retract_targets(until=seq), freeze=True)
            assert run.engine is not None
            totals = years_part(
                run.slices, run.log, step_problems=run.fold_problems, late_corrections=run.late_corrections,
                tz=store.timezone,
            )
        horizon = cp.horizon_text(cp.last_trade(run.log))
        if not saved.save(store, seq, digest, saved.code_version(), horizon, run.engine, [(YEARS, totals)],
                          keep=cp.KEEP):
            raise GainlogError(f"cannot write a checkpoint into {db_path} (read-only, or locked by another writer)")
        return seq


def schedule_d(db_path: Path, as_of: str | None, year: int) -> ScheduleD:
    """One year's Schedule D as of `as_of`: from a checkpoint's stored totals and the events after it,
    the newest checkpoint whose tail qualifies (projections.year_checkpoint: no replay of the log),
    else by a streamed replay."""
    from ledger import checkpoints as saved
    from projections import checkpoint as cp
    from projections.year_checkpoint import YEARS, schedule_d_after

    with open_store(db_path) as store:
        seq = store.resolve(as_of)
        for candidate in saved.usable(store, at_or_before=seq, version=saved.code_version()):  # newest first
            engine, totals = saved.part(store, candidate, cp.STATE), saved.part(store, candidate, YEARS)
            if engine is None or totals is None:
                continue
            tail = store.read(after=candidate.seq, until=seq)
            sd = schedule_d_after(
                engine, totals, cp.parse_horizon(candidate.horizon), tail, tz=store.timezone, year=year
            )
            if sd is not None:
                return sd
    return _streamed_schedule_d(db_path, as_of, year)


def _streamed_schedule_d(db_path: Path, as_of: str | None, year: int) -> ScheduleD:
    """One year's Schedule D by a streamed replay: the rows of the years up to `year` added up a
    chunk at a time (the carryover chain never looks at later years)."""
    from itertools import takewhile

    from projections.rules.form_box import wallet_reports
    from projections.tax_year import slice_boxes, totalled

    with gc_paused():
        streamed = stream(db_path, as_of)
        replay = streamed.replay
        upto = takewhile(lambda s: s.date_sold.year <= year, replay.slices)  # slices come in 8949 order
        year_boxes = slice_boxes(upto, wallet_reports(replay.log))
        return totalled(year_boxes, replay.problems, replay.log, tz=streamed.store.timezone, through=year).years[year]
