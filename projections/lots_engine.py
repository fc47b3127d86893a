"""The lot engine: book acquisitions and disposals into lots and Form 8949 slices (R1-R3, R7).

A pure, deterministic fold over the live events (knowledge already applied), in event-time order
(ties by seq). Settings (`method`, `policy`, `allocate`, asset classes) are indexed first; then
`step(state, record)` applies one trade to a `LotBookState` and `finish(state)` builds the `Booked`
value. No I/O, no clock, no floats; all arithmetic runs in a local 34-digit Decimal context.

- Basis (R2.1-R2.3, R7.1): buy = qty x price (or total) + fee; a swap's received side = `value`
  (its fee is not added); income = `value`. Transfers keep basis and the original date (R2.5).
- Proceeds: sell = qty x price (or total) - fee; swap = `value` - fee (R2.3); fee = `value`
  (R2.4); transfer fee units = `fee_value` (R2.6 default; `policy` transfer_fee=carry leaves their
  basis on the arriving units). Proceeds go to slices pro rata by qty; the last gets the remainder.
- Lot selection (R3.1-R3.3): the method in force (projections.settings), or a sell's `lots`; pools
  per wallet for stocks and for crypto from 2025-01-01, one universal pool for crypto before that
  (unless elected per wallet); the 2025 safe-harbor allocation (R3.4, rules/safe_harbor.py).

Problems reported (never raised): `missing-basis` (R3.5), `transfer-short` (R3.5),
`wallet-oversold` (universal pool), `lots-unsatisfiable` and `late-identification` (R3.6),
`late-allocation` (R3.4), plus the allocation problems of rules/safe_harbor.py.

Example (R-E2): buy 0.5 BTC for 30,000 + 150 fee; sell for 40,000 - 200 fee -> one slice: proceeds
39,800, basis 30,150, gain 9,650.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Context, Decimal, FloatOperation, localcontext
from zoneinfo import ZoneInfo

from ledger.events import (
    WALLET_SCOPE_FROM,
    Allocate,
    AssetClass,
    Buy,
    Fee,
    Income,
    LotPick,
    MethodElection,
    Policy,
    Recorded,
    Scope,
    Sell,
    Swap,
    Transfer,
)
from projections.exact import minus, plus, pro_rata, total
from projections.model import (
    Acquisition,
    AcquisitionKind,
    Booked,
    DisposalKind,
    IncomeRow,
    OpenLot,
    Problem,
    Slice,
)
from projections.pools import Piece, Pool, Portion
from projections.rules.holding_period import local_date, long_term_from
from projections.rules.safe_harbor import Requested, allocate
from projections.settings import Settings

ZERO = Decimal(0)
PRECISION = 34  # CONTRACT §3: internal arithmetic uses a 34-digit context
UNIVERSAL = "*"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
ONE_DAY = timedelta(days=1)
STOCK_COVERED_FROM = date(2011, 1, 1)  # R6.2
CRYPTO_COVERED_FROM = date(2026, 1, 1)  # R6.2
TRADES = (Buy, Sell, Swap, Transfer, Fee, Income)
SETTINGS_EVENTS = (MethodElection, Policy, Allocate)  # what `Settings` and `allocations` are built from


class LotBookState:
    """Everything the fold carries between trades: a plain value that can be copied, or stored as an
    explicit snapshot (projections.checkpoint `snapshot`/`restore`)."""

    def __init__(
        self, records: Sequence[Recorded], *, tz: ZoneInfo, check_from_seq: int | None = None
    ) -> None:
        self.tz = tz
        self.settings = Settings(records)
        self.asset_class: dict[str, AssetClass] = _asset_classes(records)
        self.allocations: dict[str, Recorded] = {}
        self.settings_events: list[Recorded] = []  # the events `settings` and `allocations` come from
        for record in records:
            if isinstance(record.event, SETTINGS_EVENTS):
                self.settings_events.append(record)
                if isinstance(record.event, Allocate):
                    self.allocations[record.event.asset] = record  # the latest correction wins
        self.pools: dict[tuple[str, str], Pool] = {}
        self.scope_now: dict[str, Scope] = {}
        self.holdings: dict[str, dict[str, Decimal]] = {}  # asset -> wallet -> units held
        self.lot_keys: set[str] = set()
        self.next_uid = 0
        self.transitions = self.settings.transition_dates()
        self.next_transition = 0
        self.first_2025_disposal: dict[str, datetime] = {}  # asset -> its recorded_at
        self.allocation_used: dict[str, Recorded] = {}
        self.slices: list[Slice] = []
        self.acquisitions: list[Acquisition] = []
        self.income: list[IncomeRow] = []
        self.problems: list[Problem] = []
        self.check_from_seq = check_from_seq
        self.errors: list[str] = []
        self.long_term_from: dict[date, date] = {}  # cache: date acquired -> first long-term sale date


def _asset_classes(records: Sequence[Recorded]) -> dict[str, AssetClass]:
    """Each asset's class: fixed by the first event (in event time) that names it with one."""
    first: dict[str, tuple[datetime, int, AssetClass]] = {}  # asset -> the earliest (at, seq) naming a class
    for record in records:
        event = record.event
        if isinstance(event, Buy | Income) and event.class_ is not None:
            known = first.get(event.asset)
            if known is None or event.at < known[0] or (event.at == known[0] and record.seq < known[1]):
                first[event.asset] = (event.at, record.seq, event.class_)
    # in the order the assets were first named, as a sorted pass over those events would add them
    return {asset: named[2] for asset, named in sorted(first.items(), key=lambda item: item[1][:2])}


