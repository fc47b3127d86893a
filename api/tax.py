"""The federal tax estimate as a library: `report tax` (CONTRACT §4 "Tax estimate", TAX_RULES R8).

`tax_report` reads the year's Schedule D (`api.reports.schedule_d`) and the year's
`profile.other_income`, and applies R8 (`projections.rules.tax_estimate`) with the year's bracket
table (`projections.rules.brackets`). Without `other_income` or without a table for the year it
raises a `UsageError` saying which is missing (the CLI's exit 2). `estimate_or_reason` is the same
for `harvest` and `whatif`, which report `"tax": null` and the reason among their warnings instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from ..ledger.events import Recorded
    from ..projections.rules.tax_estimate import TaxEstimate
    from ..projections.tax_year import ScheduleD


def _missing(year: int, other_income: Decimal | None) -> str | None:
    """Why R8 cannot be computed for `year` (no table, no other income), None when it can: known
    before any replay (a year's table covers every filing status)."""
    from ..projections.rules.brackets import TABLE_YEARS

    if year not in TABLE_YEARS:
        return (f"no bracket table for {year}: gainlog has the federal tables for "
                f"{TABLE_YEARS[0]}-{TABLE_YEARS[-1]}")
    if other_income is None:
        return (f"no other income for {year}: record it with a profile event "
                f"(gainlog add profile --year {year} --other-income AMOUNT)")
    return None


def estimate_or_reason(sd: ScheduleD, other_income: Decimal | None) -> tuple[TaxEstimate | None, str | None]:
    """(the R8 estimate for `sd`'s year, None) or (None, why there is none)."""
    from ..projections.rules.brackets import table_for
    from ..projections.rules.tax_estimate import estimate

    reason = _missing(sd.year, other_income)
    table = table_for(sd.year, sd.filing_status)
    if reason is not None or table is None or other_income is None:
        return None, reason
    netting = sd.netting
    return estimate(
        other_income=other_income, line15=netting.line15, line16=netting.line16, deduction=netting.deduction,
        table=table,
    ), None


def other_income(known: Iterable[Recorded], year: int) -> Decimal | None:
    """The year's `profile.other_income` among live events (`projections.rules.tax_estimate`)."""
    from ..projections.rules.tax_estimate import other_income_of

    return other_income_of(known, year)


def savings_json(before: TaxEstimate | None, after: TaxEstimate | None) -> dict[str, str] | None:
    """`"tax"` of `harvest` and `whatif`: {"before", "after", "savings"} (R8.3), None without both."""
    from ..projections.form8949 import money

    if before is None or after is None:
        return None
    return {"before": money(before.tax), "after": money(after.tax), "savings": money(before.tax - after.tax)}


class TaxReport(msgspec.Struct, frozen=True):
    """`report tax`: the R8 estimate of one year.

    Attributes:
        schedule_d: the year's Schedule D it starts from.
        estimate: the estimate.
    """

    schedule_d: ScheduleD
    estimate: TaxEstimate

    def to_json(self) -> dict[str, Any]:
        """CONTRACT §4 `report tax --json`, plus P, the Schedule D lines used and the year's warnings."""
        from ..projections.form8949 import money

        sd, est = self.schedule_d, self.estimate
        return {
            "year": sd.year, "filing_status": sd.filing_status, "other_income": money(est.other_income),
            "taxable_income": money(est.taxable_income), "ordinary_tax": money(est.ordinary_tax),
            "capital_gain_tax": money(est.capital_gain_tax), "tax": money(est.tax), "table": est.table,
            "capital_gain": money(est.capital_gain), "net_long_term": money(sd.netting.line15),
            "net": money(sd.netting.line16), "deduction": money(sd.netting.deduction),
            "warnings": list(sd.warnings),
        }


def tax_report(db: Path, year: int, *, as_of: str | None = None, strict: bool = False) -> TaxReport:
    """`report tax`: R8 for `year` as of `as_of`; a `UsageError` naming what is missing."""
    from ..ledger.errors import UsageError
    from ..projections.knowledge import live
    from .reading import open_ledger
    from .reports import schedule_d

    with open_ledger(db, strict=strict) as store:
        seq = store.resolve(as_of)
        known = live(store.iter_read(until=seq, types=("profile", "retract")), until_seq=seq)
    income = other_income(known, year)
    reason = _missing(year, income)  # before the Schedule D: on a large log that may be a replay
    if reason is not None:
        raise UsageError(f"report tax: {reason}")
    sd = schedule_d(db, year, as_of=as_of, strict=strict, check=False)  # the drift check ran above
    est, reason = estimate_or_reason(sd, income)
    if est is None:
        raise UsageError(f"report tax: {reason}")
    return TaxReport(schedule_d=sd, estimate=est)
