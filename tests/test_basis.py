"""R2 basis and proceeds, R6.2 covered dates, R1.2 through `Terms` (projections/rules/basis.py,
form_box.py, holding_period.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gainlog.projections.rules.basis import (
    carries_fee,
    fee_proceeds,
    gross,
    income_basis,
    purchase_basis,
    sale_proceeds,
    swap_basis,
    swap_proceeds,
    transfer_fee_proceeds,
)
from gainlog.projections.rules.form_box import covered
from gainlog.projections.rules.holding_period import Terms, term

D = Decimal


def test_r2_1_buy_and_sell() -> None:
    # R-E2: buy 0.5 BTC at 60,000 + 150 fee; sell for 40,000 - 200 fee
    assert purchase_basis(D("0.5"), D(60000), None, D(150)) == D(30150)
    assert sale_proceeds(D("0.5"), None, D(40000), D(200)) == D(39800)  # `total` wins over price
    assert gross(D(2), None, None) == 0 and purchase_basis(D(2), D(3), None, None) == D(6)


def test_r2_2_to_r2_4_swap_fee_income() -> None:
    assert swap_proceeds(D(100), D(2)) == D(98) and swap_basis(D(100)) == D(100)  # R2.3: fee not in basis
    assert fee_proceeds(D(7)) == D(7) and income_basis(D(5)) == D(5)


def test_r2_6_transfer_fee_policy() -> None:
    assert transfer_fee_proceeds(None) == 0 and transfer_fee_proceeds(D("0.1")) == D("0.1")
    assert carries_fee("carry") and not carries_fee("dispose")


def test_r6_2_covered_from() -> None:
    assert covered("stock", date(2011, 1, 1)) and not covered("stock", date(2010, 12, 31))
    assert covered("crypto", date(2026, 1, 1)) and not covered("crypto", date(2025, 12, 31))


def test_r1_2_terms_is_term() -> None:
    terms = Terms()
    for acquired, sold in [(date(2024, 2, 29), date(2025, 2, 28)), (date(2024, 2, 29), date(2025, 3, 1)),
                           (date(2023, 5, 1), date(2024, 5, 1)), (date(2023, 5, 1), date(2024, 5, 2))]:
        assert terms.term(acquired, sold) == term(acquired, sold)
    assert [terms.term(date(2024, 2, 29), d) for d in (date(2025, 2, 28), date(2025, 3, 1))] == ["short", "long"]
