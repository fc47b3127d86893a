"""The events of CONTRACT §4 "More events" in the fold: what each does to the pools (one step each).

| event | does |
|---|---|
| `split` | every piece of the asset: qty x ratio (basis, dates unchanged); holdings likewise (`rules/corporate.py`) |
| `split` by `added_qty` / `removed_qty` | only the wallet's pieces, scaled to add up to its new holding |
| `rename` | every pool of the asset moves to the new symbol, pieces unchanged |
| `reorg` | each piece becomes pieces of the `into` assets (basis shares, dates carried); cash boot a `reorg` disposal |
| `gift_in` | a new lot at the donor's basis and date; a dual basis noted when fmv is lower (`rules/gifts.py`) |
| `gift_out`, `donate` | units selected and removed, no slice; a donation row (`rules/gifts.py`) |
| `lost` | units selected and removed, no slice; a `lost-no-deduction` problem (`rules/losses.py`) |
| `worthless` | the remaining units disposed of for 0 on December 31 (`rules/losses.py`) |

A `gift_in` lot's dual basis is kept by lot key in `LotBookState.dual` and applied where slices are
made (`booking._slices`). Splits and renames are also recorded as `UnitChange`s for the wash-sale pass.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from ...ledger.events import Donate, GiftIn, GiftOut, Lost, Recorded, Rename, Reorg, Split, Worthless
from ..exact import total
from ..model import DonatedLot, Donation, Problem, UnitChange
from ..pools import Pool, Portion
from ..rules.corporate import allocate_basis, held_ratio, scale_pieces, shares_whole, split_problem, split_qty
from ..rules.gifts import has_dual_basis
from ..rules.losses import NO_DEDUCTION, worthless_at
from .booking import _slices
from .selection import Selection, select
from .state import UNIVERSAL, ZERO, LotBookState, fmt, hold, new_piece, pool_for


class Dual:
    """A gift lot's two bases (§1015(a)): the donor's (the lot's basis) and the fair market value."""

    __slots__ = ("donor_basis", "fmv", "gift_at", "gift_day")

    def __init__(self, donor_basis: Decimal, fmv: Decimal, gift_at: datetime, gift_day: date) -> None:
        self.donor_basis = donor_basis
        self.fmv = fmv
        self.gift_at = gift_at
        self.gift_day = gift_day


def apply(state: LotBookState, record: Recorded, day: date) -> None:
    """Apply one event of CONTRACT §4 "More events" at its local date `day`."""
    state.extended = True
    event = record.event
    match event:
        case Split():
            _split(state, record, event)
        case Rename():
            _rename(state, record, event)
        case Reorg():
            _reorg(state, record, event, day)
        case GiftIn():
            _gift_in(state, record, event, day)
        case GiftOut() | Donate() | Lost():
            _leave(state, record, event, day)
        case Worthless():
            _worthless(state, record, event, day)


def _pools_of(state: LotBookState, asset: str, wallet: str | None = None) -> list[Pool]:
    return [pool for (a, w), pool in state.pools.items() if a == asset and (wallet is None or w in (wallet, UNIVERSAL))]


def _empty(state: LotBookState, record: Recorded, asset: str) -> None:
    state.problems.append(
        Problem(
            code="corporate-empty",
            seq=record.seq,
            message=f"{record.key}: {record.event.__struct_config__.tag} of {asset} finds no open lot",
            hint="check the asset's symbol and the event's date",
        )
    )


def _refresh(pool: Pool) -> None:
    """After pieces changed qty or basis: recount the pool and drop its heaps (rebuilt on first use)."""
    for piece in pool.members.values():
        piece.unit_cost = piece.basis / piece.qty if piece.qty else ZERO
    pool.qty = total(p.qty for p in pool.members.values())
    pool.heaps.clear()


def _split(state: LotBookState, record: Recorded, event: Split) -> None:
    if event.ratio is None:
        _split_wallet(state, record, event)
        return
    pools = _pools_of(state, event.asset)
    if not any(pool.members for pool in pools):
        _empty(state, record, event.asset)
    for pool in pools:
        for piece in pool.members.values():
            piece.qty = split_qty(piece.qty, event.ratio)
        _refresh(pool)
    wallets = state.holdings.get(event.asset, {})
    for wallet, qty in wallets.items():
        wallets[wallet] = split_qty(qty, event.ratio)
    state.unit_changes.append(UnitChange(seq=record.seq, at=event.at, asset=event.asset, ratio=event.ratio,
                                         to=event.asset))


def _split_wallet(state: LotBookState, record: Recorded, event: Split) -> None:
    """A split a broker's export states as the units added to (or removed from) one wallet: its ratio
    is the wallet's holding after over its holding before (`rules/corporate.held_ratio`); the wallet's
    pieces are scaled so that they add up to exactly the new holding."""
    asset, wallet = event.asset, event.wallet or ""
    wallets = state.holdings.get(asset, {})
    held = wallets.get(wallet, ZERO)
    change = event.added_qty if event.added_qty is not None else -(event.removed_qty or ZERO)
    problem = split_problem(held, change)
    if problem is not None:
        state.problems.append(
            Problem(code="split-unapplied", seq=record.seq,
                    message=f"{record.key}: split of {asset} in {wallet!r} by {fmt(change)} units: {problem}; "
                    "nothing changed",
                    hint="import the wallet's earlier history, or write the split with its `ratio`")
        )
        return
    after = held + change
    for pool in _pools_of(state, asset, wallet):
        mine = [p for p in pool.members.values() if p.wallet == wallet or pool.wallet == wallet]
        if not mine:
            continue
        scale_pieces(mine, after, held)
        _refresh(pool)
    wallets[wallet] = after
    ratio = held_ratio(held, change)
    seen = any(c.asset == asset and c.to == asset and c.ratio == ratio and c.at.date() == event.at.date()
               for c in state.unit_changes)
    if not seen:  # the same split stated by two accounts' exports is one change of the security (R4)
        state.unit_changes.append(UnitChange(seq=record.seq, at=event.at, asset=asset, ratio=ratio, to=asset))


def _rename(state: LotBookState, record: Recorded, event: Rename) -> None:
    old, new = event.asset, event.to
    pools = _pools_of(state, old)
    if not any(pool.members for pool in pools):
        _empty(state, record, old)
    if old in state.scope_now:
        state.scope_now.setdefault(new, state.scope_now[old])
    for pool in pools:
        del state.pools[old, pool.wallet]
        target = state.pools.get((new, pool.wallet))
        if target is None:
            target = state.pools[new, pool.wallet] = Pool(new, pool.wallet)
        for piece in pool.drain():
            piece.asset = new
            target.add(piece)
    moved = state.holdings.pop(old, {})
    into = state.holdings.setdefault(new, {})
    for wallet, qty in moved.items():
        into[wallet] = into.get(wallet, ZERO) + qty
    state.unit_changes.append(UnitChange(seq=record.seq, at=event.at, asset=old, ratio=Decimal(1), to=new))


def _reorg(state: LotBookState, record: Recorded, event: Reorg, day: date) -> None:
    old = event.asset
    shares = [part.basis_share for part in event.into]
    gone = event.cash is not None or shares_whole(shares)
    pools = _pools_of(state, old, event.wallet)
    if not any(pool.members for pool in pools):
        _empty(state, record, old)
        return
    cash_portions: list[Portion] = []
    for pool in pools:
        pieces = pool.drain() if gone else list(pool.members.values())
        for piece in sorted(pieces, key=lambda p: p.uid):
            parts, rest = allocate_basis(piece.basis, shares, whole=gone and event.cash is None)
            for part, basis in zip(event.into, parts, strict=True):
                pool_for(state, part.asset, piece.wallet, day).add(
                    new_piece(
                        state, piece.lot, piece.seq, part.asset, piece.wallet, piece.qty * part.qty_per_unit, basis,
                        piece.acquired_at, piece.date_acquired, piece.covered, piece.transferred,
                    )
                )
            if event.cash is not None:
                cash_portions.append(Portion(piece, piece.qty * (1 - total(shares)), rest))
            elif not gone:
                piece.basis = rest
        if not gone:
            _refresh(pool)
    wallets = state.holdings.get(old, {})
    for wallet in sorted(wallets):
        if event.wallet is not None and wallet != event.wallet:
            continue
        for part in event.into:
            hold(state, part.asset, wallet, wallets[wallet] * part.qty_per_unit)
        if gone:
            wallets[wallet] = ZERO
    if event.cash is not None:
        wallet = event.wallet or (pools[0].wallet if pools else UNIVERSAL)
        _slices(state, record, Selection(cash_portions, 0, "FIFO", ZERO), "reorg", old, wallet, event.cash,
                event.at, day)


def _gift_in(state: LotBookState, record: Recorded, event: GiftIn, day: date) -> None:
    """A lot at the donor's basis, dated the donor's acquisition (tacked, §1223(2)), acquired (for lot
    selection) at the gift; noncovered and not a purchase (no `Acquisition`, never a wash replacement)."""
    asset, wallet = event.asset, event.wallet
    acquired_at = event.at
    pool_for(state, asset, wallet, day).add(
        new_piece(state, record.key, record.seq, asset, wallet, event.qty, event.donor_basis, acquired_at,
                  event.donor_acquired, False, True)
    )
    hold(state, asset, wallet, event.qty)
    state.lot_keys.add(record.key)
    if has_dual_basis(event.donor_basis, event.fmv):
        state.dual[record.key] = Dual(event.donor_basis, event.fmv, event.at, day)


def _leave(state: LotBookState, record: Recorded, event: GiftOut | Donate | Lost, day: date) -> None:
    """Units leave with no disposal: selected as a sale would be (the event's `lots`, else the method)."""
    asset, wallet, qty = event.asset, event.wallet, event.qty
    pool = pool_for(state, asset, wallet, day)
    held = hold(state, asset, wallet, -qty)
    picks = None if isinstance(event, Lost) else event.lots
    taken = select(state, record, pool, wallet, asset, qty, day, picks)
    tag = event.__struct_config__.tag
    if taken.uncovered > 0 or held < qty:
        state.problems.append(
            Problem(
                code="corporate-short",
                seq=record.seq,
                message=f"{record.key}: {tag} of {fmt(qty)} {asset} from {wallet!r} finds lots for "
                f"{fmt(qty - taken.uncovered)}; the rest has no basis",
                hint="import the missing acquisitions or transfers in",
            )
        )
    if isinstance(event, Lost):
        state.problems.append(
            Problem(
                code="lost-no-deduction",
                seq=record.seq,
                message=f"{record.key}: {fmt(qty)} {asset} lost from {wallet!r} on {day}: {NO_DEDUCTION}",
                hint="a loss in a transaction entered into for profit is not modeled; ask a tax advisor",
            )
        )
    elif isinstance(event, Donate):
        lots = [
            DonatedLot(lot=p.piece.lot, qty=p.qty, basis=p.basis, date_acquired=p.piece.date_acquired,
                       term=state.terms.term(p.piece.date_acquired, day))
            for p in taken.portions
        ]
        if taken.uncovered > 0:
            lots.append(DonatedLot(lot="", qty=taken.uncovered, basis=ZERO, date_acquired=day, term="short"))
        state.donations.append(
            Donation(seq=record.seq, key=record.key, at=event.at, date=day, wallet=wallet, asset=asset, qty=qty,
                     fmv=event.fmv, lots=tuple(lots))
        )


def _worthless(state: LotBookState, record: Recorded, event: Worthless, day: date) -> None:
    """§165(g): the remaining units are disposed of for 0 on December 31 of the event's year."""
    at = worthless_at(day, state.tz).astimezone(UTC)
    sold_day = date(day.year, 12, 31)
    pools = _pools_of(state, event.asset, event.wallet)
    if not any(pool.members for pool in pools):
        _empty(state, record, event.asset)
        return
    wallets = state.holdings.get(event.asset, {})
    for pool in pools:
        if pool.wallet == UNIVERSAL and event.wallet is not None:
            qty = min(wallets.get(event.wallet, ZERO), pool.qty)
        else:
            qty = pool.qty
        if qty <= 0:
            continue
        wallet = event.wallet if pool.wallet == UNIVERSAL and event.wallet is not None else pool.wallet
        taken = select(state, record, pool, wallet, event.asset, qty, day, None)
        _slices(state, record, Selection(taken.portions, 0, taken.method, ZERO), "worthless", event.asset,
                wallet if wallet != UNIVERSAL else "*", ZERO, at, sold_day)
    for wallet in list(wallets):
        if event.wallet is None or wallet == event.wallet:
            wallets[wallet] = ZERO