def _covered(asset_class: AssetClass, day: date) -> bool:
    """R6.2: the broker must report the basis of a lot acquired in that account from these dates."""
    return day >= (STOCK_COVERED_FROM if asset_class == "stock" else CRYPTO_COVERED_FROM)


def _fmt(q: Decimal) -> str:
    return format(q.normalize(), "f")


# ---------------------------------------------------------------- pools and transitions


def _pool(state: LotBookState, asset: str, wallet: str, day: date) -> Pool:
    scope = state.scope_now.get(asset)
    if scope is None:
        scope = state.settings.scope(asset, state.asset_class.get(asset, "crypto"), day)
        state.scope_now[asset] = scope
    key = (asset, UNIVERSAL if scope == "universal" else wallet)
    pool = state.pools.get(key)
    if pool is None:
        pool = state.pools[key] = Pool(*key)
    return pool


def _apply_transitions(state: LotBookState, upto: date | None) -> None:
    """Change pooling at 00:00 of each transition date up to `upto` (None: all) (R3.3, R3.4)."""
    while state.next_transition < len(state.transitions):
        day = state.transitions[state.next_transition]
        if upto is not None and day > upto:
            return
        state.next_transition += 1
        for asset in sorted(state.scope_now):
            new = state.settings.scope(asset, state.asset_class.get(asset, "crypto"), day)
            if new == state.scope_now[asset]:
                continue
            state.scope_now[asset] = new
            if new == "wallet":
                _split_universal(state, asset, day)
            else:
                _merge_wallets(state, asset)


def _merge_wallets(state: LotBookState, asset: str) -> None:
    """Wallet pools of `asset` become one universal pool (an election of universal scope before 2025)."""
    target = state.pools.setdefault((asset, UNIVERSAL), Pool(asset, UNIVERSAL))
    for key in sorted(k for k in state.pools if k[0] == asset and k[1] != UNIVERSAL):
        for piece in state.pools.pop(key).drain():
            target.add(piece)


def _split_universal(state: LotBookState, asset: str, day: date) -> None:
    """Allocate the open universal lots of `asset` to the wallets holding it the day before (R3.4)."""
    pool = state.pools.pop((asset, UNIVERSAL), None)
    if pool is None:
        return
    method = state.settings.method(None, asset, day - ONE_DAY).method
    pieces = sorted(pool.drain(), key=lambda p: p.key(method))
    requested: list[Requested] = []
    seq = 0
    record = state.allocations.get(asset)
    if record is not None and pieces:
        assert isinstance(record.event, Allocate)
        seq = record.seq
        state.allocation_used[asset] = record
        for entry in record.event.lots:
            lot = _resolve_lot(state, entry.lot, record.source)
            requested.append(Requested(lot, entry.lot, entry.wallet, entry.qty))
    holdings = dict(state.holdings.get(asset, {}))
    shares, problems = allocate(pieces, holdings, asset=asset, requested=requested, seq=seq)
    state.problems.extend(problems)
    for share in shares:
        old = share.piece
        _pool(state, asset, share.wallet, day).add(
            _new_piece(
                state,
                lot=old.lot,
                seq=old.seq,
                asset=asset,
                wallet=share.wallet,
                qty=share.qty,
                basis=share.basis,
                acquired_at=old.acquired_at,
                date_acquired=old.date_acquired,
                covered=old.covered,
                transferred=old.transferred,
            )
        )


