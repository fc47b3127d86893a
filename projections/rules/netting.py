"""R5.1–R5.2 Schedule D netting: lines 7, 15, 16 and the capital loss deduction (line 21).

Source: IRC §1211(b); Schedule D instructions. Line 7 = short-term gain − short-term carryover in;
line 15 likewise for long-term; line 16 = line 7 + line 15. When line 16 is a loss, line 21 (the
deduction against ordinary income, shown as a positive number) = min(|line 16|, 3,000), or 1,500
for married filing separately.

Example (R-E7): short +10,000 and −4,000, long +2,000 and −9,000 -> line 7 = 6,000,
line 15 = −7,000, line 16 = −1,000, deduction 1,000.

Reports no problems: every input is a number already.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from ...ledger.events import FilingStatus

ZERO = Decimal(0)
LOSS_LIMIT = Decimal(3000)
LOSS_LIMIT_MFS = Decimal(1500)


class Netting(msgspec.Struct, frozen=True, kw_only=True):
    """Schedule D Part III for one year (all amounts in dollars and cents).

    Attributes:
        line7: net short-term gain or loss.
        line15: net long-term gain or loss.
        line16: line 7 + line 15.
        deduction: line 21 as a positive number; zero when line 16 is not a loss.
    """

    line7: Decimal
    line15: Decimal
    line16: Decimal
    deduction: Decimal


def loss_limit(filing_status: FilingStatus) -> Decimal:
    """The yearly cap on the capital loss deduction (R5.2): 1,500 for mfs, else 3,000."""
    return LOSS_LIMIT_MFS if filing_status == "mfs" else LOSS_LIMIT


def net(
    *, short_gain: Decimal, long_gain: Decimal, short_carry_in: Decimal, long_carry_in: Decimal,
    filing_status: FilingStatus,
) -> Netting:
    """Lines 7, 15, 16 and 21 from the year's totals and the (positive) carryovers in."""
    line7 = short_gain - short_carry_in
    line15 = long_gain - long_carry_in
    line16 = line7 + line15
    deduction = min(-line16, loss_limit(filing_status)) if line16 < ZERO else ZERO
    return Netting(line7=line7, line15=line15, line16=line16, deduction=deduction)
