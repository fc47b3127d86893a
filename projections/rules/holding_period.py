"""R1 Holding period: long-term means held more than one year (IRC §1222; Rev. Rul. 66-7).

The count starts the day after acquisition and ends on the sale day, on calendar dates in the
ledger's time zone (R1.3), never by counting days: `T = (acquired + 1 day) + 1 calendar year`, a
Feb 29 that does not exist becoming Mar 1; long-term iff `sold >= T` (R1.2).

Example (R-E1): bought 2024-02-29 -> T = 2025-03-01; sold 2025-02-28 short, 2025-03-01 long.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..model import Term

ONE_DAY = timedelta(days=1)


def long_term_from(acquired: date) -> date:
    """The first sale date that is long-term for units acquired on `acquired` (R1.2)."""
    start = acquired + ONE_DAY
    try:
        return start.replace(year=start.year + 1)
    except ValueError:  # Feb 29 -> no such day next year: Mar 1
        return date(start.year + 1, 3, 1)


def term(acquired: date, sold: date) -> Term:
    """`long` iff sold on or after `long_term_from(acquired)`."""
    return "long" if sold >= long_term_from(acquired) else "short"


class Terms(dict[date, date]):
    """`term` for one replay: maps each acquisition date to its `long_term_from`, computed once (a
    lot engine asks once per disposed slice); `terms.term(acquired, sold) == term(acquired, sold)`."""

    def __missing__(self, acquired: date) -> date:
        long_from = self[acquired] = long_term_from(acquired)
        return long_from

    def term(self, acquired: date, sold: date) -> Term:
        """`term(acquired, sold)`."""
        return "long" if sold >= self[acquired] else "short"


def local_date(at: datetime, tz: ZoneInfo) -> date:
    """The calendar date of an aware timestamp in the ledger's time zone (R1.3).

    A UTC timestamp in a UTC ledger is its own date: no conversion (the lot engine asks once per trade)."""
    if at.tzinfo is UTC and getattr(tz, "key", None) == "UTC":
        return at.date()
    return at.astimezone(tz).date()
