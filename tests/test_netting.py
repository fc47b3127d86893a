"""R5.1–R5.2 Schedule D netting: lines 7, 15, 16 and the deduction."""

from decimal import Decimal as D

from gainlog.projections.rules.netting import net


def test_r_e7_netting() -> None:
    # R-E7: short +10,000 / -4,000 and long +2,000 / -9,000 -> net -1,000, deduction 1,000
    n = net(
        short_gain=D(10000) - D(4000),
        long_gain=D(2000) - D(9000),
        short_carry_in=D(0),
        long_carry_in=D(0),
        filing_status="single",
    )
    assert (n.line7, n.line15, n.line16, n.deduction) == (D(6000), D(-7000), D(-1000), D(1000))


def test_carryover_in_reduces_lines_7_and_15() -> None:
    # R5.1: line 7 = short gains - short carryover; line 15 likewise
    n = net(
        short_gain=D(500),
        long_gain=D(100),
        short_carry_in=D(2000),
        long_carry_in=D(300),
        filing_status="single",
    )
    assert (n.line7, n.line15, n.line16, n.deduction) == (D(-1500), D(-200), D(-1700), D(1700))


def test_deduction_capped_at_3000() -> None:
    # R5.2
    n = net(
        short_gain=D(-8000), long_gain=D(-2000), short_carry_in=D(0), long_carry_in=D(0), filing_status="mfj"
    )
    assert n.deduction == D(3000)


def test_mfs_deduction_capped_at_1500() -> None:
    # R5.2: married filing separately
    n = net(short_gain=D(-8000), long_gain=D(0), short_carry_in=D(0), long_carry_in=D(0), filing_status="mfs")
    assert n.deduction == D(1500)


def test_gain_year_has_no_deduction() -> None:
    n = net(
        short_gain=D(-1000),
        long_gain=D(4000),
        short_carry_in=D(0),
        long_carry_in=D(0),
        filing_status="single",
    )
    assert (n.line16, n.deduction) == (D(3000), D(0))