def _new_piece(
    state: LotBookState,
    *,
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
    state.next_uid += 1
    return Piece(
        uid=state.next_uid,
        lot=lot,
        seq=seq,
        asset=asset,
        asset_class=state.asset_class.get(asset, "crypto"),
        wallet=wallet,
        qty=qty,
        basis=basis,
        acquired_at=acquired_at,
        acquired_us=(acquired_at - EPOCH) // ONE_US,
        date_acquired=date_acquired,
        covered=covered,
        transferred=transferred,
    )


def _hold(state: LotBookState, asset: str, wallet: str, delta: Decimal) -> Decimal:
    """Add `delta` to a wallet's units (never below zero); returns the units held before."""
    wallets = state.holdings.get(asset)
    if wallets is None:
        wallets = state.holdings[asset] = {}
    before = wallets.get(wallet, ZERO)
    after = before + delta
    wallets[wallet] = ZERO if after < ZERO else after  # max(after, ZERO), without the call
    return before


# ---------------------------------------------------------------- acquisitions


def _acquire(
    state: LotBookState,
    record: Recorded,
    *,
    kind: AcquisitionKind,
    asset: str,
    wallet: str,
    qty: Decimal,
    basis: Decimal,
    at: datetime,
    day: date,
) -> None:
    asset_class = state.asset_class.get(asset, "crypto")
    _pool(state, asset, wallet, day).add(
        _new_piece(
            state,
            lot=record.key,
            seq=record.seq,
            asset=asset,
            wallet=wallet,
            qty=qty,
            basis=basis,
            acquired_at=at,
            date_acquired=day,
            covered=_covered(asset_class, day),
            transferred=False,
        )
    )
    _hold(state, asset, wallet, qty)
    state.lot_keys.add(record.key)
    # positional, in field order (lot, seq, kind, asset, asset_class, wallet, acquired_at, date_acquired,
    # qty, basis): once per acquisition (projections.model)
    state.acquisitions.append(
        Acquisition(record.key, record.seq, kind, asset, asset_class, wallet, at, day, qty, basis)
    )


# ---------------------------------------------------------------- disposals


def _resolve_lot(state: LotBookState, name: str, source: str) -> str | None:
    """A lot named by its `id` within `source`, or by a full key from any source (CONTRACT §2)."""
    full = f"{source}:{name}"
    if full in state.lot_keys:
        return full
    return name if name in state.lot_keys else None


def _picks_problem(
    state: LotBookState, record: Recorded, pool: Pool, picks: Sequence[LotPick], qty: Decimal
) -> tuple[list[tuple[str, Decimal]], str]:
    """The resolved picks, or an explanation of why they cannot be satisfied."""
    resolved: list[tuple[str, Decimal]] = []
    wanted: dict[str, Decimal] = {}
    for pick in picks:
        lot = _resolve_lot(state, pick.lot, record.source)
        if lot is None:
            hint = "" if ":" in pick.lot else (
                f" in source {record.source!r}; name a lot of another source by its full key SOURCE:ID"
            )
            return [], f"names lot {pick.lot!r}, which no acquisition before the sale defines{hint}"
        wanted[lot] = wanted.get(lot, ZERO) + pick.qty
        resolved.append((lot, pick.qty))
    named = total(wanted.values())
    if named > qty:
        return [], f"names {_fmt(named)} units in `lots` but sells only {_fmt(qty)}"
    for lot, need in wanted.items():
        have = pool.lot_qty(lot)
        if have < need:
            where = "the universal pool" if pool.wallet == UNIVERSAL else f"wallet {pool.wallet!r}"
            return [], f"takes {_fmt(need)} of lot {lot}, which holds {_fmt(have)} in {where} at the time"
    return resolved, ""


def _select(
    state: LotBookState,
    record: Recorded,
    pool: Pool,
    *,
    wallet: str,
    asset: str,
    qty: Decimal,
    day: date,
    picks: Sequence[LotPick] | None,
) -> tuple[list[Portion], Decimal]:
    """Portions for a disposal or transfer: the sell's `lots` first, then the method in force (R3.1, R3.6)."""
    portions: list[Portion] = []
    if picks:
        resolved, why = _picks_problem(state, record, pool, picks, qty)
        if why:
            if state.check_from_seq is not None and record.seq >= state.check_from_seq:
                state.errors.append(f"{record.key} (seq {record.seq}): sell of {_fmt(qty)} {asset} {why}")
            choice = state.settings.method(wallet, asset, day)
            state.problems.append(
                Problem(
                    code="lots-unsatisfiable",
                    seq=record.seq,
                    message=f"sell {record.key} {why}; it falls back to {choice.method} (R3.6)",
                    hint="correct the sell's `lots`, or the acquisition it names",
                )
            )
        for lot, need in resolved:
            portions.extend(pool.take_lot(lot, need))
            qty -= need
    if qty > 0:
        choice = state.settings.method(wallet, asset, day)
        late = choice.recorded_at is not None and choice.recorded_at > record.recorded_at
        if late and len(pool.members) > 1:
            before = state.settings.method_known_at(wallet, asset, day, record.recorded_at)
            if before.method != choice.method:
                state.problems.append(
                    Problem(
                        code="late-identification",
                        seq=record.seq,
                        message=f"{record.key}: the {choice.method} election (seq {choice.seq}) was recorded "
                        f"after "
                        f"this disposal, which used {before.method} when it was recorded (R3.6)",
                        hint="identification must exist before the sale; keep the election only if it did",
                    )
                )
        more, qty = pool.take(qty, choice.method)
        portions.extend(more)
    return portions, qty


def _slices(
    state: LotBookState,
    record: Recorded,
    portions: Sequence[Portion],
    *,
    kind: DisposalKind,
    asset: str,
    wallet: str,
    uncovered: Decimal,
    proceeds: Decimal,
    at: datetime,
    day: date,
) -> None:
    """One slice per portion (plus the missing-basis rest), proceeds pro rata, the last gets the remainder."""
    asset_class = state.asset_class.get(asset, "crypto")
    parts = len(portions) + (1 if uncovered > 0 else 0)
    # the whole disposed quantity: for the shares of several parts, and the missing-basis message
    whole = plus(total(p.qty for p in portions), uncovered) if parts > 1 or uncovered > 0 else ZERO
    long_from = state.long_term_from
    left = proceeds
    for order, portion in enumerate(portions):
        piece = portion.piece
        if parts == 1:  # the only slice: all the proceeds
            share = left
        else:
            share = left if order == parts - 1 else pro_rata(proceeds, portion.qty, whole)
            left = minus(left, share)
        acquired = piece.date_acquired
        long_term = long_from.get(acquired)
        if long_term is None:
            long_term = long_from[acquired] = long_term_from(acquired)
        # positional, in field order (seq, event_key, kind, order, asset, asset_class, wallet, lot, qty,
        # acquired_at, date_acquired, sold_at, date_sold, proceeds, basis, term, covered, adjustment,
        # code, transferred): several times faster than keywords, once per slice (projections.model)
        state.slices.append(
            Slice(
                record.seq, record.key, kind, order, asset, asset_class, wallet, piece.lot, portion.qty,
                piece.acquired_at, piece.date_acquired, at, day, share, portion.basis,
                "long" if day >= long_term else "short",  # R1.2, as rules.holding_period.term
                piece.covered, ZERO, "", piece.transferred,
            )
        )
    if uncovered > 0:
        state.slices.append(
            Slice(
                seq=record.seq,
                event_key=record.key,
                kind=kind,
                order=len(portions),
                asset=asset,
                asset_class=asset_class,
                wallet=wallet,
                lot="",
                qty=uncovered,
                acquired_at=at,
                date_acquired=day,
                sold_at=at,
                date_sold=day,
                proceeds=left,
                basis=ZERO,
                term="short",
                covered=False,
                missing_basis=True,
            )
        )
        state.problems.append(
            Problem(
                code="missing-basis",
                seq=record.seq,
                message=f"{record.key}: {_fmt(uncovered)} of {_fmt(whole)} {asset} disposed from {wallet!r} "
                f"on {day} "
                "have no lot; reported with zero basis, acquired on the sale date, short-term (R3.5)",
                hint="import the missing acquisitions or transfers in",
            )
        )
    if day >= WALLET_SCOPE_FROM:
        state.first_2025_disposal.setdefault(asset, record.recorded_at)


def _dispose(
    state: LotBookState,
    record: Recorded,
    *,
    kind: DisposalKind,
    asset: str,
    wallet: str,
    qty: Decimal,
    proceeds: Decimal,
    at: datetime,
    day: date,
    picks: Sequence[LotPick] | None = None,
) -> None:
    pool = _pool(state, asset, wallet, day)
    held = _hold(state, asset, wallet, -qty)
    if pool.wallet == UNIVERSAL and held < qty:
        state.problems.append(
            Problem(
                code="wallet-oversold",
                seq=record.seq,
                message=f"{record.key}: {wallet!r} disposes of {_fmt(qty)} {asset} but holds {_fmt(held)}; "
                "the universal pool supplies lots acquired in other wallets",
                hint="check for a missing transfer into this wallet",
            )
        )
    portions, uncovered = _select(
        state, record, pool, wallet=wallet, asset=asset, qty=qty, day=day, picks=picks
    )
    _slices(
        state,
        record,
        portions,
        kind=kind,
        asset=asset,
        wallet=wallet,
        uncovered=uncovered,
        proceeds=proceeds,
        at=at,
        day=day,
    )


def _split(portions: Sequence[Portion], qty: Decimal) -> tuple[list[Portion], list[Portion]]:
    """The first `qty` units of `portions`, and the rest (a portion on the boundary splits pro rata)."""
    head: list[Portion] = []
    tail: list[Portion] = []
    for portion in portions:
        if qty <= 0:
            tail.append(portion)
        elif portion.qty <= qty:
            head.append(portion)
            qty -= portion.qty
        else:
            basis = pro_rata(portion.basis, qty, portion.qty)
            head.append(Portion(portion.piece, qty, basis))
            tail.append(Portion(portion.piece, minus(portion.qty, qty), minus(portion.basis, basis)))
            qty = ZERO
    return head, tail


def _transfer(state: LotBookState, record: Recorded, event: Transfer, day: date) -> None:
    """Move lots between own wallets (R2.5); the fee units are the first selected (R2.6)."""
    asset, source, target = event.asset, event.from_, event.to
    fee_qty = event.fee_qty or ZERO
    carry = state.settings.transfer_fee(day) == "carry"
    pool = _pool(state, asset, source, day)
    held = _hold(state, asset, source, -event.qty)
    moved = min(event.qty, held)
    if held < event.qty:
        state.problems.append(
            Problem(
                code="transfer-short",
                seq=record.seq,
                message=f"{record.key}: transfer of {_fmt(event.qty)} {asset} from {source!r}, which holds "
                f"{_fmt(held)}; what exists is moved (R3.5)",
                hint="check for a missing acquisition or transfer into this wallet",
            )
        )
    if pool.wallet == UNIVERSAL:  # one pool: only the fee units leave it
        _hold(state, asset, target, max(moved - fee_qty, ZERO))
        if fee_qty > 0:
            portions, uncovered = _select(
                state, record, pool, wallet=source, asset=asset, qty=fee_qty, day=day, picks=None
            )
            method = state.settings.method(source, asset, day).method
            heir = pool.peek(method) if carry and uncovered == 0 else None
            if heir is not None:
                heir.basis = plus(heir.basis, total(p.basis for p in portions))
            else:
                _slices(
                    state,
                    record,
                    portions,
                    kind="transfer_fee",
                    asset=asset,
                    wallet=source,
                    uncovered=uncovered,
                    proceeds=event.fee_value or ZERO,
                    at=event.at,
                    day=day,
                )
        return
    portions, uncovered = _select(
        state, record, pool, wallet=source, asset=asset, qty=event.qty, day=day, picks=None
    )
    if uncovered > 0 and held >= event.qty:
        state.problems.append(
            Problem(
                code="transfer-short",
                seq=record.seq,
                message=f"{record.key}: transfer of {_fmt(event.qty)} {asset} from {source!r} finds lots for "
                f"{_fmt(event.qty - uncovered)}; what exists is moved (R3.5)",
                hint="check for a missing acquisition or transfer into this wallet",
            )
        )
    fee_part, arriving = _split(portions, fee_qty)
    fee_missing = max(minus(fee_qty, total(p.qty for p in fee_part)), ZERO)
    if fee_qty > 0:
        if carry and arriving and fee_missing == 0:
            first = arriving[0]
            arriving[0] = Portion(first.piece, first.qty, plus(first.basis, total(p.basis for p in fee_part)))
        else:
            _slices(
                state,
                record,
                fee_part,
                kind="transfer_fee",
                asset=asset,
                wallet=source,
                uncovered=fee_missing,
                proceeds=event.fee_value or ZERO,
                at=event.at,
                day=day,
            )
    target_pool = _pool(state, asset, target, day)
    for portion in arriving:
        old = portion.piece
        target_pool.add(
            _new_piece(
                state,
                lot=old.lot,
                seq=old.seq,
                asset=asset,
                wallet=target,
                qty=portion.qty,
                basis=portion.basis,
                acquired_at=old.acquired_at,
                date_acquired=old.date_acquired,
                covered=False,
                transferred=True,
            )
        )
    _hold(state, asset, target, total(p.qty for p in arriving))


# ---------------------------------------------------------------- the fold


def _gross(qty: Decimal, price: Decimal | None, total: Decimal | None) -> Decimal:
    return total if total is not None else qty * (price or ZERO)


def step(state: LotBookState, record: Recorded) -> None:
    """Apply one trade (callers feed trades in (at, seq) order; settings events are ignored here)."""
    event = record.event
    if not isinstance(event, TRADES):
        return
    at = event.at
    day = local_date(at, state.tz)
    transitions = state.transitions
    if state.next_transition < len(transitions) and transitions[state.next_transition] <= day:
        _apply_transitions(state, day)
    match event:
        case Buy():
            basis = _gross(event.qty, event.price, event.total) + (event.fee or ZERO)
            _acquire(
                state,
                record,
                kind="buy",
                asset=event.asset,
                wallet=event.wallet,
                qty=event.qty,
                basis=basis,
                at=at,
                day=day,
            )
        case Sell():
            proceeds = _gross(event.qty, event.price, event.total) - (event.fee or ZERO)
            _dispose(
                state,
                record,
                kind="sell",
                asset=event.asset,
                wallet=event.wallet,
                qty=event.qty,
                proceeds=proceeds,
                at=at,
                day=day,
                picks=event.lots,
            )
        case Swap():
            _dispose(
                state,
                record,
                kind="swap",
                asset=event.give_asset,
                wallet=event.wallet,
                qty=event.give_qty,
                proceeds=event.value - (event.fee or ZERO),
                at=at,
                day=day,
            )
            _acquire(
                state,
                record,
                kind="swap",
                asset=event.get_asset,
                wallet=event.wallet,
                qty=event.get_qty,
                basis=event.value,
                at=at,
                day=day,
            )
        case Fee():
            _dispose(
                state,
                record,
                kind="fee",
                asset=event.asset,
                wallet=event.wallet,
                qty=event.qty,
                proceeds=event.value,
                at=at,
                day=day,
            )
        case Income():
            _acquire(
                state,
                record,
                kind="income",
                asset=event.asset,
                wallet=event.wallet,
                qty=event.qty,
                basis=event.value,
                at=at,
                day=day,
            )
            state.income.append(_income_row(record, event, day))
        case Transfer():
            _transfer(state, record, event, day)


def _income_row(record: Recorded, event: Income, day: date) -> IncomeRow:
    return IncomeRow(
        seq=record.seq, key=record.key, at=event.at, date=day, wallet=event.wallet, asset=event.asset,
        qty=event.qty, value=event.value, kind=event.kind,
    )


def income_rows(known: Iterable[Recorded], *, tz: ZoneInfo) -> list[IncomeRow]:
    """`Booked.income` of the live events `known` without the fold: an income event is ordinary
    income at its value when received (R7.1), whatever the lots do; rows in (event time, seq) order."""
    rows = [_income_row(r, r.event, local_date(r.event.at, tz)) for r in known if isinstance(r.event, Income)]
    rows.sort(key=lambda row: (row.at, row.seq))
    return rows


def finish(state: LotBookState, *, until: datetime | None = None) -> Booked:
    """Apply the pooling changes due by `until` (None: all) and build the result."""
    _apply_transitions(state, None if until is None else local_date(until, state.tz))
    problems = list(state.problems)
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
    return Booked(
        slices=tuple(state.slices if _in_8949_order(state.slices) else sorted(state.slices, key=_8949_key)),
        acquisitions=tuple(state.acquisitions),
        open_lots=tuple(open_lots),
        income=tuple(state.income),
        problems=tuple(problems),
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


def _trades(records: Sequence[Recorded], until: datetime | None) -> list[Recorded]:
    trades = [r for r in records if isinstance(r.event, TRADES) and (until is None or r.event.at <= until)]
    if not _in_time_order(trades):
        trades.sort(key=lambda r: (r.event.at, r.seq))  # type: ignore[union-attr]
    return trades


def _in_time_order(trades: list[Recorded]) -> bool:
    """Whether the trades are already in (event time, seq) order, as a log recorded in event time
    order is: no sort keys for a million trades then."""
    if not trades:
        return True
    at, seq = trades[0].event.at, trades[0].seq  # type: ignore[union-attr]
    for record in trades:
        now = record.event.at  # type: ignore[union-attr]
        if now < at or (now == at and record.seq < seq):
            return False
        at, seq = now, record.seq
    return True


def fold_order(records: Sequence[Recorded], *, until: datetime | None = None) -> list[Recorded]:
    """The trades of `records` (up to event time `until`) in the order `fold` steps them: (event time, seq)."""
    return _trades(records, until)


@contextmanager
def exact() -> Iterator[Context]:
    """The engine's arithmetic: a local 34-digit context (CONTRACT §3) with FloatOperation trapped.
    Every fold, `finish` and snapshot runs inside it; the caller's context is left as it was."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ctx.traps[FloatOperation] = True
        yield ctx


def fold(state: LotBookState, trades: Iterable[Recorded]) -> LotBookState:
    """The one driver of `step`: apply `trades` (already in (event time, seq) order, `fold_order`)
    to `state` inside `exact()` and return it. Every projection folds through here: `book`,
    `resume`, `check_lot_references` and the streamed pipeline (projections.pipeline)."""
    with exact():
        for record in trades:
            step(state, record)
    return state


def book(records: Sequence[Recorded], *, tz: ZoneInfo, until: datetime | None = None) -> Booked:
    """Lots, 8949 slices, acquisitions, income and problems of the live events (trades up to `until`)."""
    with exact():
        state = fold(LotBookState(records, tz=tz), _trades(records, until))
        return finish(state, until=until)


def resume(state: LotBookState, records: Sequence[Recorded]) -> LotBookState:
    """Step the trades of `records` into `state` in (event time, seq) order and return it: `book`
    without building the state and without `finish`, for a state restored from a checkpoint."""
    return fold(state, _trades(records, None))


def check_lot_references(records: Sequence[Recorded], *, tz: ZoneInfo, from_seq: int = 1) -> list[str]:
    """Import-time check of specific identification: one message per sell (seq >= from_seq) whose `lots`
    names an unknown lot, or more than the lot holds at the time of the sale (CONTRACT §2)."""
    with exact():
        state = LotBookState(records, tz=tz, check_from_seq=from_seq)
    return fold(state, _trades(records, None)).errors
