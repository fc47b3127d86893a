"""Splits, renames and reorganizations: the same investment under a new count, symbol or company.

Sources: IRC §307 and Treas. Reg. §1.307-1 (a stock dividend or split spreads the old basis over
the new shares), §358 and §1223(1) (in a reorganization or spin-off the old basis is allocated to
what is received, in proportion to fair market value, and the holding period carries over), Form
8937 (the issuer's report of the basis percentages: `basis_share`), IRS Pub 550 "Stock Splits",
"Fractional shares" (cash in lieu of a fractional share is a sale of that fraction).

- `split`: every open lot of the asset, in every wallet: qty x `ratio`; basis, dates, covered
  status unchanged. Cash in lieu is a `sell` of the fraction, recorded after the split.
  A split a broker's export states as units added to (removed from) one wallet has the ratio
  (held + added) / held of that wallet's holding at the split (`held_ratio`); the wallet's lots are
  scaled to add up to exactly the new holding (`scale_pieces`); nothing held: `split_problem`.
  Worked example (tests/test_share_action_rows.py): 100 ABC held, a Stock Split row adding 100 ->
  ratio 2; 25 XYZ held, a 1-for-10 reverse split stated as 25 out, 2 in and 0.5 sold in lieu ->
  removed 22.5, ratio 2.5 / 25 = 0.1.
- `rename`: the lots continue under the new symbol, unchanged (ticker change, token migration).
- `reorg`: each open lot becomes, for each entry of `into`, a lot of that asset with qty x
  `qty_per_unit` and basis x `basis_share`, with the old lot's key and dates (holding period
  carried). When the shares add to 1 the old asset is gone; below 1 without `cash` the old lots keep
  the rest of their basis (a spin-off); with `cash` the rest is the basis of the cash: a disposal
  (kind `reorg`) of that part, proceeds `cash` pro rata by quantity **[choice]**: a plain sale of the
  unallocated part, not §356's "gain recognized up to the boot".
- Wash sales (R4): a split or rename keeps the replacement relation (the same security under a new
  count or symbol); a reorg's new lots are not purchases.

Worked example (tests/test_corporate.py): 25 XYZ bought 2023-01-10 for 1,000; a 1-for-10 reverse
split (ratio 0.1) on 2024-05-01 -> 2.5 XYZ, basis 1,000; cash in lieu of 0.5 XYZ, 90 -> a sale of
0.5 XYZ with basis 200, gain -110, long-term; 2 XYZ left with basis 800.
Spin-off: 100 P bought 2022-03-01 for 10,000; 2023-06-01 P spins off S, 1 S per 2 P, 25 % of the
basis -> 100 P basis 7,500 and 50 S basis 2,500, both acquired 2022-03-01; 2024-06-03 P splits
2-for-1 -> 200 P basis 7,500; sold 2024-07-01 for 9,000 -> gain 1,500, long-term.

Reports no problems of its own (the engine reports `corporate-empty` when an event finds no lot, and
`split-unapplied` with `split_problem`'s reason).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..exact import minus, plus, pro_rata, total

ONE = Decimal(1)


def split_qty(qty: Decimal, ratio: Decimal) -> Decimal:
    """§307: the units a lot holds after a split of `ratio` new units per old unit."""
    return qty * ratio


def held_ratio(held: Decimal, change: Decimal) -> Decimal:
    """The ratio of a split an export states as units added (`change` > 0) or removed (< 0) from a
    holding of `held` units: (held + change) / held (2-for-1: 100 held, 100 added -> 2)."""
    return (held + change) / held


def split_problem(held: Decimal, change: Decimal) -> str | None:
    """Why a split stated by its units added or removed cannot apply to a holding of `held`, or None."""
    if held <= 0:
        return ("the wallet holds none, so the ratio is unknown (new shares of a spin-off are a `reorg` of the "
                "parent: gainlog add reorg)")
    if held + change <= 0:
        return f"it removes {format(-change, 'f')} of the {format(held, 'f')} units held, leaving none"
    return None


def scale_pieces(pieces: list[Any], after: Decimal, held: Decimal) -> None:
    """Every piece's qty x after / held, exactly: each piece but the last its pro rata share of
    `after` (R2.7), the last the rest, so that they add to `after` x their total / held (all of
    `after` when the pieces hold the whole holding, as they do unless lots are missing)."""
    before = total(p.qty for p in pieces)
    target = after if before == held else pro_rata(after, before, held)
    done = Decimal(0)
    for piece in pieces[:-1]:
        piece.qty = pro_rata(target, piece.qty, before)
        done = plus(done, piece.qty)
    pieces[-1].qty = minus(target, done)


def allocate_basis(basis: Decimal, shares: list[Decimal], *, whole: bool) -> tuple[list[Decimal], Decimal]:
    """§358: `basis` x each share, and the rest (exact: the parts and the rest add to `basis`).
    With `whole` (the shares add to 1, nothing remains) the last part takes the rest."""
    parts = [basis * share for share in shares]
    if whole and parts:
        parts[-1] = minus(basis, total(parts[:-1]))
    return parts, minus(basis, total(parts))


def shares_whole(shares: list[Decimal]) -> bool:
    """Whether the basis shares add to 1 (the old asset is gone)."""
    return total(shares) >= ONE
