"""R8 Federal tax estimate: the regular income tax on other income plus the year's capital gains.

Source: Form 1040 instructions, "Qualified Dividends and Capital Gain Tax Worksheet"; the rate
schedules and thresholds of each year's revenue procedure (`rules.brackets`). Planning only: no
NIIT, AMT, credits or state tax.

R8.1 O = `profile.other_income`; N = Schedule D line 16 after carryovers. N >= 0: TI = O + N and
P = max(0, min(line 15, N)); N < 0: TI = O - deduction (R5.2) and P = 0. Then TI = max(0, TI) and
P = min(P, TI).
R8.2 Tax = the rate schedule on TI - P, plus P taxed at 0 % up to the 0 % threshold (TI - P filling
the brackets first), 15 % up to the 15 % threshold, 20 % above; the tax rounded to cents (half up).
R8.3 Savings = tax without a plan - tax with it, same year and O.

Example (R-E12, single 2025): O 115,000, short-term +15,000, long-term +20,000 -> TI 150,000,
P 20,000; ordinary 24,047.00 on 130,000, and 20,000 at 15 % = 3,000.00; tax 27,047.00.
(R-E13) O 30,000, long-term +30,000 -> ordinary 3,361.50 on 30,000; 18,350 at 0 %, 11,650 at 15 %
= 1,747.50; tax 5,109.00.

Reports no problems: the caller says when O or the table is missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal

import msgspec

from ...ledger.events import Profile, Recorded
from .brackets import CAPITAL_GAIN_RATES, RATES, BracketTable

ZERO = Decimal(0)
CENT = Decimal("0.01")
CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)


class TaxEstimate(msgspec.Struct, frozen=True, kw_only=True):
    """The R8 estimate for one year.

    Attributes:
        other_income: O.
        taxable_income: TI (R8.1), never below zero.
        capital_gain: P, the part of TI taxed at the capital-gain rates.
        ordinary_tax: the rate schedule on TI - P, in cents.
        capital_gain_tax: the tax on P, in cents (tax - ordinary_tax).
        tax: the whole tax, rounded to cents once (R8.2).
        table: the revenue procedure of the table used.
    """

    other_income: Decimal
    taxable_income: Decimal
    capital_gain: Decimal
    ordinary_tax: Decimal
    capital_gain_tax: Decimal
    tax: Decimal
    table: str


def ordinary_tax(income: Decimal, table: BracketTable) -> Decimal:
    """The rate schedule on `income` (exact, not rounded)."""
    tax, bottom = ZERO, ZERO
    for top, rate in zip((*table.tops, None), RATES, strict=True):
        if income <= bottom:
            break
        upper = income if top is None else min(income, top)
        tax = CONTEXT.add(tax, CONTEXT.multiply(upper - bottom, rate))
        if top is None:
            break
        bottom = top
    return tax


def capital_gain_tax(ordinary: Decimal, gain: Decimal, table: BracketTable) -> Decimal:
    """`gain` stacked on top of `ordinary` taxable income at 0 / 15 / 20 % (exact)."""
    tax, start = ZERO, ordinary
    end = ordinary + gain
    for top, rate in zip((table.zero_rate_top, table.fifteen_rate_top, None), CAPITAL_GAIN_RATES, strict=True):
        upper = end if top is None else min(end, top)
        if upper > start:
            tax = CONTEXT.add(tax, CONTEXT.multiply(upper - start, rate))
            start = upper
    return tax


def taxable(
    *, other_income: Decimal, line15: Decimal, line16: Decimal, deduction: Decimal
) -> tuple[Decimal, Decimal]:
    """(TI, P) by R8.1 from O and the year's Schedule D (lines 15, 16, 21)."""
    if line16 >= ZERO:
        income = other_income + line16
        gain = max(ZERO, min(line15, line16))
    else:
        income = other_income - deduction
        gain = ZERO
    income = max(ZERO, income)
    return income, min(gain, income)


def estimate(
    *, other_income: Decimal, line15: Decimal, line16: Decimal, deduction: Decimal, table: BracketTable
) -> TaxEstimate:
    """R8.1-R8.2 for one year: O and Schedule D lines 15, 16 and 21 (the deduction, positive)."""
    income, gain = taxable(other_income=other_income, line15=line15, line16=line16, deduction=deduction)
    exact_ordinary = ordinary_tax(income - gain, table)
    exact_total = CONTEXT.add(exact_ordinary, capital_gain_tax(income - gain, gain, table))
    tax = exact_total.quantize(CENT, context=CONTEXT)  # R8.2: the final tax rounded to cents
    ordinary = exact_ordinary.quantize(CENT, context=CONTEXT)
    return TaxEstimate(
        other_income=other_income, taxable_income=income, capital_gain=gain, ordinary_tax=ordinary,
        capital_gain_tax=tax - ordinary, tax=tax, table=table.source,  # the parts add up to the tax
    )


def other_income_of(known: Iterable[Recorded], year: int) -> Decimal | None:
    """O for `year`: the `other_income` of the year's `profile` events (live, in seq order), the
    latest that gives one winning; None when none does (it never carries to another year)."""
    found: Decimal | None = None
    for record in known:
        event = record.event
        if isinstance(event, Profile) and event.year == year and event.other_income is not None:
            found = event.other_income
    return found
