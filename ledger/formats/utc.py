"""Times written in UTC without a zone, as the Gemini, Binance.US, Koinly and CoinTracker files write them.

All four say (in their column name or their documentation) that times are UTC, but write them in
their own spellings; each becomes an RFC 3339 time with `Z`, checked like any event time:

| spelling | seen in |
|---|---|
| `2024-03-01 14:22:41.123`, `2024-03-01 14:22:41`, `2024-03-01 14:22` | Binance.US, Gemini (`Date` + `Time (UTC)`) |
| `2024-03-01 14:22 UTC`, `2024-03-01T14:22:41Z`, `2024-03-01 14:22:41+00:00` | Koinly |
| `03/01/2024 14:22:41`, `03/01/2024 14:22` | CoinTracker, Excel re-saves |

A time with another offset keeps it (`+02:00`); a date without a time is refused: these exports
always carry the time, and a missing one would silently move a trade to midday.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from ..limits import shown
from .table import Row

_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<hm>\d{1,2}:\d{2})(?P<sec>:\d{2}(?:\.\d{1,9})?)?"
    r" ?(?P<zone>UTC|Z|[-+]\d{2}:?\d{2})?"
)
_US = re.compile(
    r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})[ T](?P<hm>\d{1,2}:\d{2})(?P<sec>:\d{2}(?:\.\d{1,9})?)?(?: ?UTC)?"
)


def utc_text(raw: str) -> str | None:
    """`raw` as RFC 3339 (UTC unless it names an offset), or None when it is no time these files write."""
    raw = raw.strip()
    if match := _ISO.fullmatch(raw):
        day, zone = match["date"], match["zone"]
    elif match := _US.fullmatch(raw):
        day, zone = f"{match['y']}-{int(match['m']):02d}-{int(match['d']):02d}", None
    else:
        return None
    hour, minute = match["hm"].split(":")
    offset = "Z" if zone in (None, "UTC", "Z") else zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    return f"{day}T{int(hour):02d}:{minute}{match['sec'] or ':00'}{offset}"


def utc_at(row: Row, column: str, *, tz: ZoneInfo, raw: str | None = None) -> str:
    """The cell `column` (or `raw`, built from it) as an RFC 3339 time; an error naming the column otherwise."""
    text = row.required(column) if raw is None else raw
    converted = utc_text(text)
    if converted is None:
        raise row.error(column, f"{shown(text)} is not a time this format knows (e.g. 2024-03-01 14:22:41)")
    return row.timestamp(column, converted, tz=tz)
