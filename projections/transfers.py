"""Pairing transfer legs (R2.8): which `withdrawal` and `deposit` are two sides of one move.

A pure function of the live events (`gainlog transfers` reads it; `api/transfers.py` writes the
`transfer` events it proposes). A withdrawal W and a deposit D are candidates when

- they are of the same asset, in different wallets;
- D is at or after W, and no later than `window` after it (default 72 hours);
- D's qty = W's qty − a fee: 0 <= W.qty − D.qty <= W.fee_qty (when the export named one) +
  `tolerance` × W.qty (default 0.01: a network fee of up to 1% of what was sent);
- when both carry a `txid`, it is the same (a different txid is never the same move).

Among candidates, one sharing the txid (both given and equal) is preferred over the others. A
withdrawal and a deposit that are each other's only candidate are `matched` (a proposal that
`transfers --confirm` writes); a leg with more than one candidate, or whose one candidate has
others, is `ambiguous` (never confirmed by itself: `transfers pair W D`); a leg with none is
`unmatched`. Legs that a live `transfer` already pairs (its `legs`) are `paired`.

Example: W coinbase 0.5 BTC at 2024-03-20T20:00Z; D kraken 0.4995 BTC at 21:10Z -> matched, fee
0.0005 BTC. A second kraken deposit of 0.4996 BTC at 22:00Z makes both deposits and W ambiguous.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

import msgspec

from ..ledger.events import Deposit, Recorded, Transfer, Withdrawal

WINDOW = timedelta(hours=72)
TOLERANCE = Decimal("0.01")
ZERO = Decimal(0)


class Leg(msgspec.Struct, frozen=True, kw_only=True):
    """One live withdrawal or deposit.

    Attributes:
        key: its key.
        seq: its seq.
        source: its source.
        type: `withdrawal` or `deposit`.
        at: event time (UTC).
        wallet: the sending (withdrawal) or receiving (deposit) wallet.
        asset: the asset.
        qty: the units that left (withdrawal, fee included) or arrived (deposit).
        fee_qty: the fee the withdrawal's export named (zero when none).
        txid: its on-chain transaction id, if any.
    """

    key: str
    seq: int
    source: str
    type: str
    at: datetime
    wallet: str
    asset: str
    qty: Decimal
    fee_qty: Decimal = ZERO
    txid: str | None = None


class Proposal(msgspec.Struct, frozen=True, kw_only=True):
    """A withdrawal and a deposit that are each other's only candidate.

    Attributes:
        withdrawal: the sending leg.
        deposit: the receiving leg.
        fee_qty: the units lost on the way (withdrawal qty − deposit qty).
    """

    withdrawal: Leg
    deposit: Leg
    fee_qty: Decimal


class Ambiguous(msgspec.Struct, frozen=True, kw_only=True):
    """A leg with more than one possible other side (or whose one has others).

    Attributes:
        leg: the leg.
        candidates: the legs it could pair with, in time order.
    """

    leg: Leg
    candidates: tuple[Leg, ...]


class Paired(msgspec.Struct, frozen=True, kw_only=True):
    """A live `transfer` that pairs legs.

    Attributes:
        transfer: its key.
        legs: the keys it names.
    """

    transfer: str
    legs: tuple[str, ...]


class Matching(msgspec.Struct, frozen=True, kw_only=True):
    """What `match` found among the live legs.

    Attributes:
        matched: proposals, in the withdrawals' time order.
        ambiguous: legs with several candidates, in time order.
        unmatched: legs with none, in time order.
        paired: the live transfers that pair legs, in seq order.
    """

    matched: tuple[Proposal, ...]
    ambiguous: tuple[Ambiguous, ...]
    unmatched: tuple[Leg, ...]
    paired: tuple[Paired, ...]


def leg_of(record: Recorded) -> Leg | None:
    """The `Leg` of a live withdrawal or deposit record (None for any other event)."""
    event = record.event
    if isinstance(event, Withdrawal):
        return Leg(key=record.key, seq=record.seq, source=record.source, type="withdrawal", at=event.at,
                   wallet=event.wallet, asset=event.asset, qty=event.qty, fee_qty=event.fee_qty or ZERO,
                   txid=event.txid)
    if isinstance(event, Deposit):
        return Leg(key=record.key, seq=record.seq, source=record.source, type="deposit", at=event.at,
                   wallet=event.wallet, asset=event.asset, qty=event.qty, txid=event.txid)
    return None


def candidates(w: Leg, d: Leg, *, window: timedelta = WINDOW, tolerance: Decimal = TOLERANCE) -> bool:
    """Whether withdrawal `w` and deposit `d` may be one move (the module docstring's rules)."""
    if w.asset != d.asset or w.wallet == d.wallet:
        return False
    if not w.at <= d.at <= w.at + window:
        return False
    if w.txid and d.txid and w.txid != d.txid:
        return False
    lost = w.qty - d.qty
    return ZERO <= lost <= w.fee_qty + tolerance * w.qty


def _same_txid(a: Leg, b: Leg) -> bool:
    return bool(a.txid) and a.txid == b.txid


def _preferred(leg: Leg, others: list[Leg]) -> list[Leg]:
    """The candidates sharing `leg`'s txid when there are any, else all."""
    same = [o for o in others if _same_txid(leg, o)]
    return same or others


def match(
    records: Iterable[Recorded], *, window: timedelta = WINDOW, tolerance: Decimal = TOLERANCE
) -> Matching:
    """The legs among the live events `records` (seq order), matched, ambiguous, unmatched or paired."""
    records = list(records)
    paired: list[Paired] = []
    taken: set[str] = set()
    for record in records:
        event = record.event
        if type(event) is Transfer and event.legs:
            paired.append(Paired(transfer=record.key, legs=event.legs))
            taken.update(event.legs)
    legs = [leg for r in records if (leg := leg_of(r)) is not None and leg.key not in taken]
    legs.sort(key=lambda leg: (leg.at, leg.seq))
    withdrawals = [leg for leg in legs if leg.type == "withdrawal"]
    deposits = [leg for leg in legs if leg.type == "deposit"]
    with_tolerance = {"window": window, "tolerance": tolerance}
    w_to_d = {
        w.key: _preferred(w, [d for d in deposits if candidates(w, d, **with_tolerance)])  # type: ignore[arg-type]
        for w in withdrawals
    }
    d_to_w: dict[str, list[Leg]] = {d.key: [] for d in deposits}
    for w in withdrawals:
        for d in deposits:
            if candidates(w, d, **with_tolerance):  # type: ignore[arg-type]
                d_to_w[d.key].append(w)
    d_to_w = {d.key: _preferred(d, d_to_w[d.key]) for d in deposits}
    matched: list[Proposal] = []
    done: set[str] = set()
    for w in withdrawals:
        options = w_to_d[w.key]
        if len(options) == 1 and [x.key for x in d_to_w[options[0].key]] == [w.key]:
            d = options[0]
            matched.append(Proposal(withdrawal=w, deposit=d, fee_qty=w.qty - d.qty))
            done.update((w.key, d.key))
    ambiguous: list[Ambiguous] = []
    unmatched: list[Leg] = []
    for leg in legs:
        if leg.key in done:
            continue
        options = w_to_d[leg.key] if leg.type == "withdrawal" else d_to_w[leg.key]
        if options:
            ambiguous.append(Ambiguous(leg=leg, candidates=tuple(options)))
        else:
            unmatched.append(leg)
    return Matching(matched=tuple(matched), ambiguous=tuple(ambiguous), unmatched=tuple(unmatched),
                    paired=tuple(paired))
