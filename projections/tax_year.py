"""R5 Tax years: Schedule D totals, netting and the carryover chain, every year in one pass.

Source: Schedule D and its instructions (IRC §1211(b), §1212(b)). Per year: short- and long-term
totals as sums of the cent-rounded Form 8949 rows (so the two forms reconcile to the cent), the
carryover in, lines 7/15/16, the deduction (line 21, R5.2) and the Capital Loss Carryover
Worksheet for the next year (R5.3, `projections.rules.carryover_worksheet`). The chain runs from
the ledger's first year (first trade, `profile` or `carryover` year) through the last one asked
for, years with no trades included (R5.4); a `carryover` event for year Y replaces the carryover
the ledger computed into Y. `profile` events for a year merge field by field, later seq winning;
the default filing status is single.

Example (large_loss_carryforward): a 2024 long-term loss of 50,000 -> deduction 3,000, carryover
47,000 long-term into 2025 -> 2025 line 15 = −47,000, deduction 3,000, carryover out 44,000.

Problems: the lot engine's problems are listed under the year of the event they are about (all
years when they name no event); a `carryover` event that overrides a different computed carryover,
or several `carryover` events for one year, add a warning to that year.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from zoneinfo import ZoneInfo

import msgspec

from ledger.events import (
    Carryover,
    FilingStatus,
    MethodElection,
    Policy,
    Profile,
    Recorded,
    WalletInfo,
)
from projections.form8949 import CENT, Row, rows
from projections.knowledge import live
from projections.model import Booked
from projections.rules.carryover_worksheet import Worksheet, carryover_worksheet
from projections.rules.form_box import LONG_BOXES, SHORT_BOXES, Box, wallet_reports
from projections.rules.holding_period import local_date
from projections.rules.netting import Netting, net

ZERO = Decimal(0)
CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)
DEFAULT_FILING_STATUS: FilingStatus = "single"


class Amounts(msgspec.Struct, frozen=True, kw_only=True):
    """Totals of a group of 8949 rows (Schedule D columns d, e, g, h).

    Attributes:
        proceeds: (d).
        cost_basis: (e).
        adjustments: (g).
        gain: (h).
    """

    proceeds: Decimal = ZERO
    cost_basis: Decimal = ZERO
    adjustments: Decimal = ZERO
    gain: Decimal = ZERO


class Carry(msgspec.Struct, frozen=True, kw_only=True):
    """A capital loss carryover, both characters as positive numbers.

    Attributes:
        short_term: short-term part.
        long_term: long-term part.
    """

    short_term: Decimal = ZERO
    long_term: Decimal = ZERO


class BoxTotal(msgspec.Struct, frozen=True, kw_only=True):
    """The totals of one Form 8949 box (Schedule D lines 1b–3 and 8b–10).

    Attributes:
        box: A..L.
        rows: how many rows.
        amounts: their totals.
    """

    box: Box
    rows: int
    amounts: Amounts


class ScheduleD(msgspec.Struct, frozen=True, kw_only=True):
    """One tax year's Schedule D and Capital Loss Carryover Worksheet.

    Attributes:
        year: the tax year.
        filing_status: from `profile` events (default single).
        taxable_income: `profile.taxable_income`, None when not given.
        short_term: Part I totals.
        long_term: Part II totals.
        boxes: totals per box that has rows, in form order.
        carryover_in: carried into this year (line 6 and line 14).
        carryover_from_event: seq of the `carryover` event that set carryover_in (0: computed).
        netting: lines 7, 15, 16, 21.
        worksheet: the worksheet computed from this year for the next.
        warnings: problems relevant to this year.
    """

    year: int
    filing_status: FilingStatus
    taxable_income: Decimal | None
    short_term: Amounts
    long_term: Amounts
    boxes: tuple[BoxTotal, ...]
    carryover_in: Carry
    carryover_from_event: int
    netting: Netting
    worksheet: Worksheet
    warnings: tuple[str, ...]

    @property
    def carryover_out(self) -> Carry:
        """What this year carries into the next (worksheet lines 8 and 13)."""
        return Carry(short_term=self.worksheet.short_term, long_term=self.worksheet.long_term)


class TaxYears(msgspec.Struct, frozen=True, kw_only=True):
    """Every year of a ledger, from one replay.

    Attributes:
        rows: all Form 8949 rows (cents), in form order.
        years: Schedule D per year, consecutive from the first year through the last computed.
        first: the ledger's first year (None for an empty ledger).
        last_activity: the last year with an event or a disposal (None for an empty ledger).
    """

    rows: tuple[Row, ...]
    years: dict[int, ScheduleD]
    first: int | None
    last_activity: int | None

    def rows_of(self, year: int) -> list[Row]:
        """The 8949 rows of one tax year, in form order."""
        first = bisect_left(self.rows, year, key=_year_of)
        return list(self.rows[first:bisect_left(self.rows, year + 1, key=_year_of)])

    def report_years(self) -> list[int]:
        """Years `report all` writes: first through the last with activity, plus the year a final
        carryover lands in."""
        if self.first is None or self.last_activity is None:
            return []
        last = self.last_activity
        out = self.years[last].carryover_out
        if (out.short_term or out.long_term) and last + 1 in self.years:
            last += 1
        return list(range(self.first, last + 1))


def _year_of(row: Row) -> int:
    return row.date_sold.year


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, context=CONTEXT)


def _total(group: Iterable[Row]) -> Amounts:
    proceeds = basis = adjustments = gain = ZERO
    for r in group:
        proceeds += r.proceeds
        basis += r.cost_basis
        adjustments += r.adjustment
        gain += r.gain
    return Amounts(proceeds=proceeds, cost_basis=basis, adjustments=adjustments, gain=gain)


def event_year(record: Recorded, tz: ZoneInfo) -> int | None:
    """The tax year an event belongs to: its local date's year, its `year`, or its `from` year."""
    event = record.event
    match event:
        case Profile() | Carryover():
            return event.year
        case MethodElection() | Policy():
            return event.from_.year
        case WalletInfo():
            return event.from_.year if event.from_ is not None else None
    at = getattr(event, "at", None)
    return local_date(at, tz).year if at is not None else None


