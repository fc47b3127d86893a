"""The projection stages in order (STYLE.md 9): knowledge -> lots -> wash sales.

`project` is the one function reports call: a pure function of (log prefix, time zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from ledger.events import Recorded
from projections.knowledge import live
from projections.lots_engine import book
from projections.model import Booked
from projections.rules.wash_sale import apply_wash_sales


def project(
    records: Sequence[Recorded], *, tz: ZoneInfo, until_seq: int | None = None, until: datetime | None = None
) -> Booked:
    """Lots, disposals (with wash-sale adjustments), income and problems for the log up to `until_seq`.

    `records` is the log in seq order, retractions included; `until` (event time) cuts trades off
    for a point-in-time view such as `lots --on DATE`.
    """
    known = live(records, until_seq=until_seq)
    return apply_wash_sales(book(known, tz=tz, until=until), known, tz=tz)
