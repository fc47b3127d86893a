"""R3.4 The 2025-01-01 safe-harbor allocation of universal lots to wallets (Rev. Proc. 2024-28).

On 2025-01-01 (00:00 ledger-local), and whenever a crypto asset switches from universal to wallet
scope before 2025, the still-open universal lots of the asset go to the wallets that hold its units
at the end of the previous day. Default global rule **[choice]**, standing for a rule the taxpayer
adopted: lots in the order of the method in force on the previous day; wallets in ascending order of
the quantity they hold (ties by name), each filled to its actual quantity. An `allocate` event
(lot -> wallet quantities) overrides it; what it leaves unassigned is placed by the default rule.

Example (R-E5): lots 10 @ 1 (2019) and 14 @ 5 (2020), HIFO in force; XYZ holds 4, GHI holds 20 ->
XYZ gets 4 of the 2020 lot (basis 20); GHI gets 10 of the 2020 lot (50) and the 2019 lot (10).

Problems: `allocation-short` (an `allocate` share names more than the lot has, or an unknown lot),
`unallocated-units` (a wallet holds units no lot is left for: lots oversold through the pool; when
sold they have missing basis, R3.5), `allocation-leftover` (lot units no wallet holds; they stay
with the wallet that acquired them).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..exact import minus, pro_rata
from ..model import Problem
from ..pools import Piece

ZERO = Decimal(0)


class Share:
    """Units of one piece assigned to one wallet, with their basis (pro rata; the rest keeps the rest)."""

    __slots__ = ("piece", "wallet", "qty", "basis")

    def __init__(self, piece: Piece, wallet: str, qty: Decimal, basis: Decimal) -> None:
        self.piece = piece
        self.wallet = wallet
        self.qty = qty
        self.basis = basis


class Requested:
    """One entry of an `allocate` event, its lot already resolved to a full key (None: unknown)."""

    __slots__ = ("lot", "name", "wallet", "qty")

    def __init__(self, lot: str | None, name: str, wallet: str, qty: Decimal) -> None:
        self.lot = lot
        self.name = name
        self.wallet = wallet
        self.qty = qty


def allocate(
    pieces: Sequence[Piece],
    holdings: dict[str, Decimal],
    *,
    asset: str,
    requested: Sequence[Requested] = (),
    seq: int = 0,
) -> tuple[list[Share], list[Problem]]:
    """Assign `pieces` (in the order of the method in force) to the wallets in `holdings` (R3.4)."""
    rest_qty = {p.uid: p.qty for p in pieces}
    rest_basis = {p.uid: p.basis for p in pieces}
    shares: list[Share] = []
    problems: list[Problem] = []

    def give(piece: Piece, wallet: str, qty: Decimal) -> Decimal:
        have = rest_qty[piece.uid]
        if qty <= 0 or have <= 0:
            return ZERO
        if qty >= have:
            qty, basis = have, rest_basis[piece.uid]
        else:
            basis = pro_rata(rest_basis[piece.uid], qty, have)
        rest_qty[piece.uid] = minus(have, qty)
        rest_basis[piece.uid] = minus(rest_basis[piece.uid], basis)
        shares.append(Share(piece, wallet, qty, basis))
        return qty

    needs = {w: q for w, q in holdings.items() if q > 0}
    by_lot: dict[str, list[Piece]] = {}
    for piece in pieces:
        by_lot.setdefault(piece.lot, []).append(piece)
    for entry in requested:
        wanted = entry.qty
        for piece in by_lot.get(entry.lot or "", ()):
            wanted -= give(piece, entry.wallet, wanted)
        if wanted > 0:
            problems.append(
                Problem(
                    code="allocation-short",
                    seq=seq,
                    message=f"allocate {asset}: lot {entry.name!r} has {entry.qty - wanted} open units, "
                    f"{entry.qty} were allocated to {entry.wallet!r}",
                    hint="check the lot id and quantity in the allocate event",
                )
            )
        if entry.wallet in needs:
            needs[entry.wallet] = max(needs[entry.wallet] - (entry.qty - wanted), ZERO)

    order = iter(pieces)
    current = next(order, None)
    for wallet in sorted(needs, key=lambda w: (needs[w], w)):
        need = needs[wallet]
        while need > 0 and current is not None:
            need -= give(current, wallet, need)
            if rest_qty[current.uid] <= 0:
                current = next(order, None)
        if need > 0:
            problems.append(
                Problem(
                    code="unallocated-units",
                    seq=seq,
                    message=f"{wallet} holds {need} {asset} on the allocation date with no open lot left "
                    "to allocate (the pool was oversold); when sold they have missing basis",
                    hint="add the missing acquisitions, or an allocate event",
                )
            )
    for piece in pieces:
        left = rest_qty[piece.uid]
        if left > 0:
            give(piece, piece.wallet, left)
            problems.append(
                Problem(
                    code="allocation-leftover",
                    seq=seq,
                    message=f"{left} {asset} of lot {piece.lot} are held by no wallet on the allocation "
                    "date; "
                    f"they stay with {piece.wallet!r}, where they were acquired",
                    hint="check transfers and sales of this asset before the allocation date",
                )
            )
    return shares, problems
