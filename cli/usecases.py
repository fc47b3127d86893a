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
    from projections.model import Booked
    from projections.tax_year import TaxYears


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


def load(db_path: Path, as_of: str | None, *, option: str = "--as-of") -> Loaded:
    """Open the ledger at `db_path` and replay it as of `as_of` (seq, tag, @time or None = head);
    `option` names the command-line option it came from, for messages."""
    from ledger.store import Store
    from projections.pipeline import project

    store = Store.open(db_path)
    seq = store.resolve(as_of, option=option)
    with gc_paused():
        records = store.read(until=seq)
        booked = project(records, tz=store.timezone, until_seq=seq)
    return Loaded(store=store, seq=seq, records=records, booked=booked)
