"""R5 Tax years: Schedule D totals, netting and the carryover chain, every year in one pass.

Source: Schedule D and its instructions (IRC §1211(b), §1212(b)). Per year: short- and long-term
totals as sums of the cent-rounded Form 8949 rows (so the two forms reconcile to the cent), the
carryover in, lines 7/15/16, the deduction (line 21, R5.2) and the Capital Loss Carryover
Worksheet for the next year (R5.3, `projections.rules.carryover_worksheet`). The chain runs from
the ledger's first year (first trade, `profile` or `carryover` year) through the last one asked
for, years with no trades included (R5.4); a `carryover` event for year Y replaces the carryover
the ledger computed into Y. `profile` events for a year merge field by field, later seq winning;
a year with no filing status of its own takes the latest earlier year's (a profile carries
forward; its taxable income does not), and before any, the default: single.

Example (large_loss_carryforward): a 2024 long-term loss of 50,000 -> deduction 3,000, carryover
47,000 long-term into 2025 -> 2025 line 15 = −47,000, deduction 3,000, carryover out 44,000.

Problems: the lot engine's problems are listed under the year of the event they are about (all
years when they name no event); a `carryover` event that overrides a different computed carryover,
or several `carryover` events for one year, add a warning to that year.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from operator import attrgetter
from zoneinfo import ZoneInfo

import msgspec

from ..ledger.events import (
    Carryover,
    FilingStatus,
    MethodElection,
    Policy,
    Price,
    Profile,
    Recorded,
    WalletInfo,
)
from .form8949 import CENT, Row, row_chunks, rows
from .knowledge import live
from .model import Booked, Problem, Slice, Term
from .rules.carryover_worksheet import Worksheet, carryover_worksheet
from .rules.form_box import LONG_BOXES, SHORT_BOXES, Box, WalletReports, wallet_reports
from .rules.holding_period import local_date
from .rules.netting import Netting, net

ZERO = Decimal(0)
CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)
DEFAULT_FILING_STATUS: FilingStatus = "single"
_PROCEEDS, _COST_BASIS, _ADJUSTMENT, _GAIN = (attrgetter(f) for f in ("proceeds", "cost_basis", "adjustment", "gain"))


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
        empty: why no event can fall in this year (`Facts.empty_year`), "" when one may; the CLI
            warns with it when the year was asked for (`--year 2204`), `report all` does not.
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
    empty: str = ""

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


class BoxSum(msgspec.Struct, kw_only=True):
    """Running totals of one year's rows in one box: what Schedule D needs of them (a fold's state).

    Sums of exact cent amounts do not depend on the order they are added in, so totals built from
    several batches of rows (a checkpoint, then a tail) equal the totals of all the rows at once.
    """

    rows: int = 0
    proceeds: Decimal = ZERO
    cost_basis: Decimal = ZERO
    adjustments: Decimal = ZERO
    gain: Decimal = ZERO

    def add(self, rows: int, proceeds: Decimal, cost_basis: Decimal, adjustments: Decimal, gain: Decimal) -> None:
        """Add the totals of more rows (the caller holds the exact context, `projections.exact.CONTEXT`)."""
        self.rows += rows
        self.proceeds += proceeds
        self.cost_basis += cost_basis
        self.adjustments += adjustments
        self.gain += gain


YearBoxes = dict[int, dict[str, BoxSum]]  # tax year -> box -> totals (years with rows only)


class BoxGroup(msgspec.Struct, frozen=True, gc=False):
    """The totals of the 8949 rows of one tax year, month sold, term, box, wallet and asset (`box_groups`):
    the finest split the year totals need (these, `glance.RowSums`).

    Attributes:
        year: the tax year.
        month: the month sold, 1..12.
        term: short or long.
        box: A..L.
        wallet: the wallet the units left.
        asset: the asset.
        rows: how many rows.
        proceeds: their (d).
        cost_basis: their (e).
        adjustment: their (g).
        gain: their (h).
    """

    year: int
    month: int
    term: Term
    box: Box
    wallet: str
    asset: str
    rows: int
    proceeds: Decimal
    cost_basis: Decimal
    adjustment: Decimal
    gain: Decimal


def box_groups(form_rows: Iterable[Row]) -> list[BoxGroup]:
    """The rows' totals by tax year, month sold, term and box, in the order of each group's first
    row; the only place a `BoxGroup` is built (positionally, in field order).

    A Python step per row only puts it in its group; each group's amounts are then summed by C loops
    (`sum` over `map`), not by a Python step per row and amount (issue #19). Sums of exact cent
    amounts do not depend on their order or grouping: totals made of these are the rows' to the digit.
    """
    key_to_rows: dict[tuple[int, int, Term, Box, str, str], list[Row]] = {}
    for r in form_rows:
        sold = r.date_sold
        key = (sold.year, sold.month, r.term, r.box, r.wallet, r.asset)
        group = key_to_rows.get(key)
        if group is None:
            group = key_to_rows[key] = []
        group.append(r)
    out: list[BoxGroup] = []
    with localcontext(CONTEXT):
        for (year, month, term, the_box, wallet, asset), group in key_to_rows.items():
            out.append(BoxGroup(
                year, month, term, the_box, wallet, asset, len(group), sum(map(_PROCEEDS, group), ZERO),
                sum(map(_COST_BASIS, group), ZERO), sum(map(_ADJUSTMENT, group), ZERO), sum(map(_GAIN, group), ZERO),
            ))
    return out


def add_rows(year_boxes: YearBoxes, form_rows: Iterable[Row]) -> None:
    """Add 8949 rows to the per-year, per-box totals."""
    add_groups(year_boxes, box_groups(form_rows))


def add_groups(year_boxes: YearBoxes, groups: Iterable[BoxGroup]) -> None:
    """Add the totals of groups of 8949 rows (`box_groups`) to the per-year, per-box totals."""
    with localcontext(CONTEXT):
        for g in groups:
            boxes = year_boxes.get(g.year)
            if boxes is None:
                boxes = year_boxes[g.year] = {}
            acc = boxes.get(g.box)
            if acc is None:
                acc = boxes[g.box] = BoxSum()
            acc.add(g.rows, g.proceeds, g.cost_basis, g.adjustment, g.gain)


def slice_boxes(slices: Iterable[Slice], wallets: WalletReports) -> YearBoxes:
    """The per-year, per-box totals of the 8949 rows of `slices` (8949 order, read once), the rows
    made and added a chunk at a time: a streamed replay never holds them all."""
    year_boxes: YearBoxes = {}
    for chunk in row_chunks(slices, wallets):
        add_rows(year_boxes, chunk)
    return year_boxes


def _amounts(sums: Iterable[BoxSum]) -> Amounts:
    proceeds = basis = adjustments = gain = ZERO
    for acc in sums:
        proceeds += acc.proceeds
        basis += acc.cost_basis
        adjustments += acc.adjustments
        gain += acc.gain
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


class Facts(msgspec.Struct, kw_only=True):
    """What the log says about years (profiles, carryover events, the span of event times): a fold
    over the live events in seq order, later seq winning, that a checkpoint can keep and extend."""

    year_to_status: dict[int, FilingStatus] = msgspec.field(default_factory=dict)
    year_to_income: dict[int, Decimal] = msgspec.field(default_factory=dict)
    year_to_carryover: dict[int, tuple[int, Carry]] = msgspec.field(default_factory=dict)
    year_to_warnings: dict[int, list[str]] = msgspec.field(default_factory=dict)
    named_years: set[int] = msgspec.field(default_factory=set)
    first_at: datetime | None = None
    last_at: datetime | None = None

    def add(self, known: Iterable[Recorded]) -> None:
        """Fold more live events (after those already folded, in seq order) into the facts."""
        first_at, last_at = self.first_at, self.last_at
        for record in known:
            event = record.event
            at = getattr(event, "at", None)
            if at is not None and type(event) is not Price:  # a price is no activity of the taxpayer's
                # local dates are monotonic in time: only the extremes need converting
                if first_at is None or at < first_at:
                    first_at = at
                if last_at is None or at > last_at:
                    last_at = at
            elif isinstance(event, Profile):
                self.named_years.add(event.year)
                if event.filing_status is not None:
                    self.year_to_status[event.year] = event.filing_status
                if event.taxable_income is not None:
                    self.year_to_income[event.year] = _cents(event.taxable_income)
            elif isinstance(event, Carryover):
                self.named_years.add(event.year)
                if event.year in self.year_to_carryover:
                    self.year_to_warnings.setdefault(event.year, []).append(
                        f"several carryover events for {event.year}: "
                        f"the latest (seq {record.seq}, {record.key}) counts"
                    )
                self.year_to_carryover[event.year] = (
                    record.seq, Carry(short_term=_cents(event.short_term), long_term=_cents(event.long_term))
                )
        self.first_at, self.last_at = first_at, last_at

    def filing_status(self, year: int) -> FilingStatus:
        """The year's own `profile` filing status, else the latest earlier year's, else single."""
        status = self.year_to_status.get(year)
        if status is None:
            earlier = [y for y in self.year_to_status if y < year]
            status = self.year_to_status[max(earlier)] if earlier else DEFAULT_FILING_STATUS
        return status

    def empty_year(self, year: int, tz: ZoneInfo) -> str:
        """Why no event can fall in `year`: it is outside the span from the earliest to the latest
        year of a trade, `profile` or `carryover` ("" inside it: a year there may hold events)."""
        span = self.years(tz)
        if not span:
            return f"no event falls in {year}: the ledger holds no trade, profile or carryover event"
        low, high = min(span), max(span)
        if low <= year <= high:
            return ""
        where = f"all in {low}" if low == high else f"from {low} to {high}"
        return f"no event falls in {year}: the ledger's events are {where}"

    def years(self, tz: ZoneInfo) -> set[int]:
        """The years the events name or happen in."""
        return self.named_years | {local_date(at, tz).year for at in (self.first_at, self.last_at) if at is not None}


YearProblem = tuple[int | None, str]  # (tax year of the event a problem names, or None: every year; message)


def problem_years(problems: Iterable[Problem], known: Sequence[Recorded], tz: ZoneInfo) -> list[YearProblem]:
    """Each problem's message with the tax year of the event it names (None: no such event, or no year)."""
    problems = list(problems)
    seq_to_record = {r.seq: r for r in known} if problems else {}
    out: list[YearProblem] = []
    for p in problems:
        record = seq_to_record.get(p.seq)
        out.append((event_year(record, tz) if record is not None else None, p.message))
    return out


def tax_years(
    booked: Booked, records: Sequence[Recorded], *, tz: ZoneInfo, through: int | None = None
) -> TaxYears:
    """Schedule D for every year from the ledger's first through max(last activity + 1, `through`).

    `records` is the log the projection was made from (retractions are applied here again, so the
    raw log or the live events both do).
    """
    known = live(records)
    form_rows = rows(booked.slices, wallet_reports(known))
    year_boxes: YearBoxes = {}
    add_rows(year_boxes, form_rows)
    totals = totalled(year_boxes, booked.problems, known, tz=tz, through=through)
    return msgspec.structs.replace(totals, rows=tuple(form_rows))


def totalled(
    year_boxes: YearBoxes, problems: Iterable[Problem], known: Sequence[Recorded], *, tz: ZoneInfo,
    through: int | None = None,
) -> TaxYears:
    """`tax_years` from 8949 rows already added up by `add_rows` (`report all` adds and writes one
    year's rows at a time: issue #7), the projection's problems and the live events (`live(records)`,
    or a `pipeline.Replay.log`): the same years, with no rows (`TaxYears.rows` is empty)."""
    facts = Facts()
    facts.add(known)
    years, first, last_activity = chain(year_boxes, facts, problem_years(problems, known, tz), tz=tz, through=through)
    return TaxYears(rows=(), years=years, first=first, last_activity=last_activity)


def chain(
    year_boxes: YearBoxes, facts: Facts, problems: Sequence[YearProblem], *, tz: ZoneInfo, through: int | None
) -> tuple[dict[int, ScheduleD], int | None, int | None]:
    """(Schedule D per year, first year, last year with activity): one pass in which the carryover out
    of each year is the carryover in of the next, unless a `carryover` event for that year replaces it (R5.4)."""
    active = facts.years(tz) | set(year_boxes)
    first = min(active) if active else None
    last_activity = max(active) if active else None
    if first is None or last_activity is None:
        if through is None:
            return {}, None, None
        start, end = through, through
    else:
        start, end = min(first, through or first), max(last_activity + 1, through or first)
    global_problems = [message for year, message in problems if year is None]
    year_to_problems: dict[int, list[str]] = {}
    for problem_year, message in problems:
        if problem_year is not None:
            year_to_problems.setdefault(problem_year, []).append(message)
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
            years[year] = _schedule_d(
                year, year_boxes.get(year, {}), carryover_in=carry, carryover_from_event=from_event,
                filing_status=facts.filing_status(year),
                taxable_income=facts.year_to_income.get(year), warnings=tuple(warnings),
            )
            empty = facts.empty_year(year, tz)
            if empty:
                years[year] = msgspec.structs.replace(years[year], empty=empty)
            carry = years[year].carryover_out
    return years, first, last_activity


def schedule_d(
    year: int, year_rows: Sequence[Row], *, carryover_in: Carry, filing_status: FilingStatus,
    taxable_income: Decimal | None, carryover_from_event: int = 0, warnings: tuple[str, ...] = (),
) -> ScheduleD:
    """One year's Schedule D from its 8949 rows and the carryover coming in."""
    year_boxes: YearBoxes = {}
    add_rows(year_boxes, year_rows)
    return _schedule_d(
        year, year_boxes.get(year, {}), carryover_in=carryover_in, filing_status=filing_status,
        taxable_income=taxable_income, carryover_from_event=carryover_from_event, warnings=warnings,
    )


def _schedule_d(
    year: int, boxes: dict[str, BoxSum], *, carryover_in: Carry, filing_status: FilingStatus,
    taxable_income: Decimal | None, carryover_from_event: int, warnings: tuple[str, ...],
) -> ScheduleD:
    with localcontext(CONTEXT):
        short = _amounts(boxes[b] for b in SHORT_BOXES if b in boxes)
        long = _amounts(boxes[b] for b in LONG_BOXES if b in boxes)
        box_totals = tuple(
            BoxTotal(box=b, rows=boxes[b].rows, amounts=_amounts((boxes[b],)))
            for b in SHORT_BOXES + LONG_BOXES if b in boxes
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
        long_term=long, boxes=box_totals, carryover_in=carryover_in, carryover_from_event=carryover_from_event,
        netting=netting, worksheet=worksheet, warnings=warnings,
    )
