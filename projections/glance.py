"""A year at a glance (`report html`): the numbers of one tax year's page, from the reports' values.

Pure: built from what `report all` already has of one replay (the Form 8949 rows as they stream
by, `tax_year.TaxYears`, the open lots at the year's end from `year_end.year_end_lots`, and the
log's `price` events); no I/O, no clock. Amounts are Decimal; every total is a sum of the rounded
8949 rows, so the page agrees with `report 8949` and `report schedule-d` to the cent.

| part | from |
|---|---|
| Schedule D summary | `TaxYears.years[year]` (`report schedule-d`) |
| carryover chain | every year of `TaxYears.report_years()`: carried in, line 16, deduction, carried out |
| realized gain by month | the year's 8949 rows' (h), by month of (c) date sold and term |
| proceeds by wallet and asset | the year's 8949 rows' (d) |
| open lots | the units held at the end of December 31, by asset and wallet |
| unrealized gain | each lot's qty x the latest `price` of its asset at or before the year's end, less basis |

Example: a 2024 sale in March of 0.5 BTC (gain 9,650.00, long) puts 9,650.00 in March's long
bar, and its proceeds in the bar of its wallet and BTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import msgspec

from ..ledger.events import Price, Recorded
from .exact import exact_context
from .form8949 import CENT, CONTEXT, Row
from .model import OpenLot
from .rules.holding_period import local_date
from .tax_year import ScheduleD, TaxYears, YearBoxes, add_groups, box_groups

ZERO = Decimal(0)


class MonthGain(msgspec.Struct, frozen=True, kw_only=True):
    """Realized gain of one month (sum of the rows' (h)).

    Attributes:
        month: 1..12.
        short_term: Part I rows.
        long_term: Part II rows.
    """

    month: int
    short_term: Decimal
    long_term: Decimal


class Proceeds(msgspec.Struct, frozen=True, kw_only=True):
    """Proceeds (d) of the year's rows from one wallet in one asset.

    Attributes:
        wallet: the wallet the units left.
        asset: the asset.
        rows: how many 8949 rows.
        proceeds: their (d).
        gain: their (h).
    """

    wallet: str
    asset: str
    rows: int
    proceeds: Decimal
    gain: Decimal


class Holding(msgspec.Struct, frozen=True, kw_only=True):
    """The open lots of one asset in one wallet at the year's end.

    Attributes:
        asset: the asset.
        wallet: the wallet (`*`: a universal pool).
        lots: how many lot pieces.
        qty: units held.
        cost_basis: their basis: the sum of each lot's, rounded to cents (as `lots --json` shows them).
        price: USD per unit, the latest `price` at or before the year's end (None: none known).
        priced_on: the date of that price (ledger time zone).
        value: qty x price, rounded to cents (None without a price).
        unrealized: value - cost_basis (None without a price).
    """

    asset: str
    wallet: str
    lots: int
    qty: Decimal
    cost_basis: Decimal
    price: Decimal | None = None
    priced_on: date | None = None
    value: Decimal | None = None
    unrealized: Decimal | None = None


class Glance(msgspec.Struct, frozen=True, kw_only=True):
    """One tax year's page.

    Attributes:
        year: the tax year.
        schedule_d: the year's Schedule D.
        chain: the Schedule D of every year `report all` writes, and of those up to this one when it
            lies outside them, in year order.
        months: twelve months of realized gain.
        proceeds: by wallet, then asset.
        holdings: open lots at the year's end, by asset, then wallet.
        priced: some open lot has a price (the unrealized gain is shown).
    """

    year: int
    schedule_d: ScheduleD
    chain: tuple[ScheduleD, ...]
    months: tuple[MonthGain, ...]
    proceeds: tuple[Proceeds, ...]
    holdings: tuple[Holding, ...]
    priced: bool


class ProceedsSum(msgspec.Struct, array_like=True, frozen=True):
    """`RowSums`' running sums of one wallet and asset in one year, as checkpoints and shards send them."""

    wallet: str
    asset: str
    rows: Decimal
    proceeds: Decimal
    gain: Decimal


class RowSums:
    """Running month and wallet/asset totals of 8949 rows given a chunk at a time (a fold's state),
    for every year the rows fall in."""

    def __init__(self) -> None:
        self.year_to_months: dict[int, list[list[Decimal]]] = {}
        self.year_to_proceeds: dict[int, dict[tuple[str, str], list[Decimal]]] = {}

    def add(self, rows: Iterable[Row], year_boxes: YearBoxes | None = None) -> None:
        """Add rows, and to `year_boxes` (`tax_year.add_rows`' totals) when given: both from one
        grouping of the rows (`tax_year.box_groups`), not a Python step per row and sum (issue #19)."""
        groups = box_groups(rows)
        if year_boxes is not None:
            add_groups(year_boxes, groups)
        for g in groups:
            months = self.year_to_months.get(g.year)
            if months is None:
                months = self.year_to_months[g.year] = [[ZERO, ZERO] for _ in range(12)]
                self.year_to_proceeds[g.year] = {}
            months[g.month - 1][g.term != "short"] += g.gain
            pair_to_sums = self.year_to_proceeds[g.year]
            sums = pair_to_sums.get((g.wallet, g.asset))
            if sums is None:
                sums = pair_to_sums[g.wallet, g.asset] = [ZERO, ZERO, ZERO]
            sums[0] += g.rows  # a count kept as a Decimal (checkpoints store it so)
            sums[1] += g.proceeds
            sums[2] += g.gain

    def packed_proceeds(self) -> dict[int, list[ProceedsSum]]:
        """`year_to_proceeds` as values to encode (`unpacked_proceeds` reverses it)."""
        return {y: [ProceedsSum(w, a, *sums) for (w, a), sums in ps.items()] for y, ps in self.year_to_proceeds.items()}

    @staticmethod
    def unpacked_proceeds(packed: dict[int, list[ProceedsSum]]) -> dict[int, dict[tuple[str, str], list[Decimal]]]:
        return {y: {(p.wallet, p.asset): [p.rows, p.proceeds, p.gain] for p in ps} for y, ps in packed.items()}

    def months(self, year: int) -> tuple[MonthGain, ...]:
        months = self.year_to_months.get(year) or [[ZERO, ZERO] for _ in range(12)]
        return tuple(MonthGain(month=i, short_term=s, long_term=lt) for i, (s, lt) in enumerate(months, 1))

    def proceeds(self, year: int) -> tuple[Proceeds, ...]:
        sums = self.year_to_proceeds.get(year, {})
        return tuple(
            Proceeds(wallet=wallet, asset=asset, rows=int(n), proceeds=p, gain=g)
            for (wallet, asset), (n, p, g) in sorted(sums.items())
        )


def latest_prices(log: Iterable[Recorded], until: datetime) -> dict[str, tuple[Decimal, datetime]]:
    """asset -> (USD, when) of its latest live `price` event at or before `until` (ties: the higher seq)."""
    asset_to_price: dict[str, tuple[Decimal, datetime, int]] = {}
    for record in log:
        event = record.event
        if type(event) is Price and event.at <= until:
            known = asset_to_price.get(event.asset)
            if known is None or (event.at, record.seq) >= (known[1], known[2]):
                asset_to_price[event.asset] = (event.usd, event.at, record.seq)
    return {asset: (usd, at) for asset, (usd, at, _) in asset_to_price.items()}


def holdings(
    lots: Sequence[OpenLot], prices: dict[str, tuple[Decimal, datetime]], *, tz: ZoneInfo
) -> tuple[Holding, ...]:
    """The open lots grouped by asset and wallet, valued at `prices` where the asset has one (its
    date in the ledger's time zone `tz`)."""
    return priced(held(lots), prices, tz=tz)


Held = tuple[str, str, int, Decimal, Decimal]  # asset, wallet, lots, qty, cost basis (each lot's in cents)


def held(lots: Sequence[OpenLot]) -> list[Held]:
    """The open lots grouped by asset and wallet, in that order, unpriced (`holdings` prices them)."""
    groups: dict[tuple[str, str], list[OpenLot]] = {}
    for lot in lots:
        groups.setdefault((lot.asset, lot.wallet), []).append(lot)
    out = []
    with exact_context():
        for (asset, wallet), group in sorted(groups.items()):
            qty = sum((lot.qty for lot in group), ZERO)
            basis = sum((lot.basis.quantize(CENT, context=CONTEXT) for lot in group), ZERO)  # as `lots --json` rows
            out.append((asset, wallet, len(group), qty, basis))
    return out


def priced(
    groups: Iterable[Held], prices: dict[str, tuple[Decimal, datetime]], *, tz: ZoneInfo
) -> tuple[Holding, ...]:
    """`held` groups (asset, wallet order) valued at `prices` where the asset has one."""
    out = []
    with exact_context():
        for asset, wallet, count, qty, basis in groups:
            quote = prices.get(asset)
            if quote is None:
                out.append(Holding(asset=asset, wallet=wallet, lots=count, qty=qty, cost_basis=basis))
                continue
            usd, at = quote
            value = (qty * usd).quantize(CENT, context=CONTEXT)
            out.append(Holding(asset=asset, wallet=wallet, lots=count, qty=qty, cost_basis=basis, price=usd,
                               priced_on=local_date(at, tz), value=value, unrealized=value - basis))
    return tuple(out)


def glance(
    year: int, ty: TaxYears, sums: RowSums, lots: Sequence[OpenLot], prices: dict[str, tuple[Decimal, datetime]],
    *, tz: ZoneInfo,
) -> Glance:
    """The page of `year` (see the module docstring); `year` must be one of `ty.years`."""
    return glance_held(year, ty, sums, holdings(lots, prices, tz=tz))


def glance_held(year: int, ty: TaxYears, sums: RowSums, held: tuple[Holding, ...]) -> Glance:
    """`glance` with the year-end holdings already valued (`projections.report_checkpoint` keeps them)."""
    written = ty.report_years()  # `report all`'s years; a year asked for outside them extends the span
    chain_years = range(min([*written, year]), max([*written, year]) + 1)
    return Glance(
        year=year, schedule_d=ty.years[year], chain=tuple(ty.years[y] for y in chain_years if y in ty.years),
        months=sums.months(year), proceeds=sums.proceeds(year), holdings=held,
        priced=any(h.price is not None for h in held),
    )
