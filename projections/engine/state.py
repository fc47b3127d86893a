"""What the lot engine's fold carries between trades (`LotBookState`), and the few operations on it
that every booking shares: the pool a trade draws on, a new piece of a lot, a wallet's holdings."""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ...ledger.events import (
    Allocate,
    AssetClass,
    Buy,
    GiftIn,
    Income,
    MethodElection,
    Policy,
    Price,
    Recorded,
    Rename,
    Reorg,
    Scope,
    Transfer,
)
from ..model import Acquisition, Donation, IncomeRow, Problem, Slice, UnitChange
from ..pools import Piece, Pool
from ..rules.holding_period import Terms
from ..rules.prices import PriceIndex
from ..rules.transfer_legs import paired_legs, paired_twice
from ..settings import Settings

ZERO = Decimal(0)
UNIVERSAL = "*"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
ONE_DAY = timedelta(days=1)
SETTINGS_EVENTS = (MethodElection, Policy, Allocate)  # what `Settings` and `allocations` are built from
# what `LotBookState` reads of a log besides the settings events (`_read_by_state`): the prices, the
# transfers pairing legs, the renames and reorgs, and the events naming an asset's class
_READ = frozenset((*SETTINGS_EVENTS, Price, Transfer, Rename, Reorg))
_CLASSED = frozenset((Buy, Income, GiftIn))  # read only when they name a class (`_asset_classes`)


class LotBookState:
    """Everything the fold carries between trades: a plain value that can be copied, or stored as an
    explicit snapshot (projections.checkpoint `snapshot`/`restore`)."""

    def __init__(
        self, records: Sequence[Recorded], *, tz: ZoneInfo, check_from_seq: int | None = None
    ) -> None:
        self.tz = tz
        self.utc = getattr(tz, "key", None) == "UTC"  # a local date is the UTC one (`fold.step`)
        records = _read_by_state(records)  # the few events read below: one pass over a log of trades
        self.settings = Settings(records)
        self.asset_class: dict[str, AssetClass] = _asset_classes(records)
        self.allocations: dict[str, Recorded] = {}
        self.settings_events: list[Recorded] = []  # the events `settings` and `allocations` come from
        prices: list[Recorded] = []
        pairing: list[Recorded] = []  # transfers with `legs` (R2.8)
        for record in records:
            if isinstance(record.event, SETTINGS_EVENTS):
                self.settings_events.append(record)
                if isinstance(record.event, Allocate):
                    self.allocations[record.event.asset] = record  # the latest correction wins
            elif type(record.event) is Price:
                prices.append(record)
            elif type(record.event) is Transfer and record.event.legs:
                pairing.append(record)
        self.pools: dict[tuple[str, str], Pool] = {}
        self.scope_now: dict[str, Scope] = {}
        self.holdings: dict[str, dict[str, Decimal]] = {}  # asset -> wallet -> units held
        self.lot_keys: set[str] = set()
        self.next_uid = 0
        self.transitions = self.settings.transition_dates()
        self.transition_due = date.max  # the date of the next pooling change not applied (`next_transition`)
        self.next_transition = 0
        self.first_2025_disposal: dict[str, datetime] = {}  # asset -> its recorded_at
        self.allocation_used: dict[str, Recorded] = {}
        self.slices: list[Slice] = []
        self.acquisitions: list[Acquisition] = []
        self.income: list[IncomeRow] = []
        self.problems: list[Problem] = []
        self.reported: list[Recorded] = []  # the sells carrying the broker's wash-sale figure (R4.6)
        self.check_from_seq = check_from_seq
        self.errors: list[str] = []
        self.terms = Terms()  # cache: R1.2 per date acquired
        self.days: dict[date, date] = {}  # each trade's local date, one object per day (`fold.step`)
        self.prices = PriceIndex(prices)  # values a swap, fee or income without `value` (rules/prices.py)
        # CONTRACT §4 "More events" (engine/corporate.py)
        self.extended = False  # an event of `CORPORATE` was folded: checkpoints of this state are not used
        self.dual: dict[str, Any] = {}  # gift lot key -> its two bases (`corporate.Dual`)
        self.donations: list[Donation] = []
        self.unit_changes: list[UnitChange] = []
        self.paired = paired_legs(pairing)  # leg key -> the live transfer pairing it (rules/transfer_legs.py)
        # a shard of a parallel replay (projections/shards.py): a swap books only its legs of these assets
        self.assets: Container[str] | None = None
        self.problems.extend(paired_twice(pairing))

    @property
    def next_transition(self) -> int:
        """How many of the pooling changes (`transitions`) were applied."""
        return self._next_transition

    @next_transition.setter
    def next_transition(self, applied: int) -> None:
        # keeps `transition_due`, so that the fold tests one date per trade (`fold.step`)
        self._next_transition = applied
        self.transition_due = self.transitions[applied] if applied < len(self.transitions) else date.max


