"""Book: each leg of a trade (`projections/engine/legs.py`) applied to the state, uniformly.

- `Acquire`: a new lot piece in the pool of (asset, wallet or `*`), covered per R6.2
  (`rules/form_box.py` `covered`), and an `Acquisition` (a wash-sale replacement candidate).
- `Dispose`: pieces selected (`selection.select`), one `Slice` per piece, proceeds pro rata by
  quantity with the last slice taking the remainder (R2.7), the term by R1.2
  (`rules/holding_period.py`); units no lot covers become a missing-basis slice (R3.5).
- `TransferOut` / `TransferIn`: the sent pieces keep basis and date and arrive transferred,
  noncovered (R2.5, R6.2); the fee units, selected first, are a `transfer_fee` disposal at
  `fee_value`, or under `policy` `transfer_fee: carry` their basis stays on the first arriving
  piece (R2.6, `rules/basis.py`). In a universal pool only the fee units leave.
- `Earn`: an `IncomeRow` (R7.1).

A sell's `wash_disallowed` (the broker's figure, R4.6) goes on its slices as code W adjustments
(`rules.wash_sale.reported_shares`), and the sell is noted in `state.reported` for the wash-sale pass.

Problems: `missing-basis` (R3.5), `transfer-short` (R3.5), `wallet-oversold` (universal pool),
`wash-disallowed-above-loss` (R4.6), plus those of selection.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

import msgspec

from ...ledger.events import WALLET_SCOPE_FROM, AssetClass, Recorded
from ..exact import minus, plus, pro_rata, total
from ..form8949 import money
from ..model import (
    SPECIFIC,
    DisposalKind,
    IncomeRow,
    LotMethod,
    Problem,
    Slice,
    make_acquisition,
    make_slice,
)
from ..pools import Portion
from ..rules.basis import carries_fee, transfer_fee_proceeds
from ..rules.form_box import covered
from ..rules.gifts import disposal_basis, loss_basis
from ..rules.wash_sale import reported_shares
from .legs import Acquire, Dispose, Earn, Leg, TransferIn, TransferOut
from .selection import Selection, select, split
from .state import UNIVERSAL, ZERO, LotBookState, fmt, hold, new_piece, pool_for


class Transit(msgspec.Struct, frozen=True, gc=False):
    """What a `TransferOut` sent and its `TransferIn` receives.

    Attributes:
        portions: the sent pieces' portions (wallet pools), or None (a universal pool, where nothing
            leaves but the fee units).
        qty: with no portions, the units the receiving wallet now holds more of.
    """

    portions: list[Portion] | None
    qty: Decimal


def book_legs(state: LotBookState, record: Recorded, legs: Sequence[Leg], at: datetime, day: date) -> None:
    """Book the legs of one trade, in order, at event time `at` (local date `day`)."""
    transit: Transit | None = None
    for leg in legs:
        kind = type(leg)
        if kind is Acquire:
            acquire(state, record, leg, at, day)  # type: ignore[arg-type]
        elif kind is Dispose:
            dispose(state, record, leg, at, day)  # type: ignore[arg-type]
        elif kind is TransferOut:
            transit = send(state, record, leg, at, day)  # type: ignore[arg-type]
        elif kind is TransferIn:
            assert transit is not None
            receive(state, leg, transit, day)  # type: ignore[arg-type]
        else:
            earn(state, record, leg, at, day)  # type: ignore[arg-type]


def acquire(state: LotBookState, record: Recorded, leg: Acquire, at: datetime, day: date) -> None:
    """A new lot (the event's key) in the pool, covered per R6.2; the wallet holds more; an `Acquisition`."""
    asset, wallet, qty, basis = leg.asset, leg.wallet, leg.qty, leg.basis
    asset_class = state.asset_class.get(asset, "crypto")
    # new_piece(state, lot, seq, asset, wallet, qty, basis, acquired_at, date_acquired, covered, transferred)
    pool_for(state, asset, wallet, day).add(
        new_piece(state, record.key, record.seq, asset, wallet, qty, basis, at, day, covered(asset_class, day), False)
    )
    hold(state, asset, wallet, qty)
    state.lot_keys.add(record.key)
    # the fast constructor (projections.model): once per acquisition
    state.acquisitions.append(
        make_acquisition(record.key, record.seq, leg.kind, asset, asset_class, wallet, at, day, qty, basis)
    )


def earn(state: LotBookState, record: Recorded, leg: Earn, at: datetime, day: date) -> None:
    """The income row of R7.1 (the lot is the `Acquire` leg before it)."""
    state.income.append(
        IncomeRow(
            seq=record.seq, key=record.key, at=at, date=day, wallet=leg.wallet, asset=leg.asset, qty=leg.qty,
            value=leg.value, kind=leg.kind,
        )
    )


def dispose(state: LotBookState, record: Recorded, leg: Dispose, at: datetime, day: date) -> None:
    """Units leave the wallet: pieces selected, one slice each (and missing basis for the rest)."""
    asset, wallet, qty = leg.asset, leg.wallet, leg.qty
    pool = pool_for(state, asset, wallet, day)
    held = hold(state, asset, wallet, -qty)
    if pool.wallet == UNIVERSAL and held < qty:
        state.problems.append(
            Problem(
                code="wallet-oversold",
                seq=record.seq,
                message=f"{record.key}: {wallet!r} disposes of {fmt(qty)} {asset} but holds {fmt(held)}; "
                "the universal pool supplies lots acquired in other wallets",
                hint="check for a missing transfer into this wallet",
            )
        )
    # positional (once per disposal): select(state, record, pool, wallet, asset, qty, day, picks) and
    # _slices(state, record, taken, kind, asset, wallet, proceeds, at, day)
    taken = select(state, record, pool, wallet, asset, qty, day, leg.picks)
    first = len(state.slices)
    _slices(state, record, taken, leg.kind, asset, wallet, leg.proceeds, at, day)
    if leg.wash_disallowed is not None:  # a sell carrying the broker's wash-sale figure (R4.6): rare
        _reported(state, record, first, leg.wash_disallowed, day)


def _reported(state: LotBookState, record: Recorded, first: int, figure: Decimal, day: date) -> None:
    """The broker's figure on the sale's slices (`state.slices[first:]`) as code W adjustments
    (`rules.wash_sale.reported_shares`), the sale noted for the wash-sale pass (`state.reported`), and
    a problem when the figure is above the sale's loss (Form 8949 then shows the loss)."""
    slices = state.slices
    slices[first:], loss = reported_shares(slices[first:], figure)
    state.reported.append(record)
    if figure > loss:
        state.problems.append(
            Problem(
                code="wash-disallowed-above-loss",
                seq=record.seq,
                message=f"{record.key}: the wash sale loss disallowed it carries ({money(figure)}) is more than "
                f"the loss of the sale on {day} ({money(loss)}); Form 8949 shows {money(min(figure, loss))} "
                "(a disallowed loss never makes a gain, R4.6)",
                hint="check the sale's lots and the broker's box 1g",
            )
        )


def send(state: LotBookState, record: Recorded, leg: TransferOut, at: datetime, day: date) -> Transit:
    """The sending side of a self-transfer (R2.5); the fee units are the first selected (R2.6)."""
    asset, source, qty, fee_qty = leg.asset, leg.wallet, leg.qty, leg.fee_qty
    carry = carries_fee(state.settings.transfer_fee(day))
    pool = pool_for(state, asset, source, day)
    held = hold(state, asset, source, -qty)
    moved = min(qty, held)
    if held < qty:
        state.problems.append(_transfer_short(record, leg, f", which holds {fmt(held)}"))
    if pool.wallet == UNIVERSAL:  # one pool: only the fee units leave it
        if fee_qty > 0:
            fee = select(state, record, pool, wallet=source, asset=asset, qty=fee_qty, day=day, picks=None)
            heir = pool.peek(fee.method) if carry and fee.uncovered == 0 else None
            if heir is not None:
                heir.basis = plus(heir.basis, total(p.basis for p in fee.portions))
            else:
                _slices(
                    state, record, fee, kind="transfer_fee", asset=asset, wallet=source,
                    proceeds=transfer_fee_proceeds(leg.fee_value), at=at, day=day,
                )
        return Transit(None, max(moved - fee_qty, ZERO))
    taken = select(state, record, pool, wallet=source, asset=asset, qty=qty, day=day, picks=None)
    portions, uncovered = taken.portions, taken.uncovered
    if uncovered > 0 and held >= qty:
        state.problems.append(_transfer_short(record, leg, f" finds lots for {fmt(qty - uncovered)}"))
    fee_part, arriving = split(portions, fee_qty)
    fee_missing = max(minus(fee_qty, total(p.qty for p in fee_part)), ZERO)
    if fee_qty > 0:
        if carry and arriving and fee_missing == 0:
            first = arriving[0]
            arriving[0] = Portion(first.piece, first.qty, plus(first.basis, total(p.basis for p in fee_part)))
        else:
            _slices(
                state, record, Selection(fee_part, 0, taken.method, fee_missing), kind="transfer_fee", asset=asset,
                wallet=source, proceeds=transfer_fee_proceeds(leg.fee_value), at=at, day=day,
            )
    return Transit(arriving, ZERO)


def _transfer_short(record: Recorded, leg: TransferOut, what: str) -> Problem:
    return Problem(
        code="transfer-short",
        seq=record.seq,
        message=f"{record.key}: transfer of {fmt(leg.qty)} {leg.asset} from {leg.wallet!r}{what}; "
        "what exists is moved (R3.5)",
        hint="check for a missing acquisition or transfer into this wallet",
    )


def receive(state: LotBookState, leg: TransferIn, transit: Transit, day: date) -> None:
    """The receiving side: the sent pieces arrive with their basis and dates, transferred (R2.5, R6.2)."""
    asset, target = leg.asset, leg.wallet
    if transit.portions is None:  # a universal pool: the units stay in it, the wallet's holding grows
        hold(state, asset, target, transit.qty)
        return
    arriving = transit.portions
    target_pool = pool_for(state, asset, target, day)
    for portion in arriving:
        old = portion.piece
        # the piece's lot facts, in the new wallet; noncovered and transferred (R2.5, R6.2)
        target_pool.add(
            new_piece(
                state, old.lot, old.seq, asset, target, portion.qty, portion.basis, old.acquired_at,
                old.date_acquired, False, True,
            )
        )
    hold(state, asset, target, total(p.qty for p in arriving))


def _gift_slice(
    state: LotBookState, record: Recorded, dual: Dual, portion: Portion, share: Decimal, kind: DisposalKind,
    order: int, asset: str, asset_class: AssetClass, wallet: str, at: datetime, day: date, method: LotMethod,
) -> None:
    """A slice of a gift lot with a dual basis (§1015(a), `rules/gifts.py`): the donor's basis and date
    for a gain, the fair market value and the gift's date for a loss, the proceeds in between."""
    piece = portion.piece
    chosen = disposal_basis(share, portion.basis, loss_basis(portion.basis, dual.donor_basis, dual.fmv))
    acquired = dual.gift_day if chosen.used == "fmv" else piece.date_acquired
    state.slices.append(
        make_slice(
            record.seq, record.key, kind, order, asset, asset_class, wallet, piece.lot, portion.qty,
            piece.acquired_at, acquired, at, day, share, chosen.basis, state.terms.term(acquired, day),
            piece.covered, piece.transferred, method,
        )
    )


class Dual(Protocol):
    """A gift lot's two bases (`engine.corporate.Dual`)."""

    donor_basis: Decimal
    fmv: Decimal
    gift_day: date


def _slices(
    state: LotBookState,
    record: Recorded,
    taken: Selection,
    kind: DisposalKind,
    asset: str,
    wallet: str,
    proceeds: Decimal,
    at: datetime,
    day: date,
) -> None:
    """One slice per portion taken (plus the missing-basis rest), proceeds pro rata, the last gets
    the remainder; each slice records how its units were selected."""
    portions, uncovered, method, specific = taken.portions, taken.uncovered, taken.method, taken.specific
    asset_class = state.asset_class.get(asset, "crypto")
    missing = uncovered > ZERO
    # the part that takes the remainder of the proceeds: the missing-basis rest, else the last portion
    last = len(portions) if missing else len(portions) - 1
    # the whole disposed quantity: for the shares of several parts, and the missing-basis message
    # (a value: `total` starts from 0, so adding a zero `uncovered` would change nothing)
    if missing:
        whole = plus(total([p.qty for p in portions]), uncovered)
    else:
        whole = total([p.qty for p in portions]) if last > 0 else ZERO
    long_from = state.terms  # R1.2: `Terms.term`, inline (once per slice)
    dual = state.dual  # gift lots with two bases (rules/gifts.py)
    append = state.slices.append
    seq, key = record.seq, record.key
    left = proceeds
    for order, portion in enumerate(portions):
        piece = portion.piece
        if order == last:
            share = left
        else:
            share = pro_rata(proceeds, portion.qty, whole)
            left = minus(left, share)
        if dual and piece.lot in dual:
            _gift_slice(state, record, dual[piece.lot], portion, share, kind, order, asset, asset_class, wallet,
                        at, day, method if order >= specific else SPECIFIC)
        else:  # the fast constructor (projections.model): once per slice
            acquired = piece.date_acquired
            append(
                make_slice(
                    seq, key, kind, order, asset, asset_class, wallet, piece.lot, portion.qty, piece.acquired_at,
                    acquired, at, day, share, portion.basis, "long" if day >= long_from[acquired] else "short",
                    piece.covered, piece.transferred, method if order >= specific else SPECIFIC,
                )
            )
    if missing:
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
                method=method,
            )
        )
        state.problems.append(
            Problem(
                code="missing-basis",
                seq=record.seq,
                message=f"{record.key}: {fmt(uncovered)} of {fmt(whole)} {asset} disposed from {wallet!r} "
                f"on {day} "
                "have no lot; reported with zero basis, acquired on the sale date, short-term (R3.5)",
                hint="import the missing acquisitions or transfers in",
            )
        )
    if day >= WALLET_SCOPE_FROM:
        state.first_2025_disposal.setdefault(asset, record.recorded_at)
