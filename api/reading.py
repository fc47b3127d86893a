"""Opening a ledger for reading, and replaying it as of a knowledge point (CONTRACT §1 `--as-of`).

Only what had been recorded at K counts; what is known applies by event time. `load(db, as_of)`
holds the whole log in memory (`demo`, and the tests' reference for the streamed paths); `stream`
(`report all`, `report 8949`, `report donations`), `api.audit` and `api.lots` give the same projection
with the log never held whole. Heavy modules are imported inside the functions so that
importing this module stays cheap. `ledger.speed.gc_paused()` keeps the cyclic garbage collector out of a
replay: the replay allocates millions of objects that form no cycles, and the collector's repeated
full passes over them cost about a tenth of the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from ..ledger.speed import gc_paused
from .progress import LARGE_LOG, working

if TYPE_CHECKING:
    from ..ledger.events import Event, Recorded
    from ..ledger.store import Store
    from ..projections.model import Booked
    from ..projections.pipeline import Replay
    from ..projections.tax_year import TaxYears

def drift_problem(store: Store, *, strict: bool) -> str | None:
    """What the cheap "changed since the last full verify" check (issue #18,
    `ledger.integrity.since_verify`) finds: None when nothing. A ledger never verified (made before
    issue #18 and never checked since) is a problem only when `strict`."""
    from ..ledger import integrity

    drift = integrity.since_verify(store)
    if drift.change is not None:
        return f"the log changed since the last verify ({drift.change}): run `gainlog verify`"
    if not drift.verified and strict:
        return "the log was never verified: run `gainlog verify` once (--strict needs a verified log)"
    return None


def open_ledger(db: Path, *, strict: bool = False, check: bool = True) -> Store:
    """`Store.open(db)`, plus (when `check`) the drift check: a problem is a warning on stderr
    (`gainlog: warning: ...`), or with `strict` an `IntegrityViolation` (the CLI's exit 4)."""
    import sys

    from ..ledger.errors import IntegrityViolation
    from ..ledger.store import Store

    store = Store.open(db)
    if not check:
        return store
    message = drift_problem(store, strict=strict)
    if message is not None:
        if strict:
            store.close()
            raise IntegrityViolation(message)
        print(f"gainlog: warning: {message}", file=sys.stderr)
    return store


class Loaded(msgspec.Struct, frozen=True):
    """A ledger replayed as of one knowledge point.

    Attributes:
        store: the open store.
        seq: the knowledge point as a seq (the head when no `as_of`).
        records: the log up to `seq`, retractions included.
        booked: the projection of that log.
    """

    store: Store
    seq: int
    records: Sequence[Recorded]
    booked: Booked

    def tax_years(self, *, through: int | None = None) -> TaxYears:
        """Every year's 8949 rows and Schedule D from this one replay."""
        from ..projections.tax_year import tax_years

        with gc_paused():
            return tax_years(self.booked, self.records, tz=self.store.timezone, through=through)


def load(
    db: Path, as_of: str | None = None, *, strict: bool = False, check: bool = True, option: str = "--as-of"
) -> Loaded:
    """Open the ledger at `db` (`open_ledger`) and replay it as of `as_of` (seq, tag, @time or None =
    the head); `option` names where `as_of` came from, for messages."""
    from ..projections.pipeline import project

    store = open_ledger(db, strict=strict, check=check)
    seq = store.resolve(as_of, option=option)
    with gc_paused(), working(f"Replaying {seq:,} events", large=seq >= LARGE_LOG):
        records = store.read(until=seq)
        booked = project(records, tz=store.timezone, until_seq=seq)
    return Loaded(store=store, seq=seq, records=records, booked=booked)


class Streamed(msgspec.Struct, frozen=True):
    """A ledger replayed once as of one knowledge point, for reports that write rows as they come.

    Attributes:
        store: the open store.
        seq: the knowledge point as a seq.
        replay: the projection, its slices as a stream (`projections.pipeline.Replay`).
    """

    store: Store
    seq: int
    replay: Replay


def stream(
    db: Path, as_of: str | None = None, *, strict: bool = False, check: bool = True, option: str = "--as-of",
    year_ends: bool = False, freeze: bool = False,
) -> Streamed:
    """`load` for `report all` and `report 8949` (issue #7): the same projection, but the log is read
    straight from the store into the fold and never held whole (`projections.pipeline.replay`): a
    million-event log takes about 0.85 GB instead of 3 GB.

    It never uses a checkpoint (a cache: the result is the same). Restoring one needs the whole log
    and the saved slices in memory next to each other, and saves `report all` little, since the
    wash-sale pass and the rows of every year are full passes anyway: on the benchmark's 1M-event
    log, 28 s and 2.85 GB through the checkpoint against about 30 s and 0.85 GB streamed.
    `year_ends`: also note each year's open lots at its end (`Replay.year_end_lots`, `report html`).
    `freeze`: keep the engine's state for a checkpoint (`Replay.engine`, `report all` of a large log)."""
    from ..projections.pipeline import replay

    store = open_ledger(db, strict=strict, check=check)
    seq = store.resolve(as_of, option=option)
    with gc_paused(), working(f"Replaying {seq:,} events", large=seq >= LARGE_LOG):
        targets = store.retract_targets(until=seq)
        projected = replay(store.iter_read(until=seq, trail=False), tz=store.timezone, until_seq=seq,
                           targets=targets, year_ends=year_ends, freeze=freeze)
    return Streamed(store=store, seq=seq, replay=projected)


def recorded_after(store: Store, seq: int, keyed: Sequence[tuple[str, Event]], *, source: str) -> list[Recorded]:
    """Events `keyed` (key, event) as if recorded now after seq `seq` of the log, as one batch (in
    memory only: a fork of the log, `whatif` and `harvest`)."""
    from datetime import UTC, datetime

    from ..ledger.events import Recorded

    last = next(store.iter_read(after=seq - 1, until=seq), None) if seq else None
    batch = (last.batch if last else 0) + 1
    now = max(datetime.now(UTC), last.recorded_at) if last else datetime.now(UTC)
    return [Recorded(seq=seq + i, key=key, source=source, batch=batch, recorded_at=now, event=event)
            for i, (key, event) in enumerate(keyed, 1)]


def empty_year(db: Path, year: int, *, as_of: str | None = None) -> str:
    """Why no event can fall in `year` as of `as_of` (`Facts.empty_year`), "" when one may: the live
    events as of `as_of` stream through the year facts, as `report 8949` and `report schedule-d` count
    them (a retracted event spans no year). No drift check: it follows a command that made it."""
    from ..ledger.store import Store
    from ..projections.knowledge import live
    from ..projections.tax_year import Facts

    with Store.open(db) as store:
        seq = store.resolve(as_of)
        facts = Facts()
        targets = store.retract_targets(until=seq)
        records = store.iter_read(until=seq)
        facts.add(live(records, until_seq=seq, targets=targets) if targets else records)  # no retraction: streamed
        return facts.empty_year(year, store.timezone)