def _read_by_state(records: Sequence[Recorded]) -> list[Recorded]:
    """The records `LotBookState` reads (`_READ`, a transfer only with `legs`, an event of `_CLASSED`
    only with a class), in their order: one type lookup per record, where the state's three passes
    (settings, classes, prices and pairings) would each test every trade of the log (issue #19)."""
    read: list[Recorded] = []
    for record in records:
        event = record.event
        kind = type(event)
        if kind in _CLASSED:
            if event.class_ is not None:  # type: ignore[union-attr]
                read.append(record)
        elif kind in _READ and (kind is not Transfer or event.legs):  # type: ignore[union-attr]
            read.append(record)
    return read


def _asset_classes(records: Sequence[Recorded]) -> dict[str, AssetClass]:
    """Each asset's class: fixed by the first event (in event time) that names it with one."""
    first: dict[str, tuple[datetime, int, AssetClass]] = {}  # asset -> the earliest (at, seq) naming a class
    for record in records:
        event = record.event
        if isinstance(event, Buy | Income | GiftIn) and event.class_ is not None:
            known = first.get(event.asset)
            if known is None or event.at < known[0] or (event.at == known[0] and record.seq < known[1]):
                first[event.asset] = (event.at, record.seq, event.class_)
    # in the order the assets were first named, as a sorted pass over those events would add them
    classes = {asset: named[2] for asset, named in sorted(first.items(), key=lambda item: item[1][:2])}
    # a rename's or reorg's new assets take the old asset's class unless they have one
    moves = sorted(
        ((r.event.at, r.seq, r.event) for r in records if isinstance(r.event, Rename | Reorg)), key=lambda m: m[:2]
    )
    for _, _, move in moves:
        targets = [move.to] if isinstance(move, Rename) else [part.asset for part in move.into]
        for target in targets:
            if target not in classes and move.asset in classes:
                classes[target] = classes[move.asset]
    return classes


def fmt(q: Decimal) -> str:
    """A quantity as plain text in a message."""
    return format(q.normalize(), "f")


def pool_for(state: LotBookState, asset: str, wallet: str, day: date) -> Pool:
    """The pool a trade of `asset` in `wallet` on local date `day` draws on or adds to: the wallet's,
    or the universal one (`*`) while the asset's scope is universal."""
    scope = state.scope_now.get(asset)
    if scope is None:
        scope = state.settings.scope(asset, state.asset_class.get(asset, "crypto"), day)
        state.scope_now[asset] = scope
    key = (asset, UNIVERSAL if scope == "universal" else wallet)
    pool = state.pools.get(key)
    if pool is None:
        pool = state.pools[key] = Pool(*key)
    return pool


def new_piece(
    state: LotBookState,
    lot: str,
    seq: int,
    asset: str,
    wallet: str,
    qty: Decimal,
    basis: Decimal,
    acquired_at: datetime,
    date_acquired: date,
    covered: bool,
    transferred: bool,
) -> Piece:
    """A piece of a lot with the next number (the last tie-breaker of every lot method). Once per
    acquisition and per piece moved: callers in the fold pass the arguments positionally, and it
    builds the `Piece` positionally, in field order (several times cheaper than keywords)."""
    state.next_uid += 1
    return Piece(
        state.next_uid, lot, seq, asset, state.asset_class.get(asset, "crypto"), wallet, qty, basis, acquired_at,
        (acquired_at - EPOCH) // ONE_US, date_acquired, covered, transferred, basis / qty,
    )


def hold(state: LotBookState, asset: str, wallet: str, delta: Decimal) -> Decimal:
    """Add `delta` to a wallet's units (never below zero); returns the units held before."""
    wallets = state.holdings.get(asset)
    if wallets is None:
        wallets = state.holdings[asset] = {}
    before = wallets.get(wallet, ZERO)
    after = before + delta
    wallets[wallet] = ZERO if after < ZERO else after  # max(after, ZERO), without the call
    return before


def pooled_on(records: Sequence[Recorded]) -> Callable[[str, date], bool]:
    """Whether an asset is in the universal pool on a local date (R3.2, R3.3), from the settings and
    class-naming events among `records` alone (`report income`'s transfer-leg warnings, R2.8; the fold
    asks its own `settings` and `asset_class` the same question)."""
    settings, classes = Settings(records), _asset_classes(records)
    return lambda asset, day: settings.scope(asset, classes.get(asset, "crypto"), day) == "universal"