class _Facts(msgspec.Struct, frozen=True, kw_only=True):
    """What the log says about years: profiles, carryover events, the span of event years."""

    year_to_status: dict[int, FilingStatus]
    year_to_income: dict[int, Decimal]
    year_to_carryover: dict[int, tuple[int, Carry]]
    year_to_warnings: dict[int, list[str]]
    years: tuple[int, ...]


def _facts(known: Sequence[Recorded], tz: ZoneInfo) -> _Facts:
    year_to_status: dict[int, FilingStatus] = {}
    year_to_income: dict[int, Decimal] = {}
    year_to_carryover: dict[int, tuple[int, Carry]] = {}
    year_to_warnings: dict[int, list[str]] = {}
    years: set[int] = set()
    first_at = last_at = None
    for record in known:  # seq order: later seq wins
        event = record.event
        at = getattr(event, "at", None)
        if at is not None:  # local dates are monotonic in time: only the extremes need converting
            if first_at is None or at < first_at:
                first_at = at
            if last_at is None or at > last_at:
                last_at = at
        elif isinstance(event, Profile):
            years.add(event.year)
            if event.filing_status is not None:
                year_to_status[event.year] = event.filing_status
            if event.taxable_income is not None:
                year_to_income[event.year] = _cents(event.taxable_income)
        elif isinstance(event, Carryover):
            years.add(event.year)
            if event.year in year_to_carryover:
                year_to_warnings.setdefault(event.year, []).append(
                    f"several carryover events for {event.year}: "
                    f"the latest (seq {record.seq}, {record.key}) counts"
                )
            year_to_carryover[event.year] = (
                record.seq, Carry(short_term=_cents(event.short_term), long_term=_cents(event.long_term))
            )
    for at in (first_at, last_at):
        if at is not None:
            years.add(local_date(at, tz).year)
    return _Facts(
        year_to_status=year_to_status, year_to_income=year_to_income, year_to_carryover=year_to_carryover,
        year_to_warnings=year_to_warnings, years=tuple(sorted(years)),
    )


def _problem_years(booked: Booked, known: Sequence[Recorded], tz: ZoneInfo) -> dict[int, int | None]:
    """The tax year of the event each problem names (None: no such event, or it has no year)."""
    seq_to_record = {r.seq: r for r in known} if booked.problems else {}
    out: dict[int, int | None] = {}
    for p in booked.problems:
        record = seq_to_record.get(p.seq)
        out[p.seq] = event_year(record, tz) if record is not None else None
    return out


