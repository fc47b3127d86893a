"""Valuation from recorded prices: a swap, fee or income that leaves out `value` (CONTRACT §4 Prices).

Source: CONTRACT §4 "Prices". A `price` event records a market price (USD per unit) in the log, so
every valuation that uses it replays exactly, and `--as-of` decides which prices were known. An
event without `value` is valued at replay as

    qty received x the latest price of the received asset at or before `at`, no older than 24 hours

(swap: `get_qty` of `get_asset`; fee and income: `qty` of `asset`). "Latest" is by the price's
event time, ties by `seq` (the later recording wins). A price exactly 24 hours older than the event
is used; one older is not; one after `at` is never used. With no such price the value is 0 and the
event is reported (`unpriced`). The value is exact (no rounding): reports round their rows as
always (R2.7), so a swap valued by price gives the same 8949 and Schedule D numbers as the same swap
with `value` = qty x price written out.

Example: price BTC 43,000.12 at 2024-03-01T00:00Z; a swap at 2024-03-01T18:00Z receiving 0.5 BTC
with no value is valued at 21,500.06 (a disposal of the give side at that, a BTC lot with basis
21,500.06). The same swap at 2024-03-02T00:00:01Z finds no price: value 0, `unpriced`.

Problems: `unpriced` (no price of the received asset within 24 hours at or before the event).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

import msgspec

from ...ledger.events import Event, Fee, Income, Price, Recorded, Swap
from ..model import Problem

WINDOW = timedelta(hours=24)
ZERO = Decimal(0)
VALUED = (Swap, Fee, Income)  # the events that may leave out `value`
UNPRICED = "unpriced"  # the problem's code: an event `value_event` valued at 0, without a price


class Quote(msgspec.Struct, frozen=True, gc=False):
    """The price used to value an event.

    Attributes:
        usd: USD per unit.
        key: the `price` event's key.
        at: when the price held.
    """

    usd: Decimal
    key: str
    at: datetime


class PriceIndex:
    """The live `price` events per asset in (event time, seq) order: a pure index of the log prefix."""

    def __init__(self, records: Iterable[Recorded]) -> None:
        asset_to_rows: dict[str, list[tuple[datetime, int, Recorded]]] = {}
        for record in records:
            event = record.event
            if type(event) is Price:
                asset_to_rows.setdefault(event.asset, []).append((event.at, record.seq, record))
        for rows in asset_to_rows.values():
            rows.sort(key=lambda row: row[:2])
        self._asset_to_rows = asset_to_rows
        self._asset_to_times = {asset: [row[0] for row in rows] for asset, rows in asset_to_rows.items()}

    def __bool__(self) -> bool:
        return bool(self._asset_to_rows)

    def quote(self, asset: str, at: datetime) -> Quote | None:
        """The latest price of `asset` at or before `at` and no older than 24 hours, or None."""
        times = self._asset_to_times.get(asset)
        if not times:
            return None
        index = bisect_right(times, at)  # the prices at or before `at` are [:index]
        if index == 0:
            return None
        when, _, record = self._asset_to_rows[asset][index - 1]
        if at - when > WINDOW:
            return None
        price: Price = record.event  # type: ignore[assignment]
        return Quote(price.usd, record.key, when)


def needs_price(event: Event) -> bool:
    """Whether the event is a swap, fee or income without `value`."""
    return type(event) in VALUED and event.value is None  # type: ignore[union-attr]


def priced_asset(event: Swap | Fee | Income) -> tuple[str, Decimal]:
    """The asset and quantity received (swap: the get side) that the price applies to."""
    if isinstance(event, Swap):
        return event.get_asset, event.get_qty
    return event.asset, event.qty


def quote_for(prices: PriceIndex, event: Swap | Fee | Income) -> Quote | None:
    """The price that values `event` (its received asset at its time), or None."""
    asset, _ = priced_asset(event)
    return prices.quote(asset, event.at)


class Valued(msgspec.Struct, frozen=True, gc=False):
    """An event that left out `value`, with the value given by the price index.

    Attributes:
        event: the event with `value` set (qty x price, or 0 without a price).
        quote: the price used, or None.
        problem: the `unpriced` problem when there was none.
    """

    event: Swap | Fee | Income
    quote: Quote | None
    problem: Problem | None


def value_event(prices: PriceIndex, record: Recorded) -> Valued:
    """`record.event` (a swap, fee or income without `value`) valued at qty x the price in force."""
    event: Swap | Fee | Income = record.event  # type: ignore[assignment]
    asset, qty = priced_asset(event)
    quote = prices.quote(asset, event.at)
    if quote is not None:
        return Valued(msgspec.structs.replace(event, value=qty * quote.usd), quote, None)
    problem = Problem(
        code=UNPRICED,
        seq=record.seq,
        message=f"{record.key}: {record.event.__struct_config__.tag} of {format(qty.normalize(), 'f')} {asset} "
        f"at {event.at.isoformat()} has no value and no {asset} price within the 24 hours before it; "
        "valued at 0",
        hint=f"import a price of {asset} (gainlog import FILE --format prices, or a `price` event), "
        "or give the event a value",
    )
    return Valued(msgspec.structs.replace(event, value=ZERO), None, problem)
