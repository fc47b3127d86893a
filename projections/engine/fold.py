"""The fold: the one driver of `step` (`fold`), inside the one exact context
(`projections.exact.exact_context`).

`step(state, record)` classifies a trade into legs (`legs.classify`, pure) and books them
(`booking.book_legs`), after the pooling changes due that day (`transitions`); `finish(state)`
applies the pooling changes still due and builds the `Booked` value. `book`, `resume` and
`check_lot_references` are `fold` over the trades of a log in (event time, seq) order
(`fold_order`); so is the streamed pipeline (projections/pipeline.py).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from operator import attrgetter
from zoneinfo import ZoneInfo

from ...ledger.events import CORPORATE, LEGS, TRADES, Income, Recorded, Swap, Withdrawal
from ..exact import exact_context
from ..model import Booked, IncomeRow, OpenLot, Problem, Slice
from ..order import is_sorted
from ..rules.holding_period import local_date
from ..rules.prices import VALUED, PriceIndex, value_event
from ..rules.transfer_legs import unpaired_problem
from . import corporate
from .booking import book_legs
from .legs import CLASSIFIERS
from .state import LotBookState
from .transitions import apply_transitions

_VALUED = frozenset(VALUED)
_CORPORATE = frozenset(CORPORATE)
_LEGS = frozenset(LEGS)
_VALUED_OR_LEGS = _VALUED | _LEGS
ZERO = Decimal(0)


def step(state: LotBookState, record: Recorded) -> None:
    """Apply one trade (callers feed trades in (at, seq) order; settings events are ignored here)."""
    event = record.event
    kind = type(event)  # a valued event keeps its type
    if kind in _VALUED_OR_LEGS:  # one test for a buy or a sell (most trades)
        if kind in _VALUED:
            if event.value is None:  # type: ignore[union-attr]
                valued = value_event(state.prices, record)  # CONTRACT §4 Prices
                if valued.problem is not None:
                    state.problems.append(valued.problem)
                event = valued.event
        elif record.key in state.paired:
            return  # a live transfer pairs this leg and books the move (R2.8)
    classifier = CLASSIFIERS.get(kind)  # `legs.classify`, inline (once per trade)
    if classifier is None:  # not a trade, or one of CONTRACT §4 "More events"
        if kind in _CORPORATE:
            day = local_date(event.at, state.tz)  # type: ignore[union-attr]
            if day >= state.transition_due:
                apply_transitions(state, day)
            corporate.apply(state, record, day)
        return
    legs = classifier(event)
    if kind is Swap and state.assets is not None:  # a shard: the other asset's leg is another's
        legs = tuple(leg for leg in legs if leg.asset in state.assets)
        if not legs:
            return
    at = event.at  # type: ignore[union-attr]
    # `local_date`, inline for a UTC ledger's UTC timestamps (once per trade)
    day = at.date() if state.utc and at.tzinfo is UTC else local_date(at, state.tz)
    # one date object per day, not per trade: the slices and lots hold it until the wash-sale pass
    day = state.days.setdefault(day, day)
    if kind in _LEGS:  # a withdrawal from the universal pool moves only the holding (R2.8, R3.3)
        asset: str = event.asset  # type: ignore[union-attr,assignment]
        pooled = kind is Withdrawal and state.settings.scope(
            asset, state.asset_class.get(asset, "crypto"), day) == "universal"
        state.problems.append(unpaired_problem(record, day, pooled=pooled))
    if day >= state.transition_due:
        apply_transitions(state, day)
    book_legs(state, record, legs, at, day)


def _income_row(record: Recorded, event: Income, day: date) -> IncomeRow:
    return IncomeRow(
        seq=record.seq, key=record.key, at=event.at, date=day, wallet=event.wallet, asset=event.asset,
        qty=event.qty, value=event.value or ZERO, kind=event.kind,
    )


def income_rows(known: Iterable[Recorded], *, tz: ZoneInfo) -> list[IncomeRow]:
    """`Booked.income` of the live events `known` without the fold: an income event is ordinary
    income at its value when received (R7.1), whatever the lots do; rows in (event time, seq) order."""
    known = list(known)
    prices = PriceIndex(known)
    rows = [
        _income_row(r, _valued(prices, r), local_date(r.event.at, tz)) for r in known if isinstance(r.event, Income)
    ]
    rows.sort(key=lambda row: (row.at, row.seq))
    return rows


def _valued(prices: PriceIndex, record: Recorded) -> Income:
    """The income event, valued from `prices` when it left out `value` (0 without a price)."""
    event: Income = record.event  # type: ignore[assignment]
    if event.value is not None:
        return event
    with exact_context():
        return value_event(prices, record).event  # type: ignore[return-value]


def case_twins(assets: Iterable[str]) -> list[Problem]:
    """An `asset-case` problem for each group of asset names that differ only by case (`btc`, `BTC`):
    gainlog keeps them as different assets, which is seldom what was meant."""
    folded: dict[str, list[str]] = {}
    for asset in assets:
        folded.setdefault(asset.casefold(), []).append(asset)
    return [
        Problem(
            code="asset-case",
            message=f"assets {', '.join(repr(n) for n in sorted(names))} differ only by case: "
            "gainlog keeps them as different assets, with separate lots",
            hint="if they are one asset, retract the events with one spelling and add them again with the other",
        )
        for names in sorted(folded.values())
        if len(names) > 1
    ]


def open_lots_now(state: LotBookState) -> list[OpenLot]:
    """The units the pools hold now, ordered by asset, wallet, acquisition (a read: `state` is unchanged)."""
    open_lots = [
        OpenLot(
            lot=p.lot,
            asset=p.asset,
            asset_class=p.asset_class,
            wallet=pool.wallet,
            qty=p.qty,
            basis=p.basis,
            acquired_at=p.acquired_at,
            date_acquired=p.date_acquired,
            covered=p.covered,
            transferred=p.transferred,
        )
        for pool in state.pools.values()
        for p in sorted(pool.members.values(), key=lambda p: p.uid)
    ]
    open_lots.sort(key=lambda o: (o.asset, o.wallet, o.acquired_at, o.lot))
    return open_lots


def finish(state: LotBookState, *, until: datetime | None = None) -> Booked:
    """Apply the pooling changes due by `until` (None: all) and build the result."""
    apply_transitions(state, None if until is None else local_date(until, state.tz))
    problems = list(state.problems)
    problems += case_twins(state.holdings)
    for asset, record in sorted(state.allocation_used.items()):
        first = state.first_2025_disposal.get(asset)
        if first is not None and record.recorded_at > first:
            problems.append(
                Problem(
                    code="late-allocation",
                    seq=record.seq,
                    message=f"the allocate event for {asset} was recorded after the first 2025 disposal "
                    f"of {asset}; "
                    "it still applies (R3.4)",
                    hint="Rev. Proc. 2024-28 wants the specific allocation made before that disposal",
                )
            )
    open_lots = open_lots_now(state)
    return Booked(
        slices=tuple(state.slices if _in_8949_order(state.slices) else sorted(state.slices, key=_8949_key)),
        acquisitions=tuple(state.acquisitions),
        open_lots=tuple(open_lots),
        income=tuple(state.income),
        problems=tuple(problems),
        donations=tuple(state.donations),
        unit_changes=tuple(state.unit_changes),
    )


def _8949_key(s: Slice) -> tuple[date, int, int]:
    return s.date_sold, s.seq, s.order


def _in_8949_order(slices: Sequence[Slice]) -> bool:
    """Whether the slices are already in 8949 order, as they are when trades were recorded in event
    time order: then `finish` needs no sorted copy of a million slices and their keys (issue #7)."""
    if not slices:
        return True
    day, seq, order = slices[0].date_sold, slices[0].seq, slices[0].order
    for s in slices:
        if s.seq != seq:  # the next disposal: a later day, or the same day and a larger seq
            if s.date_sold < day or (s.seq < seq and s.date_sold == day):
                return False
            day, seq = s.date_sold, s.seq
        elif s.order < order:  # within one disposal: selection order
            return False
        order = s.order
    return True


_TRADES = frozenset(TRADES)  # each event is of one of the union's types, none a subclass of another
_AT_SEQ = attrgetter("event.at", "seq")  # `time_order` in C: the fold order's check reads every trade


def _trades(records: Sequence[Recorded], until: datetime | None) -> list[Recorded]:
    if until is None:
        trades = [r for r in records if type(r.event) in _TRADES]
    else:
        trades = [r for r in records if type(r.event) in _TRADES and r.event.at <= until]  # type: ignore[union-attr]
    if not is_sorted(trades, _AT_SEQ):
        trades.sort(key=_AT_SEQ)
    return trades


def time_order(record: Recorded) -> tuple[datetime, int]:
    """The order trades apply in: event time, ties by seq (CONTRACT §2 "Time")."""
    return record.event.at, record.seq  # type: ignore[union-attr]


def fold_order(records: Sequence[Recorded], *, until: datetime | None = None) -> list[Recorded]:
    """The trades of `records` (up to event time `until`) in the order `fold` steps them: (event time, seq)."""
    return _trades(records, until)


def fold(state: LotBookState, trades: Iterable[Recorded]) -> LotBookState:
    """The one driver of `step`: apply `trades` (already in (event time, seq) order, `fold_order`)
    to `state` inside `exact_context()` and return it. Every projection folds through here: `book`,
    `resume`, `check_lot_references` and the streamed pipeline (projections.pipeline)."""
    with exact_context():
        for record in trades:
            step(state, record)
    return state


def book(records: Sequence[Recorded], *, tz: ZoneInfo, until: datetime | None = None) -> Booked:
    """Lots, 8949 slices, acquisitions, income and problems of the live events (trades up to `until`)."""
    with exact_context():
        state = fold(LotBookState(records, tz=tz), _trades(records, until))
        return finish(state, until=until)


def resume(state: LotBookState, records: Sequence[Recorded]) -> LotBookState:
    """Step the trades of `records` into `state` in (event time, seq) order and return it: `book`
    without building the state and without `finish`, for a state restored from a checkpoint."""
    return fold(state, _trades(records, None))


def check_lot_references(
    records: Sequence[Recorded], *, tz: ZoneInfo, from_seq: int = 1, assets: Container[str] | None = None
) -> list[str]:
    """Import-time check of specific identification: one message per sell (seq >= from_seq) whose `lots`
    names an unknown lot, or more than the lot holds at the time of the sale (CONTRACT §2). `assets`:
    `records` are a shard of the log (`replay`'s `assets`): a swap books only its legs of these."""
    with exact_context():
        state = LotBookState(records, tz=tz, check_from_seq=from_seq)
        state.assets = assets
    return fold(state, _trades(records, None)).errors
