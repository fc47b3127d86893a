"""R8 bracket tables: the federal rate schedules and capital-gain thresholds, one per year and status.

Source: each year's inflation-adjustment revenue procedure (IRC §1(j)(2), §1(h) as amended by the
Tax Cuts and Jobs Act and made permanent by P.L. 119-21), section "Tax Rate Tables" (ordinary
income, 10 / 12 / 22 / 24 / 32 / 35 / 37 %) and "Maximum Capital Gains Rate" (the taxable income up
to which the 0 % rate applies, and up to which the 15 % rate applies; 20 % above):

    2018 Rev. Proc. 2018-18     2019 Rev. Proc. 2018-57     2020 Rev. Proc. 2019-44
    2021 Rev. Proc. 2020-45     2022 Rev. Proc. 2021-45     2023 Rev. Proc. 2022-38
    2024 Rev. Proc. 2023-34     2025 Rev. Proc. 2024-40     2026 Rev. Proc. 2025-32

Filing statuses single, mfj, mfs and hoh each have a table; qss (qualifying surviving spouse) uses
the mfj table (IRC §1(j)(2)(A) taxes surviving spouses as joint filers). A year without a table
(before 2018, after 2026) has none: `table_for` returns None and the estimate says so.

Example (R-E12, single 2025): the rate schedule's tops are 11,925 / 48,475 / 103,350 / 197,300 /
250,525 / 626,350; capital gain at 0 % up to 48,350 of taxable income, 15 % up to 533,400.

Pure data; reports no problems.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from ...ledger.events import FilingStatus

RATES = tuple(Decimal(r) for r in ("0.10", "0.12", "0.22", "0.24", "0.32", "0.35", "0.37"))
CAPITAL_GAIN_RATES = tuple(Decimal(r) for r in ("0", "0.15", "0.20"))
TABLE_STATUSES: tuple[FilingStatus, ...] = ("single", "mfj", "mfs", "hoh")


class BracketTable(msgspec.Struct, frozen=True, kw_only=True):
    """One year's rate schedule for one filing status (R8.2).

    Attributes:
        year: the tax year.
        status: single, mfj, mfs or hoh.
        tops: the taxable income at which each of the first six rates (`RATES`) ends; 37 % above the last.
        zero_rate_top: taxable income up to which capital gain is taxed at 0 %.
        fifteen_rate_top: taxable income up to which capital gain is taxed at 15 % (20 % above).
        source: the revenue procedure the figures come from.
    """

    year: int
    status: FilingStatus
    tops: tuple[Decimal, ...]
    zero_rate_top: Decimal
    fifteen_rate_top: Decimal
    source: str


# year -> (revenue procedure, status -> (six bracket tops, 0 % top, 15 % top))
_Row = tuple[tuple[int, int, int, int, int, int], int, int]
_YEARS: dict[int, tuple[str, dict[str, _Row]]] = {
    2018: ("Rev. Proc. 2018-18", {
        "single": ((9525, 38700, 82500, 157500, 200000, 500000), 38600, 425800),
        "mfj": ((19050, 77400, 165000, 315000, 400000, 600000), 77200, 479000),
        "mfs": ((9525, 38700, 82500, 157500, 200000, 300000), 38600, 239500),
        "hoh": ((13600, 51800, 82500, 157500, 200000, 500000), 51700, 452400),
    }),
    2019: ("Rev. Proc. 2018-57", {
        "single": ((9700, 39475, 84200, 160725, 204100, 510300), 39375, 434550),
        "mfj": ((19400, 78950, 168400, 321450, 408200, 612350), 78750, 488850),
        "mfs": ((9700, 39475, 84200, 160725, 204100, 306175), 39375, 244425),
        "hoh": ((13850, 52850, 84200, 160700, 204100, 510300), 52750, 461700),
    }),
    2020: ("Rev. Proc. 2019-44", {
        "single": ((9875, 40125, 85525, 163300, 207350, 518400), 40000, 441450),
        "mfj": ((19750, 80250, 171050, 326600, 414700, 622050), 80000, 496600),
        "mfs": ((9875, 40125, 85525, 163300, 207350, 311025), 40000, 248300),
        "hoh": ((14100, 53700, 85500, 163300, 207350, 518400), 53600, 469050),
    }),
    2021: ("Rev. Proc. 2020-45", {
        "single": ((9950, 40525, 86375, 164925, 209425, 523600), 40400, 445850),
        "mfj": ((19900, 81050, 172750, 329850, 418850, 628300), 80800, 501600),
        "mfs": ((9950, 40525, 86375, 164925, 209425, 314150), 40400, 250800),
        "hoh": ((14200, 54200, 86350, 164900, 209400, 523600), 54100, 473750),
    }),
    2022: ("Rev. Proc. 2021-45", {
        "single": ((10275, 41775, 89075, 170050, 215950, 539900), 41675, 459750),
        "mfj": ((20550, 83550, 178150, 340100, 431900, 647850), 83350, 517200),
        "mfs": ((10275, 41775, 89075, 170050, 215950, 323925), 41675, 258600),
        "hoh": ((14650, 55900, 89050, 170050, 215950, 539900), 55800, 488500),
    }),
    2023: ("Rev. Proc. 2022-38", {
        "single": ((11000, 44725, 95375, 182100, 231250, 578125), 44625, 492300),
        "mfj": ((22000, 89450, 190750, 364200, 462500, 693750), 89250, 553850),
        "mfs": ((11000, 44725, 95375, 182100, 231250, 346875), 44625, 276900),
        "hoh": ((15700, 59850, 95350, 182100, 231250, 578100), 59750, 523050),
    }),
    2024: ("Rev. Proc. 2023-34", {
        "single": ((11600, 47150, 100525, 191950, 243725, 609350), 47025, 518900),
        "mfj": ((23200, 94300, 201050, 383900, 487450, 731200), 94050, 583750),
        "mfs": ((11600, 47150, 100525, 191950, 243725, 365600), 47025, 291850),
        "hoh": ((16550, 63100, 100500, 191950, 243700, 609350), 63000, 551350),
    }),
    2025: ("Rev. Proc. 2024-40", {
        "single": ((11925, 48475, 103350, 197300, 250525, 626350), 48350, 533400),
        "mfj": ((23850, 96950, 206700, 394600, 501050, 751600), 96700, 600050),
        "mfs": ((11925, 48475, 103350, 197300, 250525, 375800), 48350, 300000),
        "hoh": ((17000, 64850, 103350, 197300, 250500, 626350), 64750, 566700),
    }),
    2026: ("Rev. Proc. 2025-32", {
        "single": ((12400, 50400, 105700, 201775, 256225, 640600), 49450, 545500),
        "mfj": ((24800, 100800, 211400, 403550, 512450, 768700), 98900, 613700),
        "mfs": ((12400, 50400, 105700, 201775, 256225, 384350), 49450, 306850),
        "hoh": ((17700, 67450, 105700, 201750, 256200, 640600), 66200, 579600),
    }),
}

TABLE_YEARS = tuple(sorted(_YEARS))


def table_for(year: int, status: FilingStatus) -> BracketTable | None:
    """The year's table for `status` (qss: the mfj table), or None when there is none for the year."""
    entry = _YEARS.get(year)
    if entry is None:
        return None
    source, status_to_row = entry
    tops, zero_top, fifteen_top = status_to_row["mfj" if status == "qss" else status]
    return BracketTable(
        year=year, status=status, tops=tuple(Decimal(t) for t in tops), zero_rate_top=Decimal(zero_top),
        fifteen_rate_top=Decimal(fifteen_top), source=source,
    )
