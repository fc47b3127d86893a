"""R5.3 Capital Loss Carryover Worksheet, lines 1–13 (R-E8 a, b, c)."""

from decimal import Decimal as D

from gainlog.projections.rules.carryover_worksheet import carryover_worksheet
from gainlog.projections.rules.netting import net


def _worksheet(taxable_income: D | None, line7: D, line15: D) -> tuple[D, D, D]:
    n = net(
        short_gain=line7, long_gain=line15, short_carry_in=D(0), long_carry_in=D(0), filing_status="single"
    )
    w = carryover_worksheet(
        taxable_income=taxable_income, deduction=n.deduction, line7=n.line7, line15=n.line15
    )
    return w.l4, w.short_term, w.long_term


def test_r_e8_a() -> None:
    # R-E8 a: 50,000; -8,000; -2,000 -> short 5,000, long 2,000
    assert _worksheet(D(50000), D(-8000), D(-2000)) == (D(3000), D(5000), D(2000))


def test_r_e8_b_negative_taxable_income() -> None:
    # R-E8 b: -1,200; -1,000; -9,000 -> L4 = 1,800, short 0, long 8,200
    assert _worksheet(D(-1200), D(-1000), D(-9000)) == (D(1800), D(0), D(8200))


def test_r_e8_c() -> None:
    # R-E8 c: 60,000; +2,000; -12,000 -> short 0, long 7,000
    assert _worksheet(D(60000), D(2000), D(-12000)) == (D(3000), D(0), D(7000))


def test_all_lines_r_e8_b() -> None:
    # R5.3 line by line for R-E8 b
    w = carryover_worksheet(taxable_income=D(-1200), deduction=D(3000), line7=D(-1000), line15=D(-9000))
    lines = (w.l1, w.l2, w.l3, w.l4, w.l5, w.l6, w.l7, w.l8, w.l9, w.l10, w.l11, w.l12, w.l13)
    assert lines == (
        D(-1200),
        D(3000),
        D(1800),
        D(1800),
        D(1000),
        D(0),
        D(1800),
        D(0),
        D(9000),
        D(0),
        D(800),
        D(800),
        D(8200),
    )


def test_unknown_taxable_income_means_l4_equals_l2() -> None:
    # R5.3: without profile.taxable_income, L4 = L2
    w = carryover_worksheet(taxable_income=None, deduction=D(3000), line7=D(-1000), line15=D(-9000))
    assert (w.l1, w.l4, w.short_term, w.long_term) == (None, D(3000), D(0), D(7000))


def test_very_negative_taxable_income_carries_everything() -> None:
    # R5.3: L3 = max(0, L1 + L2) = 0 -> the whole loss carries
    w = carryover_worksheet(taxable_income=D(-50000), deduction=D(3000), line7=D(-4000), line15=D(-2000))
    assert (w.l4, w.short_term, w.long_term) == (D(0), D(4000), D(2000))


def test_gain_year_carries_nothing() -> None:
    w = carryover_worksheet(taxable_income=D(10000), deduction=D(0), line7=D(-500), line15=D(900))
    assert (w.short_term, w.long_term) == (D(0), D(0))
