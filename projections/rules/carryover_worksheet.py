"""R5.3 The Capital Loss Carryover Worksheet: what year P carries into P+1 (IRC §1212(b)).

Source: Schedule D instructions, "Capital Loss Carryover Worksheet" (lines 1–13). Computed from
year P's taxable income (L1, before its zero floor: Form 1040 line 11 minus line 14, negative when
deductions exceed income), its deduction (L2 = line 21), line 7 and line 15:

    L3 = max(0, L1 + L2)        L4 = min(L2, L3)
    L5 = |line 7| if a loss     L6 = max(0, line 15)     L7 = L4 + L6
    L8  short-term carryover = max(0, L5 − L7)
    L9 = |line 15| if a loss    L10 = max(0, line 7)     L11 = max(0, L4 − L5)    L12 = L10 + L11
    L13 long-term carryover  = max(0, L9 − L12)

Without a known taxable income (no `profile.taxable_income` for P) L1 is taken as large enough
that L4 = L2: the whole deduction used up loss. Each carryover keeps its character.

Example (R-E8 b): L1 = −1,200, line 7 = −1,000, line 15 = −9,000, L2 = 3,000 -> L3 = L4 = 1,800,
short 0, L11 = 800, long 8,200.

Reports no problems.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

ZERO = Decimal(0)


class Worksheet(msgspec.Struct, frozen=True, kw_only=True):
    """Lines 1–13 of the worksheet (line 1 None when the taxable income is unknown).

    Attributes:
        l1: taxable income of P before its zero floor, or None (assumed large enough).
        l2..l13: the worksheet's lines; l8 is the short-term and l13 the long-term carryover.
    """

    l1: Decimal | None
    l2: Decimal
    l3: Decimal
    l4: Decimal
    l5: Decimal
    l6: Decimal
    l7: Decimal
    l8: Decimal
    l9: Decimal
    l10: Decimal
    l11: Decimal
    l12: Decimal
    l13: Decimal

    @property
    def short_term(self) -> Decimal:
        """Short-term carryover into P+1 (line 8)."""
        return self.l8

    @property
    def long_term(self) -> Decimal:
        """Long-term carryover into P+1 (line 13)."""
        return self.l13


def carryover_worksheet(
    *, taxable_income: Decimal | None, deduction: Decimal, line7: Decimal, line15: Decimal
) -> Worksheet:
    """The worksheet for year P, exactly per R5.3 (`deduction` is P's line 21, positive)."""
    l2 = deduction
    if taxable_income is None:
        l3 = l4 = l2  # "large enough that L4 = L2"
    else:
        l3 = max(ZERO, taxable_income + l2)
        l4 = min(l2, l3)
    l5 = -line7 if line7 < ZERO else ZERO
    l6 = max(ZERO, line15)
    l7 = l4 + l6
    l8 = max(ZERO, l5 - l7)
    l9 = -line15 if line15 < ZERO else ZERO
    l10 = max(ZERO, line7)
    l11 = max(ZERO, l4 - l5)
    l12 = l10 + l11
    l13 = max(ZERO, l9 - l12)
    return Worksheet(
        l1=taxable_income, l2=l2, l3=l3, l4=l4, l5=l5, l6=l6, l7=l7, l8=l8, l9=l9, l10=l10, l11=l11,
        l12=l12, l13=l13,
    )
