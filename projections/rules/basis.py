"""R2 Basis and proceeds, R7.1 the basis of income: what each trade costs and what it brings in.

Sources: Form 8949 instructions (basis = cost + purchase fees, proceeds = gross - selling fees);
Treas. Reg. §1.1001-7(b) and §1.1012-1(h) (a swap is a disposal at the fair market value received,
the received asset's basis is that value; the fee reduces the proceeds and is not added to that
basis, §1.1012-1(h)(2)(ii)); Rev. Rul. 2023-14 and 2019-24 (income at fair market value when
received, which is also the basis). The amounts are exact Decimals (R2.7): `gross` multiplies in
the lot engine's 34-digit context, the rest adds and subtracts.

- R2.1 buy: basis = qty x price (or `total`) + fee; sell: proceeds = qty x price (or `total`) - fee.
- R2.2, R2.3 swap: the give side is a disposal at `value - fee`; the get side a lot with basis `value`.
- R2.4 fee paid in crypto: a disposal of those units at `value`.
- R2.5 self-transfer: not a sale; lots keep basis and date (the engine moves them).
- R2.6 [choice] a self-transfer's network fee: a disposal of the fee units at `fee_value`
  (`dispose`, the default), or, under `policy` `transfer_fee: carry`, their basis stays on the
  units that arrive (`carries_fee`).
- R7.1 income: a lot with basis `value`.

Example (R-E2): buy 0.5 BTC at 60,000 (30,000) + 150 fee -> basis 30,150; sell it for 40,000 - 200
fee -> proceeds 39,800; gain 9,650.

Reports no problems.
"""

from __future__ import annotations

from decimal import Decimal

from ...ledger.events import TransferFee

ZERO = Decimal(0)


def gross(qty: Decimal, price: Decimal | None, total: Decimal | None) -> Decimal:
    """A trade's amount before fees: its `total` when given, else qty x price."""
    return total if total is not None else qty * (price or ZERO)


def purchase_basis(qty: Decimal, price: Decimal | None, total: Decimal | None, fee: Decimal | None) -> Decimal:
    """R2.1: a buy's basis, gross plus the purchase fee."""
    return gross(qty, price, total) + (fee or ZERO)


def sale_proceeds(qty: Decimal, price: Decimal | None, total: Decimal | None, fee: Decimal | None) -> Decimal:
    """R2.1: a sell's proceeds, gross minus the selling fee."""
    return gross(qty, price, total) - (fee or ZERO)


def swap_proceeds(value: Decimal, fee: Decimal | None) -> Decimal:
    """R2.2-R2.3: the give side of a swap is disposed of at the value received minus the fee."""
    return value - (fee or ZERO)


def swap_basis(value: Decimal) -> Decimal:
    """R2.2-R2.3: the get side of a swap is a lot with basis `value` (the fee is not added)."""
    return value


def fee_proceeds(value: Decimal) -> Decimal:
    """R2.4: units paid as a fee are disposed of at `value`."""
    return value


def income_basis(value: Decimal) -> Decimal:
    """R7.1: income units are a lot with basis `value` (their fair market value when received)."""
    return value


def transfer_fee_proceeds(fee_value: Decimal | None) -> Decimal:
    """R2.6 `dispose`: a self-transfer's fee units are disposed of at `fee_value` (zero if not given)."""
    return fee_value or ZERO


def carries_fee(choice: TransferFee) -> bool:
    """R2.6: whether the fee units' basis stays on the arriving units (`carry`) instead of a disposal."""
    return choice == "carry"
