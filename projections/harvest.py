"""Tax-loss harvesting: the open lots on a date valued, the loss candidates, and a plan (CONTRACT §4 "Harvest").

Pure: the caller replays the log (`pipeline.project`) and hands in the open lots and acquisitions on
DATE, the prices, and whether wash sales cover crypto sold on DATE (R4.5); nothing here reads a
store or a clock.

- Each open lot is valued at qty × price (the `--price` given, else the latest `price` event at or
  before the end of DATE); `unrealized` = value − cost basis, both rounded to cents first (as a Form
  8949 row's gain is); `term` is the term of a sale on DATE and `long_term_on` the first day a sale
  is long-term (R1.2), both from the lot's date acquired (moved back when it carries a wash-sale
  adjustment, R4.3). An asset without a price is listed in `unpriced`; its lots are not valued.
- Candidates: lots whose sale on DATE realizes a loss, the largest loss first. For a stock (and
  crypto when a wash-sale policy covers DATE) the acquisitions of the same asset, in any wallet,
  dated within the 30 days before DATE whose units are still held, by purchase or exchange (R4.1:
  they would replace the sold units; an unpaired deposit does not) are its
  `wash_sale.replacements`; `rebuy_after` = DATE + 31 days, the first day a repurchase no longer
  falls within the 30 days after the sale.
- The plan (`plan_lots`) sells candidates whole by specific identification at the price, no fee,
  skipping those with replacements, the largest loss first, while the total loss stays within
  `max_loss` (None: all). The caller replays the log plus the plan's sells and drops any sell the
  wash-sale pass still washes (R4 on the log plus the plan).

Example (docs/harvest.md): 50 XYZ (stock) bought 2025-02-03 for 6,000 in `broker`, 10 XYZ bought
2026-11-25 in `ira`; harvest on 2026-12-05 at 80 -> the `broker` lot is a candidate (unrealized
-2,000.00, long-term since 2026-02-04) washed by the `ira` purchase: rebuy_after 2027-01-05, left
out of the plan.

Reports no problems; the caller turns `unpriced` and washed candidates into warnings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal

import msgspec

from ..ledger.events import Price, Recorded
from .model import Acquisition, OpenLot, Term
from .rules.holding_period import long_term_from, term
from .rules.wash_sale import replaces

ZERO = Decimal(0)
CENT = Decimal("0.01")
CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)
WASH_WINDOW = timedelta(days=30)
REBUY_AFTER = timedelta(days=31)


class WashRisk(msgspec.Struct, frozen=True, kw_only=True):
    """Acquisitions that would wash a loss sold on DATE (R4.1).

    Attributes:
        replacements: their keys, in acquisition order.
        rebuy_after: DATE + 31 days.
    """

    replacements: tuple[str, ...]
    rebuy_after: date


class ValuedLot(msgspec.Struct, frozen=True, kw_only=True):
    """One open lot on DATE with its market value.

    Attributes:
        lot: the open lot.
        price: USD per unit (None: unpriced).
        value: qty × price, exact (None: unpriced).
        unrealized: value − basis, each rounded to cents first (None: unpriced).
        term: the term of a sale on DATE.
        long_term_on: the first sale date that is long-term.
        wash: for a candidate whose loss a sale on DATE would see washed, the replacements.
        washable: the wash-sale rule covers a sale of this lot on DATE (stock, or crypto under a policy).
    """

    lot: OpenLot
    price: Decimal | None
    value: Decimal | None
    unrealized: Decimal | None
    term: Term
    long_term_on: date
    wash: WashRisk | None = None
    washable: bool = False

    @property
    def is_loss(self) -> bool:
        return self.unrealized is not None and self.unrealized < ZERO


class Valuation(msgspec.Struct, frozen=True, kw_only=True):
    """Every open lot on DATE, valued (`value_lots`).

    Attributes:
        day: DATE.
        lots: every open lot, in the order the lot engine lists them (asset, wallet, acquisition).
        unpriced: the assets held without a price, sorted.
        candidates: the lots at a loss, the largest loss first (ties: asset, wallet, lot).
    """

    day: date
    lots: tuple[ValuedLot, ...]
    unpriced: tuple[str, ...]
    candidates: tuple[ValuedLot, ...]


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, context=CONTEXT)


def value_lots(
    open_lots: Iterable[OpenLot], acquisitions: Iterable[Acquisition], prices: Mapping[str, Decimal], *,
    day: date, crypto_washes: bool,
) -> Valuation:
    """The open lots on `day` valued at `prices` (asset -> USD per unit), with the loss candidates and
    their wash-sale replacements; `crypto_washes`: a policy applies R4 to crypto sold on `day` (R4.5)."""
    held = list(open_lots)
    lot_to_held: dict[str, Decimal] = {}
    for lot in held:
        lot_to_held[lot.lot] = lot_to_held.get(lot.lot, ZERO) + lot.qty
    window = [a for a in acquisitions
              if day - WASH_WINDOW <= a.date_acquired <= day and lot_to_held.get(a.lot) and replaces(a)]
    rows: list[ValuedLot] = []
    unpriced: set[str] = set()
    for lot in held:
        washable = lot.asset_class == "stock" or crypto_washes
        price = prices.get(lot.asset)
        if price is None:
            unpriced.add(lot.asset)
            value = unrealized = None
        else:
            value = CONTEXT.multiply(lot.qty, price)
            unrealized = cents(value) - cents(lot.basis)
        row = ValuedLot(
            lot=lot, price=price, value=value, unrealized=unrealized, term=term(lot.date_acquired, day),
            long_term_on=long_term_from(lot.date_acquired), washable=washable,
        )
        if washable and row.is_loss:
            replacements = tuple(dict.fromkeys(a.lot for a in window if a.asset == lot.asset and a.lot != lot.lot))
            if replacements:
                risk = WashRisk(replacements=replacements, rebuy_after=day + REBUY_AFTER)
                row = msgspec.structs.replace(row, wash=risk)
        rows.append(row)
    candidates = sorted(
        (r for r in rows if r.is_loss), key=lambda r: (r.unrealized, r.lot.asset, r.lot.wallet, r.lot.lot)
    )
    return Valuation(day=day, lots=tuple(rows), unpriced=tuple(sorted(unpriced)), candidates=tuple(candidates))


def plan_lots(
    candidates: Sequence[ValuedLot], *, max_loss: Decimal | None, skip: Iterable[str] = ()
) -> list[ValuedLot]:
    """The candidates the plan sells: the largest loss first, none with wash-sale replacements and
    none whose lot key is in `skip`, whole lots while the total loss stays within `max_loss`."""
    skipped = set(skip)
    chosen: list[ValuedLot] = []
    total = ZERO
    for row in candidates:
        if row.wash is not None or row.lot.lot in skipped or row.unrealized is None:
            continue
        loss = -row.unrealized
        if max_loss is not None and total + loss > max_loss:
            continue
        chosen.append(row)
        total += loss
    return chosen


def with_replacements(valuation: Valuation, lot_to_replacements: Mapping[str, Sequence[str]]) -> Valuation:
    """`valuation` with the lots a replay of the log plus the plan found washed (R4: also by an
    acquisition after DATE already in the log) marked with those replacements."""
    def marked(row: ValuedLot) -> ValuedLot:
        found = lot_to_replacements.get(row.lot.lot)
        if found is None or not row.is_loss:
            return row
        known = row.wash.replacements if row.wash is not None else ()
        risk = WashRisk(replacements=tuple(dict.fromkeys((*known, *found))), rebuy_after=valuation.day + REBUY_AFTER)
        return msgspec.structs.replace(row, wash=risk)

    return msgspec.structs.replace(
        valuation, lots=tuple(marked(r) for r in valuation.lots),
        candidates=tuple(marked(r) for r in valuation.candidates),
    )


def latest_prices(known: Iterable[Recorded], *, until: datetime) -> dict[str, tuple[Decimal, datetime]]:
    """Each asset's latest `price` event at or before `until` (event time, then seq), however old, as
    (USD per unit, its time): what `harvest` values the lots on DATE at when no `--price` is given."""
    asset_to_latest: dict[str, tuple[datetime, int, Decimal]] = {}
    for record in known:
        event = record.event
        if type(event) is Price and event.at <= until:
            best = asset_to_latest.get(event.asset)
            if best is None or (event.at, record.seq) >= best[:2]:
                asset_to_latest[event.asset] = (event.at, record.seq, event.usd)
    return {asset: (latest[2], latest[0]) for asset, latest in asset_to_latest.items()}
