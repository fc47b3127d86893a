"""Checkpoints of the lot engine's fold: the state a report after an append folds its tail into.

A checkpoint is the `LotBookState` after every live trade of the log up to seq S had been stepped
(before `finish`), without its output lists: pools of open lots, settings, holdings (small, whatever
the log's length), with its horizon: the largest (event time, seq) among those trades.
projections.year_checkpoint stores each year's Schedule D totals next to it. It is a cache, never the
truth (STYLE.md 23): keyed by the code version (see below) and S, and used only when the result is
provably the one a full replay gives. The rule here (`tail_qualifies` and `adopt_classes`): every
event in (S, K] is

- a trade sorting after the horizon (event time >= the horizon's; the seq is larger anyway) that
  gives no `stock` class to an asset the state already used without a class, or
- an event the engine ignores (`profile`, `carryover`, `wallet`).

A `withdrawal`, a `deposit` or a `transfer` with `legs` never qualifies: whether a leg is paired
depends on the whole live log (R2.8, `rules/transfer_legs.py`), which the snapshot does not keep.

Anything else (a `retract` of anything, `method`, `policy`, `allocate`, a backdated trade) changes
what the state holds or was built from: the checkpoint is unusable and the caller tries an older one
or replays fully (year_checkpoint adds its own conditions).

The stored form is an explicit value, `EngineSnapshot` (`snapshot(state)` and `restore(snapshot, tz)`,
encoded as msgpack with Decimals as strings by `freeze_engine` and decoded by a typed decoder in
`thaw_engine`): data, never code, so a ledger file from elsewhere can hold nothing but these fields.
It keeps exactly what `resume`, `finish` and the reuse rule read: the settings events (`method`,
`policy`, `allocate`) the state was built from, the asset classes, every pool with its open pieces
(their lot facts, in pool order), the pool scopes, the holdings per wallet, the piece counter, the
pooling changes already applied, each asset's first 2025 disposal, the allocations used and the lot
keys those allocations name. Not kept: the output lists (slices, acquisitions, income, problems:
the caller keeps what it needs of them, year_checkpoint), the caches (selection heaps, methods in
force, long-term dates: rebuilt on first use) and the other lot keys (a tail that names `lots` is
never folded into a checkpoint).

Evolution of the stored form (STYLE.md 4; the structs are `array_like`): a new field goes at the end
with a default, so older snapshots still decode (and a newer snapshot decodes here, its extra
fields ignored). A breaking change (a field removed, retyped or
reordered) bumps `SCHEMA`; a snapshot with another `schema`, or one that does not decode, is simply
ignored (`thaw_engine` gives None): checkpoints are a cache, the caller replays. No upcaster is
needed for a cache. The checkpoint's key, the code version (a digest of the projection code), is
computed outside projections/, lazily (`ledger.checkpoints.code_version`): this module reads no file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from ..ledger.events import (
    CORPORATE,
    LEGS,
    TRADES,
    Allocate,
    AssetClass,
    Buy,
    Carryover,
    Income,
    Profile,
    Recorded,
    Scope,
    Transfer,
    WalletInfo,
)
from .engine import EPOCH, ONE_US, LotBookState, finish, resume
from .engine.transitions import apply_transitions
from .exact import exact_context
from .model import Booked
from .pools import Piece, Pool
from .rules.prices import needs_price

V = TypeVar("V")

KEEP = 2  # checkpoints kept per ledger (the newest); older ones are pruned
IGNORED = (Profile, Carryover, WalletInfo)  # events the lot engine never reads

Horizon = tuple[datetime, int]  # (event time, seq) of the last trade folded


# ---------------------------------------------------------------- the reuse rule


def horizon_text(horizon: Horizon | None) -> str:
    """The stored form of a horizon ("" when no trade was folded)."""
    return "" if horizon is None else f"{horizon[0].isoformat()}#{horizon[1]}"


def parse_horizon(text: str) -> Horizon | None:
    if not text:
        return None
    at, _, seq = text.rpartition("#")
    return datetime.fromisoformat(at), int(seq)


def tail_qualifies(horizon: Horizon | None, tail: Iterable[Recorded]) -> bool:
    """Whether a checkpoint with `horizon` may serve a replay whose events after it are `tail` (seq order).

    Every tail event must be a trade at or after the horizon's event time, or an event the engine ignores.
    A trade without `value` (valued from the log's prices, which a snapshot does not keep) and a `price`
    (it may value a trade already folded) also make the checkpoint unusable.
    """
    for record in tail:
        event = record.event
        if isinstance(event, CORPORATE):
            return False  # a split, gift, ...: the state keeps what it needs outside the snapshot
        if isinstance(event, LEGS) or (isinstance(event, Transfer) and event.legs):
            return False  # pairing is decided over the whole live log (R2.8), which a snapshot does not hold
        if isinstance(event, TRADES):
            if horizon is not None and event.at < horizon[0]:
                return False  # backdated: it would have been folded before trades the state holds
            if needs_price(event):
                return False  # valued at replay from prices the snapshot does not hold
        elif not isinstance(event, IGNORED):
            return False  # retract, method, policy, allocate, price: the state's inputs changed
    return True


def adopt_classes(state: LotBookState, tail: Iterable[Recorded]) -> bool:
    """Add the asset classes the tail names to `state` as the constructor would (first by event time);
    False (state untouched) when the tail names `stock` for an asset the state already used without a class."""
    named = [r for r in tail if isinstance(r.event, Buy | Income) and r.event.class_ is not None]
    named.sort(key=lambda r: (r.event.at, r.seq))  # type: ignore[union-attr]
    used = state.scope_now.keys() | state.holdings.keys()
    added: dict[str, Any] = {}
    for record in named:
        event = record.event
        assert isinstance(event, Buy | Income) and event.class_ is not None
        if event.asset in state.asset_class or event.asset in added:
            continue
        if event.asset in used and event.class_ != "crypto":  # crypto is what an unnamed class means
            return False  # a full replay would give the earlier units this class too
        added[event.asset] = event.class_
    state.asset_class.update(added)
    return True


def last_trade(known: Iterable[Recorded]) -> Horizon | None:
    """The horizon of a full fold of `known`: the largest (event time, seq) among its trades."""
    horizon: Horizon | None = None
    for record in known:
        event = record.event
        if isinstance(event, TRADES):
            point = (event.at, record.seq)
            if horizon is None or point > horizon:
                horizon = point
    return horizon


# ---------------------------------------------------------------- folding


def fold(state: LotBookState, records: Iterable[Recorded]) -> LotBookState:
    """Fold the trades of `records` into `state` in (event time, seq) order (`projections.engine.resume`)."""
    return resume(state, list(records))


def booked(state: LotBookState) -> Booked:
    """`finish` in the engine's arithmetic context (it applies the pooling changes still due)."""
    with exact_context():
        return finish(state)


# ---------------------------------------------------------------- the stored form


STATE = "state"  # the part's name in a checkpoint
SCHEMA = 1  # the stored form's number: bump it on a breaking change (module docstring)


class PieceFacts(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """One open piece of a lot (`projections.pools.Piece`; its asset is its pool's).

    Attributes:
        uid: the piece's number (the last tie-breaker of every lot method).
        lot: full key of the acquisition.
        seq: the acquisition's seq.
        asset_class: crypto or stock.
        wallet: the wallet the units were acquired in or moved to (in a universal pool, not `*`).
        qty: units held.
        basis: their basis.
        unit_cost: HIFO/LOFO's rank, fixed when the piece entered its pool (not basis / qty after
            partial takes).
        acquired_at: acquisition time (UTC).
        date_acquired: local date.
        covered: the broker has to report its basis (R6.2).
        transferred: arrived by a self-transfer.
    """

    uid: int
    lot: str
    seq: int
    asset_class: AssetClass
    wallet: str
    qty: Decimal
    basis: Decimal
    unit_cost: Decimal
    acquired_at: datetime
    date_acquired: date
    covered: bool
    transferred: bool


class PoolFacts(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """One pool (`projections.pools.Pool`) without its selection heaps.

    Attributes:
        asset: the asset.
        wallet: the wallet, or `*` for a universal pool.
        qty: the pool's running total of units, as the fold left it.
        pieces: its open pieces in the pool's order (specific identification takes a lot's pieces in it).
    """

    asset: str
    wallet: str
    qty: Decimal
    pieces: list[PieceFacts]


class EngineSnapshot(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """The lot engine's state between trades, as a checkpoint stores it (`LotBookState` minus its outputs).

    Attributes:
        schema: `SCHEMA` when it was made; any other number makes it unusable.
        tz: the ledger's time zone (its IANA key) the state's local dates were computed in.
        settings_events: the `method`, `policy` and `allocate` events the state was built from, in seq order.
        asset_class: each asset's class, in the order the assets were named.
        pools: every pool, in the state's order.
        scope_now: each asset's current pooling scope.
        holdings: asset -> wallet -> units held.
        next_uid: the last piece number given out.
        next_transition: how many of the pooling changes (`Settings.transition_dates`) were applied.
        first_2025_disposal: asset -> when its first disposal from 2025 on was recorded.
        allocation_used: the assets whose `allocate` event a pooling change applied.
        lot_keys: the lot keys the `allocate` events name that existed (the only ones a fold that
            names no `lots` reads).
        extended: the fold met an event of CONTRACT §4 "More events" (a gift's dual basis, a split
            the wash-sale pass follows): not kept here, so such a snapshot is never restored.
    """

    schema: int
    tz: str
    settings_events: list[Recorded]
    asset_class: dict[str, AssetClass]
    pools: list[PoolFacts]
    scope_now: dict[str, Scope]
    holdings: dict[str, dict[str, Decimal]]
    next_uid: int
    next_transition: int
    first_2025_disposal: dict[str, datetime]
    allocation_used: list[str]
    lot_keys: list[str]
    extended: bool = False


def _pool_facts(pool: Pool) -> PoolFacts:
    pieces = [
        PieceFacts(
            uid=p.uid, lot=p.lot, seq=p.seq, asset_class=p.asset_class, wallet=p.wallet, qty=p.qty, basis=p.basis,
            unit_cost=p.unit_cost, acquired_at=p.acquired_at, date_acquired=p.date_acquired, covered=p.covered,
            transferred=p.transferred,
        )
        for p in pool.members.values()
    ]
    return PoolFacts(asset=pool.asset, wallet=pool.wallet, qty=pool.qty, pieces=pieces)


def _allocation_names(allocations: Iterable[Recorded]) -> set[str]:
    """Every key an `allocate` event's lot can resolve to (`projections.engine.selection.resolve_lot`)."""
    names: set[str] = set()
    for record in allocations:
        assert isinstance(record.event, Allocate)
        for entry in record.event.lots:
            names.update((f"{record.source}:{entry.lot}", entry.lot))
    return names


def snapshot(state: LotBookState) -> EngineSnapshot:
    """The state without its output lists, heaps and lot keys, as a value (take it before `finish`,
    which changes the pools)."""
    return EngineSnapshot(
        schema=SCHEMA,
        tz=state.tz.key,
        settings_events=list(state.settings_events),
        asset_class=dict(state.asset_class),
        pools=[_pool_facts(pool) for pool in state.pools.values()],
        scope_now=dict(state.scope_now),
        holdings={asset: dict(wallets) for asset, wallets in state.holdings.items()},
        next_uid=state.next_uid,
        next_transition=state.next_transition,
        first_2025_disposal=dict(state.first_2025_disposal),
        allocation_used=list(state.allocation_used),
        lot_keys=sorted(_allocation_names(state.allocations.values()) & state.lot_keys),
        extended=state.extended,
    )


def restore(snap: EngineSnapshot, tz: ZoneInfo) -> LotBookState:
    """The state `snap` was taken of, with empty output lists; ValueError when `snap` has another
    `schema`, was made for another time zone, or does not hold together."""
    if snap.schema != SCHEMA:
        raise ValueError(f"checkpoint schema {snap.schema}, this gainlog reads {SCHEMA}")
    if snap.tz != tz.key:
        raise ValueError(f"checkpoint made for time zone {snap.tz}, the ledger's is {tz.key}")
    if snap.extended:
        raise ValueError("checkpoint of a log with splits, gifts or other CONTRACT §4 events: replay")
    state = LotBookState(snap.settings_events, tz=tz)  # settings, allocations and the pooling changes
    if not set(snap.allocation_used) <= state.allocations.keys() or snap.next_transition > len(state.transitions):
        raise ValueError("checkpoint names allocations or pooling changes its settings do not have")
    state.asset_class = dict(snap.asset_class)
    with exact_context():
        for facts in snap.pools:
            pool = Pool(facts.asset, facts.wallet)
            for p in facts.pieces:
                piece = Piece(
                    uid=p.uid, lot=p.lot, seq=p.seq, asset=facts.asset, asset_class=p.asset_class, wallet=p.wallet,
                    qty=p.qty, basis=p.basis, acquired_at=p.acquired_at,
                    acquired_us=(p.acquired_at - EPOCH) // ONE_US, date_acquired=p.date_acquired,
                    covered=p.covered, transferred=p.transferred, unit_cost=p.unit_cost,
                )
                pool.add(piece)
            pool.qty = facts.qty
            state.pools[facts.asset, facts.wallet] = pool
    state.scope_now = dict(snap.scope_now)
    state.holdings = {asset: dict(wallets) for asset, wallets in snap.holdings.items()}
    state.lot_keys = set(snap.lot_keys)
    state.next_uid = snap.next_uid
    state.next_transition = snap.next_transition
    state.first_2025_disposal = dict(snap.first_2025_disposal)
    state.allocation_used = {asset: state.allocations[asset] for asset in snap.allocation_used}
    return state


_ENCODER = msgspec.msgpack.Encoder(decimal_format="string")


@functools.cache
def _decoder() -> msgspec.msgpack.Decoder[EngineSnapshot]:
    """The snapshot's decoder, built on first use: building it resolves the annotations of ~30 Structs
    (~2 ms), which a replay that neither keeps nor reads a checkpoint (every `report all` of a small
    log) never needs."""
    return msgspec.msgpack.Decoder(EngineSnapshot)


def freeze_engine(state: LotBookState) -> bytes:
    """`snapshot(state)` as bytes (msgpack, Decimals as strings)."""
    return _ENCODER.encode(snapshot(state))


def thaw_engine(blob: bytes, *, tz: ZoneInfo) -> LotBookState | None:
    """The state `freeze_engine` stored, with empty output lists (None when the blob is not a snapshot
    of this `SCHEMA`, or was made for another time zone: the caller replays)."""
    try:
        return restore(_decoder().decode(blob), tz)
    except (msgspec.DecodeError, ValueError, ArithmeticError):
        return None


# ---------------------------------------------------------------- the shards' states as one


def merge_engines(blobs: Sequence[bytes], *, tz: ZoneInfo) -> bytes | None:
    """`merge_snapshots` of the shards' `freeze_engine` bytes, as bytes (None: no checkpoint)."""
    try:
        snaps = [_decoder().decode(blob) for blob in blobs]
    except msgspec.DecodeError:
        return None
    merged = merge_snapshots(snaps, tz=tz)
    return None if merged is None else _ENCODER.encode(merged)


def merge_snapshots(snaps: Sequence[EngineSnapshot], *, tz: ZoneInfo) -> EngineSnapshot | None:
    """The snapshot one process would have taken, from those of the shards of a parallel replay
    (`projections.shards`: each folded the trades of its assets and every other event), or None
    when that cannot be made exactly (then no checkpoint: a cache may be missing, never wrong).

    Every shard read the same settings events; what the state holds per asset (classes, pools,
    scopes, holdings, first 2025 disposals, allocations used) is each asset's shard's, so the
    union (an asset in two shards with different values: None); the lot keys are the union too.
    `next_uid`: the largest. A piece's number only breaks ties within its pool, whose asset is in one
    shard; each shard numbered its assets' pieces in the order one process did (the same trades
    in the same order), and the pieces a later fold adds get larger numbers than any: the same
    choices. `next_transition`: a pooling change (`Settings.transition_dates`) is applied by the
    first trade on or after its date (or a year's end, `year_end`), so a shard whose last trade came
    before it has not applied it, though one process has (another shard's trade did). Such a shard
    is brought up to the others by the same `apply_transitions` (no trade of its assets came in
    between: the same pools), which must report no problem (the shards' `finish` reported none,
    else the replay ran in one process). None when the most advanced shard still has a change
    due (the last trade came before it: one process may have applied more, and a checkpoint with
    a change due never serves, `year_checkpoint`), or a shard met an event of CONTRACT §4 "More
    events" (`extended`: never restored)."""
    if not snaps:
        return None
    first = snaps[0]
    if any(s.schema != SCHEMA or s.tz != tz.key or s.extended or s.settings_events != first.settings_events
           for s in snaps):
        return None
    due = len(LotBookState(first.settings_events, tz=tz).transitions)
    if max(s.next_transition for s in snaps) < due:
        return None
    caught = [s if s.next_transition == due else _caught_up(s, tz) for s in snaps]
    if any(s is None for s in caught):
        return None
    done = [s for s in caught if s is not None]
    pools = [pool for s in done for pool in s.pools]
    if len({(pool.asset, pool.wallet) for pool in pools}) != len(pools):
        return None
    asset_class = _union(s.asset_class for s in done)
    scope_now = _union(s.scope_now for s in done)
    holdings = _union(s.holdings for s in done)
    first_2025 = _union(s.first_2025_disposal for s in done)
    if asset_class is None or scope_now is None or holdings is None or first_2025 is None:
        return None
    return EngineSnapshot(
        schema=SCHEMA, tz=tz.key, settings_events=list(first.settings_events), asset_class=asset_class, pools=pools,
        scope_now=scope_now, holdings=holdings, next_uid=max(s.next_uid for s in done), next_transition=due,
        first_2025_disposal=first_2025, allocation_used=sorted({a for s in done for a in s.allocation_used}),
        lot_keys=sorted({k for s in done for k in s.lot_keys}),
    )


def _caught_up(snap: EngineSnapshot, tz: ZoneInfo) -> EngineSnapshot | None:
    """`snap` with every pooling change applied, as `finish` applies them; None when that reports
    a problem or `snap` does not restore."""
    try:
        state = restore(snap, tz)
    except (ValueError, ArithmeticError):
        return None
    with exact_context():
        apply_transitions(state, None)
    return None if state.problems else snapshot(state)


def _union(maps: Iterable[Mapping[str, V]]) -> dict[str, V] | None:
    """The maps as one, in their order; None when two give one key different values."""
    out: dict[str, V] = {}
    for mapping in maps:
        for key, value in mapping.items():
            if out.setdefault(key, value) != value:
                return None
    return out
