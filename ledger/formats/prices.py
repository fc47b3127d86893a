"""Price histories -> `price` events (`gainlog import FILE --format prices [--asset SYMBOL]`, CONTRACT §4).

Three layouts, told apart by the header row:

| layout | header | `price` event |
|---|---|---|
| plain | `date_or_time,asset,usd` | at: date_or_time, asset, usd |
| Yahoo Finance-style history | `Date,Open,High,Low,Close,Adj Close,Volume` | at: Date, asset: --asset, usd: Close |
| CoinGecko historical data | `snapped_at,price,market_cap,total_volume` | at: snapped_at, asset: --asset, usd: price |

`date_or_time` and `Date` are a bare date `YYYY-MM-DD` (midday in the ledger's time zone, like
every bare date) or an RFC 3339 time with an offset; CoinGecko writes `2024-03-01 00:00:00 UTC`.
The downloads name no asset, so `--asset` is required for them (and refused for the plain layout,
which names its own). A row whose price cell is empty or `null` (a day with no trading) is skipped
and counted. Events carry no `id`: a price's key is the hash of its body, so importing the same
file again adds nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

from ..errors import UsageError
from ..limits import shown
from .table import Conversion, Row, plain, read_table

DATE_COLUMNS = ("date_or_time", "Date", "snapped_at")
# layout -> (time column, price column, asset column or None: given by --asset)
LAYOUTS: dict[str, tuple[str, str, str | None]] = {
    "plain": ("date_or_time", "usd", "asset"),
    "yahoo": ("Date", "Close", None),
    "coingecko": ("snapped_at", "price", None),
}
_UTC_SUFFIX = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}) UTC")
_NO_PRICE = frozenset({"", "null", "none", "-", "n/a"})


def convert(path: Path, tz: ZoneInfo, wallet: str, *, asset: str | None = None) -> Conversion:
    """Every priced row of a price history as a `price` event (see the module docstring)."""
    del wallet  # a price belongs to no wallet
    header, rows = read_table(path, required=(DATE_COLUMNS,), label="price history (date_or_time,asset,usd)")
    layout = next(name for name, (when, _, _) in LAYOUTS.items() if when in header)
    when, usd, asset_column = LAYOUTS[layout]
    missing = [c for c in (usd, asset_column) if c is not None and c not in header]
    if missing:
        raise UsageError(f"{path}: the header has {when!r} but no {missing[0]!r} column (docs/formats.md, prices)")
    if asset_column is not None and asset is not None:
        raise UsageError(f"--asset applies to a price download without an asset column; {path} has {asset_column!r}")
    if asset_column is None and asset is None:
        raise UsageError(f"{path}: a {layout} price history names no asset: give --asset SYMBOL")
    out = Conversion()
    for row in rows:
        if row.text(usd).lower() in _NO_PRICE:
            out.skip(row, "no price", "unvalued", f"row(s) without a price in {usd!r}")
            continue
        out.events.append(
            row.event(
                {
                    "type": "price", "at": _at(row, when, tz),
                    "asset": row.required(asset_column) if asset_column is not None else asset,
                    "usd": plain(row.positive(usd, money=True)),
                },
                tz=tz,
            )
        )
    return out


def _at(row: Row, column: str, tz: ZoneInfo) -> str:
    """The cell as the codec's `at`: a bare date or RFC 3339; `... UTC` (CoinGecko) as `...Z`."""
    text = row.required(column)
    match = _UTC_SUFFIX.fullmatch(text)
    if match:
        text = f"{match[1]}T{match[2]}Z"
    if not text[:4].isdigit():
        raise row.error(column, f"{shown(text)} is not a date YYYY-MM-DD or an RFC 3339 time")
    return row.timestamp(column, text, tz=tz)
