"""The projection stages in order (STYLE.md 9): knowledge -> lots -> wash sales -> late corrections.

`project` is the one function reports call: a pure function of (log prefix, time zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

from ledger.events import Recorded
from projections.knowledge import live
from projections.lots_engine import book
from projections.model import Booked
from projections.rules.late_identification import late_lot_corrections
from projections.rules.wash_sale import apply_wash_sales


def project(
    records: Sequence[Recorded], *, tz: ZoneInfo, until_seq: int | None = None, until: datetime | None = None
) -> Booked:
    """Lots, disposals (with wash-sale adjustments), income and problems for the log up to `until_seq`.

    `records` is the log in seq order, retractions included; `until` (event time) cuts trades off
    for a point-in-time view such as `lots --on DATE`.
    """
    known = live(records, until_seq=until_seq)
    return after_lots(book(known, tz=tz, until=until), records, known, tz=tz, until_seq=until_seq)


def after_lots(
    booked: Booked, records: Sequence[Recorded], known: Sequence[Recorded], *, tz: ZoneInfo, until_seq: int | None
) -> Booked:
    """The stages after the lot engine (a checkpointed replay joins here): wash sales over the live
    events `known`, then the sells whose `lots` a later correction named (R3.6, from the whole log)."""
    washed = apply_wash_sales(booked, known, tz=tz)
    late = late_lot_corrections(records, until_seq=until_seq)
    return msgspec.structs.replace(washed, problems=washed.problems + tuple(late)) if late else washed
