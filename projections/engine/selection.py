"""Selection: which pieces of lots a disposal or a transfer takes (R3.1, R3.6).

A sell's `lots` (specific identification) first, when the pool can satisfy them, then the method in
force (`projections.settings`, CONTRACT §2 precedence) by its sort key (`projections/rules/lot_methods.py`,
the pool's heaps). Problems: `lots-unsatisfiable` (falls back to the method), `late-identification`
(an election recorded after the disposal that changes it; it applies).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import msgspec

from ...ledger.events import LotPick, Method, Recorded, tag_of
from ..exact import minus, pro_rata, total
from ..model import Problem
from ..pools import Pool, Portion
from .state import UNIVERSAL, ZERO, LotBookState, fmt


def resolve_lot(state: LotBookState, name: str, source: str) -> str | None:
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
        lot = resolve_lot(state, pick.lot, record.source)
        if lot is None:
            hint = "" if ":" in pick.lot else (
                f" in source {record.source!r}; name a lot of another source by its full key SOURCE:ID"
            )
            return [], f"names lot {pick.lot!r}, which no acquisition before the sale defines{hint}"
        wanted[lot] = wanted.get(lot, ZERO) + pick.qty
        resolved.append((lot, pick.qty))
    named = total(wanted.values())
    if named > qty:
        return [], f"names {fmt(named)} units in `lots` but sells only {fmt(qty)}"
    for lot, need in wanted.items():
        have = pool.lot_qty(lot)
        if have < need:
            where = "the universal pool" if pool.wallet == UNIVERSAL else f"wallet {pool.wallet!r}"
            return [], f"takes {fmt(need)} of lot {lot}, which holds {fmt(have)} in {where} at the time"
    return resolved, ""


class Selection(msgspec.Struct, frozen=True, gc=False):
    """What a disposal or transfer took (built positionally, once per disposal).

    Attributes:
        portions: the portions taken, in selection order.
        specific: how many of them, from the front, the sell's `lots` named.
        method: the method in force that took the rest.
        uncovered: the units no lot covered (R3.5).
    """

    portions: list[Portion]
    specific: int
    method: Method
    uncovered: Decimal


def select(
    state: LotBookState,
    record: Recorded,
    pool: Pool,
    wallet: str,
    asset: str,
    qty: Decimal,
    day: date,
    picks: Sequence[LotPick] | None,
) -> Selection:
    """Portions for a disposal or transfer: the sell's `lots` first, then the method in force (R3.1,
    R3.6); and the units no lot covers."""
    portions: list[Portion] = []
    method: Method = "FIFO"  # replaced below whenever the method takes anything
    if picks:
        resolved, why = _picks_problem(state, record, pool, picks, qty)
        if why:
            if state.check_from_seq is not None and record.seq >= state.check_from_seq:
                what = tag_of(record.event)  # a sell, or a gift_out / donate naming `lots`
                state.errors.append(f"{record.key} (seq {record.seq}): {what} of {fmt(qty)} {asset} {why}")
            choice = state.settings.method(wallet, asset, day)
            state.problems.append(
                Problem(
                    code="lots-unsatisfiable",
                    seq=record.seq,
                    message=f"{tag_of(record.event)} {record.key} {why}; it falls back to {choice.method} (R3.6)",
                    hint="correct the sell's `lots`, or the acquisition it names",
                )
            )
        for lot, need in resolved:
            portions.extend(pool.take_lot(lot, need))
            qty -= need
    specific = len(portions)
    if qty > ZERO:
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
        method = choice.method
        qty = pool.take(qty, method, portions)
    return Selection(portions, specific, method, qty)


def split(portions: Sequence[Portion], qty: Decimal) -> tuple[list[Portion], list[Portion]]:
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