def tax_years(
    booked: Booked, records: Sequence[Recorded], *, tz: ZoneInfo, through: int | None = None
) -> TaxYears:
    """Schedule D for every year from the ledger's first through max(last activity + 1, `through`).

    `records` is the log the projection was made from (retractions are applied here again, so the
    raw log or the live events both do). One pass: the carryover out of each year is the carryover
    in of the next unless a `carryover` event for that year replaces it (R5.4).
    """
    known = live(records)
    facts = _facts(known, tz)
    form_rows = rows(booked.slices, wallet_reports(known))
    year_to_rows: dict[int, list[Row]] = {}
    for r in form_rows:
        year = r.date_sold.year
        if year not in year_to_rows:
            year_to_rows[year] = []
        year_to_rows[year].append(r)
    active = set(facts.years) | set(year_to_rows)
    first = min(active) if active else None
    last_activity = max(active) if active else None
    if first is None or last_activity is None:
        if through is None:
            return TaxYears(rows=tuple(form_rows), years={}, first=None, last_activity=None)
        start, end = through, through
    else:
        start, end = min(first, through or first), max(last_activity + 1, through or first)
    seq_to_year = _problem_years(booked, known, tz)
    global_problems = [p.message for p in booked.problems if seq_to_year[p.seq] is None]
    year_to_problems: dict[int, list[str]] = {}
    for p in booked.problems:
        problem_year = seq_to_year[p.seq]
        if problem_year is not None:
            year_to_problems.setdefault(problem_year, []).append(p.message)
    years: dict[int, ScheduleD] = {}
    carry = Carry()
    with localcontext(CONTEXT):
        for year in range(start, end + 1):
            warnings = global_problems + year_to_problems.get(year, []) + facts.year_to_warnings.get(year, [])
            from_event = 0
            if year in facts.year_to_carryover:
                from_event, given = facts.year_to_carryover[year]
                if year > start and given != carry:
                    warnings.append(
                        f"the carryover event for {year} (seq {from_event}) replaces the carryover computed "
                        f"from {year - 1} (short-term {carry.short_term}, long-term {carry.long_term})"
                    )
                carry = given
            years[year] = schedule_d(
                year, year_to_rows.get(year, []), carryover_in=carry, carryover_from_event=from_event,
                filing_status=facts.year_to_status.get(year, DEFAULT_FILING_STATUS),
                taxable_income=facts.year_to_income.get(year), warnings=tuple(warnings),
            )
            carry = years[year].carryover_out
    return TaxYears(rows=tuple(form_rows), years=years, first=first, last_activity=last_activity)


def schedule_d(
    year: int, year_rows: Sequence[Row], *, carryover_in: Carry, filing_status: FilingStatus,
    taxable_income: Decimal | None, carryover_from_event: int = 0, warnings: tuple[str, ...] = (),
) -> ScheduleD:
    """One year's Schedule D from its 8949 rows and the carryover coming in."""
    with localcontext(CONTEXT):
        short = _total(r for r in year_rows if r.term == "short")
        long = _total(r for r in year_rows if r.term == "long")
        box_to_rows: dict[str, list[Row]] = {}
        for r in year_rows:
            box_to_rows.setdefault(r.box, []).append(r)
        boxes = tuple(
            BoxTotal(box=b, rows=len(box_to_rows[b]), amounts=_total(box_to_rows[b]))
            for b in SHORT_BOXES + LONG_BOXES if b in box_to_rows
        )
        netting = net(
            short_gain=short.gain, long_gain=long.gain, short_carry_in=carryover_in.short_term,
            long_carry_in=carryover_in.long_term, filing_status=filing_status,
        )
        worksheet = carryover_worksheet(
            taxable_income=taxable_income, deduction=netting.deduction, line7=netting.line7,
            line15=netting.line15,
        )
    return ScheduleD(
        year=year, filing_status=filing_status, taxable_income=taxable_income, short_term=short,
        long_term=long, boxes=boxes, carryover_in=carryover_in, carryover_from_event=carryover_from_event,
        netting=netting, worksheet=worksheet, warnings=warnings,
    )
