"""Lost units and worthless assets.

Sources: IRC §165(h)(5) (added by the Tax Cuts and Jobs Act, Pub. L. 115-97 §11044: for 2018
through 2025 a personal casualty or theft loss is deductible only in a federally declared disaster;
made permanent in 2025), IRC §165(g)(1) (a security that becomes worthless during the year is
treated as sold on the last day of that year), IRS Pub 550 "Worthless Securities", Pub 547.

- `lost`: the units leave with no deduction and no 8949 row; reports warn (`lost-no-deduction`).
  A loss in a transaction entered into for profit (§165(c)(2), e.g. an exchange's collapse) is not
  modeled: record it as you and your advisor decide (a `worthless` or a `sell` for 0).
- `worthless`: the remaining units of the asset (in `wallet`, or every wallet) are disposed of for 0
  on December 31 of the year of the event (ledger time zone); the term counts to that day (R1.2).

Worked example (tests/test_losses.py): 100 ABC bought 2023-08-01 for 2,000; `worthless` on
2024-03-15 -> one row: sold 2024-12-31, proceeds 0, basis 2,000, gain -2,000, long-term (held past
2024-08-01). 1 BTC bought for 30,000 and `lost` -> no row; a warning naming §165(h)(5).

Problems: `lost-no-deduction`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

NO_DEDUCTION = "no deduction for a personal casualty or theft loss since 2018 (TCJA, IRC §165(h)(5))"


def worthless_day(day: date) -> date:
    """§165(g)(1): the last day of the year the asset became worthless."""
    return date(day.year, 12, 31)


def worthless_at(day: date, tz: ZoneInfo) -> datetime:
    """The disposal time: midday of `worthless_day` in the ledger's time zone (a bare date's time)."""
    return datetime.combine(worthless_day(day), time(12), tzinfo=tz)
