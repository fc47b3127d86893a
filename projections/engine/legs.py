"""Classify: each trade as the legs it books, a pure function of the event (STYLE.md 9).

| event | legs |
|---|---|
| buy | `Acquire` at `rules.basis.purchase_basis` |
| sell | `Dispose` at `rules.basis.sale_proceeds`, with the sell's `lots` |
| swap | `Dispose` of the give side at `swap_proceeds`, then `Acquire` of the get side at `swap_basis` |
| fee | `Dispose` at `fee_proceeds` |
| income | `Acquire` at `income_basis`, then `Earn` (the R7.1 income row) |
| transfer | `TransferOut` of the sending wallet (its fee units first), then `TransferIn` of the receiving one |
| withdrawal (unpaired) | `TransferOut` of the wallet (no fee), then `TransferIn` of `in transit from WALLET` (R2.8) |
| deposit (unpaired) | `Acquire` with zero basis (R2.8) |

A withdrawal or deposit that a live `transfer` pairs (its `legs`) is not classified at all: the
fold skips it (`fold.step`), the transfer books the move.

The amounts come from `projections/rules/basis.py` (R2, R7.1); which lots a leg takes, where they
go and the problems on the way are the booking's (`projections/engine/booking.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from ...ledger.events import Buy, Deposit, Event, Fee, Income, IncomeKind, LotPick, Sell, Swap, Transfer, Withdrawal
from ..model import AcquisitionKind, DisposalKind
from ..rules.basis import (
    fee_proceeds,
    income_basis,
    purchase_basis,
    sale_proceeds,
    swap_basis,
    swap_proceeds,
)
from ..rules.transfer_legs import transit_wallet

# Legs are built positionally, in field order (once or twice per trade: issue #7's hot loop).


class Acquire(msgspec.Struct, frozen=True, gc=False):
    """Units arrive as a new lot.

    Attributes:
        kind: buy, swap (get side), income or deposit (unpaired, zero basis).
        asset: the asset acquired.
        wallet: where it arrives.
        qty: units.
        basis: their basis (R2.1-R2.3, R7.1).
    """

    kind: AcquisitionKind
    asset: str
    wallet: str
    qty: Decimal
    basis: Decimal


class Dispose(msgspec.Struct, frozen=True, gc=False):
    """Units leave by a taxable disposal.

    Attributes:
        kind: sell, swap (give side) or fee.
        asset: the asset disposed of.
        wallet: the wallet the units leave.
        qty: units.
        proceeds: the disposal's proceeds (R2.1-R2.4).
        picks: a sell's `lots` (specific identification), if any.
        wash_disallowed: a sell's `wash_disallowed`, the broker's figure (R4.6), if any.
    """

    kind: DisposalKind
    asset: str
    wallet: str
    qty: Decimal
    proceeds: Decimal
    picks: Sequence[LotPick] | None = None
    wash_disallowed: Decimal | None = None


class TransferOut(msgspec.Struct, frozen=True, gc=False):
    """Units leave a wallet for another of one's own (R2.5); the fee units go first (R2.6).

    Attributes:
        asset: the asset moved.
        wallet: the sending wallet.
        qty: units sent, the fee units included.
        fee_qty: units paid as the network fee (zero if none).
        fee_value: their value: the proceeds of the fee disposal under R2.6 `dispose`.
    """

    asset: str
    wallet: str
    qty: Decimal
    fee_qty: Decimal
    fee_value: Decimal | None


class TransferIn(msgspec.Struct, frozen=True, gc=False):
    """The units a `TransferOut` sent arrive, keeping basis and date (R2.5), as noncovered (R6.2).

    Attributes:
        asset: the asset moved.
        wallet: the receiving wallet.
    """

    asset: str
    wallet: str


class Earn(msgspec.Struct, frozen=True, gc=False):
    """Ordinary income at fair market value when received (R7.1), next to its `Acquire`.

    Attributes:
        wallet: the receiving wallet.
        asset: the asset received.
        qty: units.
        value: USD value.
        kind: staking, mining, airdrop, ...
    """

    wallet: str
    asset: str
    qty: Decimal
    value: Decimal
    kind: IncomeKind


Leg = Acquire | Dispose | TransferOut | TransferIn | Earn
ZERO = Decimal(0)


def _buy(event: Buy) -> tuple[Leg, ...]:
    return (Acquire("buy", event.asset, event.wallet, event.qty,
                    purchase_basis(event.qty, event.price, event.total, event.fee)),)


def _sell(event: Sell) -> tuple[Leg, ...]:
    return (Dispose("sell", event.asset, event.wallet, event.qty,
                    sale_proceeds(event.qty, event.price, event.total, event.fee), event.lots, event.wash_disallowed),)


# A swap, fee or income without `value` reaches here valued (`fold.step`, rules/prices.py); `or ZERO`
# only keeps the types honest.
def _swap(event: Swap) -> tuple[Leg, ...]:
    value = event.value or ZERO
    return (
        Dispose("swap", event.give_asset, event.wallet, event.give_qty, swap_proceeds(value, event.fee)),
        Acquire("swap", event.get_asset, event.wallet, event.get_qty, swap_basis(value)),
    )


def _fee(event: Fee) -> tuple[Leg, ...]:
    return (Dispose("fee", event.asset, event.wallet, event.qty, fee_proceeds(event.value or ZERO)),)


def _income(event: Income) -> tuple[Leg, ...]:
    value = event.value or ZERO
    return (
        Acquire("income", event.asset, event.wallet, event.qty, income_basis(value)),
        Earn(event.wallet, event.asset, event.qty, value, event.kind),
    )


def _transfer(event: Transfer) -> tuple[Leg, ...]:
    return (
        TransferOut(event.asset, event.from_, event.qty, event.fee_qty or ZERO, event.fee_value),
        TransferIn(event.asset, event.to),
    )


def _withdrawal(event: Withdrawal) -> tuple[Leg, ...]:
    """Unpaired: the units go in transit, fee units included (R2.8); from a universal pool only the
    wallet's holding moves (`booking.send`)."""
    return (
        TransferOut(event.asset, event.wallet, event.qty, ZERO, None),
        TransferIn(event.asset, transit_wallet(event.wallet)),
    )


def _deposit(event: Deposit) -> tuple[Leg, ...]:
    """Unpaired: a lot with zero basis acquired at the deposit (R2.8)."""
    return (Acquire("deposit", event.asset, event.wallet, event.qty, ZERO),)


# one lookup per event instead of a chain of isinstance checks (the fold's hot loop)
CLASSIFIERS: dict[type, Callable[[Any], tuple[Leg, ...]]] = {
    Buy: _buy, Sell: _sell, Swap: _swap, Fee: _fee, Income: _income, Transfer: _transfer,
    Withdrawal: _withdrawal, Deposit: _deposit,
}


def classify(event: Event) -> tuple[Leg, ...]:
    """The legs of a trade, in booking order (the module's table); () for any other event."""
    classifier = CLASSIFIERS.get(type(event))
    return () if classifier is None else classifier(event)
