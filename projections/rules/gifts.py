"""Gifts and donations: dual basis of a gift received, units given away without a disposal.

Sources: IRC §1015(a) (the donee's basis is the donor's; for a loss, the fair market value at the
gift when lower), §1223(2) (the donor's holding period tacks when the donor's basis is used), Treas.
Reg. §1.1015-1(a)(2) (a sale between the two bases gives neither gain nor loss), IRS Pub 551
"Property Received as a Gift", Pub 526 and Form 8283 (noncash charitable contributions: basis,
date acquired, how long held and fair market value per donated property).

- `gift_in`: a lot with the donor's basis and the donor's acquisition date (tacked). When the fair
  market value at the gift is below the donor's basis, the lot has a dual basis: a later disposal
  at a gain is measured from the donor's basis (date tacked); at a loss from the fair market value,
  the holding period starting at the gift; between the two there is no gain or loss (the row shows
  basis = proceeds). A `gift_in` is not a purchase: never a wash-sale replacement (R4).
- `gift_out`, `donate`: the units leave with no disposal (no 8949 row); the method in force (or the
  event's `lots`) picks them. A donation is listed by `report donations` with what Form 8283 asks.

The loss basis of a part of a gift lot is `fmv x part basis / donor basis`: basis moves pro rata with
quantity through sales, transfers and splits, so the ratio holds for any part.

Worked example (done-when tests in tests/test_gifts.py): 10 XYZ received 2024-03-01 with donor basis
1,000 (donor bought 2020-05-01) and fair market value 600:
- sold 2024-06-01 for 1,200 -> gain 200 from basis 1,000, date acquired 2020-05-01, long-term;
- sold 2024-06-01 for 400 -> loss 200 from basis 600, date acquired 2024-03-01, short-term;
- sold 2024-06-01 for 800 -> basis 800, gain 0 (between the bases).

Reports no problems.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from ..exact import pro_rata

Used = Literal["donor", "fmv", "neither"]


class GiftBasis(msgspec.Struct, frozen=True):
    """The basis a disposal of gift units uses, and which one it is.

    Attributes:
        basis: the basis of the slice.
        used: `donor` (gain basis, date tacked), `fmv` (loss basis, held from the gift) or `neither`.
    """

    basis: Decimal
    used: Used


def has_dual_basis(donor_basis: Decimal, fmv: Decimal) -> bool:
    """§1015(a): the loss basis differs only when the value at the gift is below the donor's basis."""
    return fmv < donor_basis


def loss_basis(part_basis: Decimal, donor_basis: Decimal, fmv: Decimal) -> Decimal:
    """The fair-market-value basis of a part of a gift lot whose donor basis is `part_basis`."""
    return pro_rata(fmv, part_basis, donor_basis) if donor_basis > 0 else part_basis


def disposal_basis(proceeds: Decimal, gain_basis: Decimal, fmv_basis: Decimal) -> GiftBasis:
    """§1015(a), Treas. Reg. §1.1015-1(a)(2): donor basis for a gain, fmv basis for a loss, else neither."""
    if proceeds >= gain_basis:
        return GiftBasis(gain_basis, "donor")
    if proceeds < fmv_basis:
        return GiftBasis(fmv_basis, "fmv")
    return GiftBasis(proceeds, "neither")
