"""The vocabulary of the log: every event type of CONTRACT §2 as a frozen msgspec Struct.

Events hold validated, exact values (Decimal amounts, aware UTC datetimes). Raw input is checked
in `ledger.codec` before it becomes one of these, so the fold never re-validates. Field names are
the contract's; Python keywords get a trailing underscore and keep their JSON name.

Depends only on the standard library and msgspec (STYLE.md 1).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import msgspec

Method = Literal["FIFO", "LIFO", "HIFO", "LOFO"]
Scope = Literal["universal", "wallet"]
AssetClass = Literal["crypto", "stock"]
IncomeKind = Literal["staking", "mining", "airdrop", "interest", "reward", "fork", "other"]
FilingStatus = Literal["single", "mfj", "mfs", "hoh", "qss"]
TransferFee = Literal["dispose", "carry"]
Reports = Literal["1099-B", "1099-DA", "none"]

WALLET_SCOPE_FROM = date(2025, 1, 1)
"""Rev. Proc. 2024-28: crypto lots are pooled per wallet from this day; a universal scope ends (R3.3)."""

class _Base(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="type", omit_defaults=True, forbid_unknown_fields=True,
    gc=False,
):
    """Fields every event may carry; kept for the audit trail, never part of the math.

    Events are values that never form reference cycles, so they stay out of the cyclic garbage
    collector (`gc=False`): a replay holds a million of them (issue #7).

    Attributes:
        id: the event's own id, unique within its source (makes the key `SOURCE:ID`).
        note: free text.
        txid: an exchange or on-chain transaction id.
    """

    id: str | None = None
    note: str | None = None
    txid: str | None = None


class LotPick(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One lot named by a sell's specific identification.

    Attributes:
        lot: the acquisition's `id` within the same source, or a full key.
        qty: how much of it to take.
    """

    lot: str
    qty: Decimal


class LotAllocation(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One lot's share given to a wallet by the 2025 safe-harbor allocation (R3.4).

    Attributes:
        lot: the acquisition's `id` within the same source, or a full key.
        wallet: the wallet that receives it.
        qty: how much of the lot.
    """

    lot: str
    wallet: str
    qty: Decimal


class Buy(_Base, tag="buy", frozen=True, kw_only=True):
    """Acquire `qty` of `asset`; basis = qty × price (or total) + fee.

    Attributes:
        at: event time (aware, UTC).
        wallet: the account or wallet.
        asset: the asset's symbol.
        qty: quantity acquired, above zero.
        price: USD per unit (exactly one of price and total).
        total: USD for the whole quantity.
        fee: USD purchase fee, added to basis.
        class_: `crypto` or `stock`; fixed by the first event naming the asset with one.
    """

    at: datetime
    wallet: str
    asset: str
    qty: Decimal
    price: Decimal | None = None
    total: Decimal | None = None
    fee: Decimal | None = None
    class_: AssetClass | None = msgspec.field(default=None, name="class")


class Sell(_Base, tag="sell", frozen=True, kw_only=True):
    """Dispose of `qty` of `asset`; proceeds = qty × price (or total) − fee.

    Attributes:
        at: event time.
        wallet: the account or wallet.
        asset: the asset's symbol.
        qty: quantity sold, above zero.
        price: USD per unit (exactly one of price and total).
        total: USD for the whole quantity.
        fee: USD sale fee, subtracted from proceeds.
        lots: specific identification, overriding the method in force.
        wash_disallowed: USD, the loss the broker disallowed as a wash sale (Form 1099-B box 1g), when
            the sale is reported with the broker's figure: Form 8949 shows it with code W, and R4
            washes only the rest of the loss, against purchases in other wallets
            (docs/wash-sales.md "The broker's figure"). Left out (the default): R4 alone.
    """

    at: datetime
    wallet: str
    asset: str
    qty: Decimal
    price: Decimal | None = None
    total: Decimal | None = None
    fee: Decimal | None = None
    lots: tuple[LotPick, ...] | None = None
    wash_disallowed: Decimal | None = None


class Swap(_Base, tag="swap", frozen=True, kw_only=True):
    """Dispose of `give_asset` at `value` and acquire `get_asset` with basis `value` (R2.2).

    Attributes:
        at: event time.
        wallet: the wallet where both sides settle.
        give_asset: what is given up.
        give_qty: how much, above zero.
        get_asset: what is received.
        get_qty: how much, above zero.
        fee: USD fee, subtracted from the give side's proceeds (R2.3).
        value: USD fair market value received; left out, valued at replay from `price` events
            (qty received x the get asset's price, CONTRACT §4 Prices).
    """

    at: datetime
    wallet: str
    give_asset: str
    give_qty: Decimal
    get_asset: str
    get_qty: Decimal
    fee: Decimal | None = None
    value: Decimal | None = None


class Transfer(_Base, tag="transfer", frozen=True, kw_only=True):
    """Move lots between own wallets; no gain, basis and dates travel (R2.5).

    Attributes:
        at: event time.
        from_: the sending wallet.
        to: the receiving wallet.
        asset: the asset's symbol.
        qty: quantity leaving `from_`, fee units included.
        fee_qty: network fee units (the first units selected).
        fee_value: USD value of the fee units; required with fee_qty.
        legs: keys of the `withdrawal` and `deposit` events this transfer pairs (`gainlog transfers`):
            while it is live, the lot engine books the transfer and skips those legs.
    """

    at: datetime
    from_: str = msgspec.field(name="from")
    to: str
    asset: str
    qty: Decimal
    fee_qty: Decimal | None = None
    fee_value: Decimal | None = None
    legs: tuple[str, ...] | None = None


class Withdrawal(_Base, tag="withdrawal", frozen=True, kw_only=True):
    """Coins leave a wallet for an address an export does not name: one leg of a move between one's
    own wallets until `gainlog transfers` pairs it with a `deposit` (TAX_RULES R2.8).

    Unpaired, the units leave the wallet with no disposal: their lots wait in transit (a wallet
    named `in transit from WALLET`), basis and dates kept, with a warning in every report (before
    2025, in a universal crypto pool, only the wallet's holding moves there: the lots stay pooled).

    Attributes:
        at: event time.
        wallet: the sending wallet.
        asset: the asset's symbol.
        qty: units leaving the wallet, the fee units included.
        fee_qty: the part of `qty` the sender charged as a fee (when the export says).
    """

    at: datetime
    wallet: str
    asset: str
    qty: Decimal
    fee_qty: Decimal | None = None


class Deposit(_Base, tag="deposit", frozen=True, kw_only=True):
    """Coins arrive at a wallet from an address an export does not name: the other leg of a move
    between one's own wallets, until `gainlog transfers` pairs it with a `withdrawal` (R2.8).

    Unpaired, the units are a new lot with zero basis acquired at the deposit, with a warning in
    every report (never silently a zero-basis purchase).

    Attributes:
        at: event time.
        wallet: the receiving wallet.
        asset: the asset's symbol.
        qty: units arriving in the wallet (after any fee).
    """

    at: datetime
    wallet: str
    asset: str
    qty: Decimal


class Fee(_Base, tag="fee", frozen=True, kw_only=True):
    """Pay a fee in an asset: a disposal of those units at `value` (R2.4).

    Attributes:
        at: event time.
        wallet: the paying wallet.
        asset: the asset spent.
        qty: units spent, above zero.
        value: USD value of those units; left out, valued at replay from `price` events.
    """

    at: datetime
    wallet: str
    asset: str
    qty: Decimal
    value: Decimal | None = None


class Income(_Base, tag="income", frozen=True, kw_only=True):
    """Ordinary income of `value`; a new lot with basis `value` (R7.1).

    Attributes:
        at: event time.
        wallet: the receiving wallet.
        asset: the asset received.
        qty: units received, above zero.
        kind: staking, mining, airdrop, interest, reward, fork or other.
        class_: `crypto` or `stock`.
        value: USD fair market value when received; left out, valued at replay from `price` events.
    """

    at: datetime
    wallet: str
    asset: str
    qty: Decimal
    kind: IncomeKind
    class_: AssetClass | None = msgspec.field(default=None, name="class")
    value: Decimal | None = None


class MethodElection(_Base, tag="method", frozen=True, kw_only=True):
    """A lot-selection election from a date on (R3.1–R3.3).

    Attributes:
        method: FIFO, LIFO, HIFO or LOFO.
        from_: the first day it covers (00:00 ledger-local).
        scope: universal (one pool across wallets) or wallet; decided per asset.
        wallet: limit the election to one wallet.
        asset: limit the election to one asset.
    """

    method: Method
    from_: date = msgspec.field(name="from")
    scope: Scope | None = None
    wallet: str | None = None
    asset: str | None = None


class Profile(_Base, tag="profile", frozen=True, kw_only=True):
    """Per-year facts of the taxpayer.

    Attributes:
        year: the tax year.
        filing_status: single, mfj, mfs, hoh or qss.
        taxable_income: Form 1040 line 11 minus line 14, negative when deductions exceed income.
        other_income: the year's taxable income other than the ledger's capital gains and losses,
            after deductions (may be negative): what the tax estimate (R8) adds them to.
    """

    year: int
    filing_status: FilingStatus | None = None
    taxable_income: Decimal | None = None
    other_income: Decimal | None = None


class Carryover(_Base, tag="carryover", frozen=True, kw_only=True):
    """Capital-loss carryover into `year`, replacing what the ledger would compute (R5.4).

    Attributes:
        year: the year the carryover comes into.
        short_term: short-term carryover, a positive number.
        long_term: long-term carryover, a positive number.
    """

    year: int
    short_term: Decimal
    long_term: Decimal


class Policy(_Base, tag="policy", frozen=True, kw_only=True):
    """Rule choices from a date on (R2.6, R4.5).

    Attributes:
        from_: the first day it covers.
        transfer_fee: dispose (default) or carry.
        wash_sale_crypto: apply wash sales to crypto loss sales from `from_`.
    """

    from_: date = msgspec.field(name="from")
    transfer_fee: TransferFee | None = None
    wash_sale_crypto: bool | None = None


class WalletInfo(_Base, tag="wallet", frozen=True, kw_only=True):
    """Which information return an account's broker files (R6.2).

    Attributes:
        wallet: the account.
        from_: the first day it covers; without it, from the beginning.
        reports: 1099-B, 1099-DA or none.
    """

    wallet: str
    from_: date | None = msgspec.field(default=None, name="from")
    reports: Reports | None = None


class Allocate(_Base, tag="allocate", frozen=True, kw_only=True):
    """The 2025-01-01 safe-harbor allocation of open universal lots to wallets (R3.4).

    Attributes:
        asset: the asset allocated.
        lots: each lot's quantity per wallet.
    """

    asset: str
    lots: tuple[LotAllocation, ...]


class Retract(_Base, tag="retract", frozen=True, kw_only=True):
    """The target no longer counts from this point of knowledge on.

    Attributes:
        target: the retracted event's key.
        reason: why.
    """

    target: str
    reason: str | None = None


class Price(_Base, tag="price", frozen=True, kw_only=True):
    """A market price of an asset in USD per unit (CONTRACT §4 Prices): what values a swap, fee or
    income that leaves out `value` (projections/rules/prices.py).

    Attributes:
        at: when the price held (aware, UTC).
        asset: the asset's symbol.
        usd: USD per unit, above zero.
    """

    at: datetime
    asset: str
    usd: Decimal


class ReorgPart(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One asset a `reorg` gives for each old unit (Form 8937 states the figures).

    Attributes:
        asset: the asset received.
        qty_per_unit: units received per old unit held.
        basis_share: the fraction of the old basis it takes (the shares add to 1, or less when part
            of the old asset remains).
    """

    asset: str
    qty_per_unit: Decimal
    basis_share: Decimal


class Split(_Base, tag="split", frozen=True, kw_only=True):
    """A forward or reverse split: every open lot's qty x `ratio`, basis and dates unchanged.

    Cash in lieu of a fractional unit is a `sell` of that fraction (projections/rules/corporate.py).
    A broker's export gives the units a split added to (or removed from) one account, not the ratio:
    such a split names `wallet` and `added_qty` or `removed_qty` (exactly one of the three), and its
    ratio is the wallet's holding after over its holding before, at replay.

    Attributes:
        at: event time.
        asset: the asset split.
        ratio: new units per old unit (2 for a 2-for-1, 0.1 for a 1-for-10 reverse split).
        wallet: the one wallet of an `added_qty` / `removed_qty` split (required with them, refused with `ratio`).
        added_qty: units the split added to the wallet's holding (a forward split).
        removed_qty: units the split took from the wallet's holding (a reverse split).
    """

    at: datetime
    asset: str
    ratio: Decimal | None = None
    wallet: str | None = None
    added_qty: Decimal | None = None
    removed_qty: Decimal | None = None


class Rename(_Base, tag="rename", frozen=True, kw_only=True):
    """The asset continues under a new symbol (a ticker change, a token migration): lots unchanged.

    Attributes:
        at: event time.
        asset: the old symbol.
        to: the new symbol.
    """

    at: datetime
    asset: str
    to: str


class Reorg(_Base, tag="reorg", frozen=True, kw_only=True):
    """A spin-off or merger: the old lots' basis allocated to what they become (IRC §358, Form 8937).

    Attributes:
        at: event time.
        wallet: limit it to one wallet (default: every wallet holding the asset).
        asset: the old asset.
        into: what each old unit becomes, with its share of the basis.
        cash: USD cash received (boot): a disposal of the part of the basis the shares leave unallocated.
    """

    at: datetime
    asset: str
    into: tuple[ReorgPart, ...]
    wallet: str | None = None
    cash: Decimal | None = None


class GiftIn(_Base, tag="gift_in", frozen=True, kw_only=True):
    """Units received as a gift: dual basis (IRC §1015(a)), donor's holding period tacked when the
    donor's basis is used (§1223(2)).

    Attributes:
        at: event time.
        wallet: the receiving wallet.
        asset: the asset received.
        qty: units received.
        donor_basis: the donor's adjusted basis of those units (USD).
        donor_acquired: the day the donor acquired them.
        fmv: their fair market value at the gift (USD).
        class_: `crypto` or `stock`.
    """

    at: datetime
    wallet: str
    asset: str
    qty: Decimal
    donor_basis: Decimal
    donor_acquired: date
    fmv: Decimal
    class_: AssetClass | None = msgspec.field(default=None, name="class")


class _UnitsGiven(_Base, frozen=True, kw_only=True):
    """Units that leave a wallet with no disposal, picked like a sale's (`gift_out`, `donate`).

    Attributes:
        at: event time.
        wallet: the giving wallet.
        asset: the asset given.
        qty: units given.
        fmv: their fair market value when given (USD).
        lots: specific identification, overriding the method in force.
    """

    at: datetime
    wallet: str
    asset: str
    qty: Decimal
    fmv: Decimal
    lots: tuple[LotPick, ...] | None = None


class GiftOut(_UnitsGiven, tag="gift_out", frozen=True, kw_only=True):
    """Units given away: they leave with no disposal (the recipient takes the basis, §1015)."""


class Donate(_UnitsGiven, tag="donate", frozen=True, kw_only=True):
    """Units given to a charity: they leave with no disposal, listed by `report donations` (Form 8283)."""


class Lost(_Base, tag="lost", frozen=True, kw_only=True):
    """Units lost or stolen: they leave with no deduction (IRC §165(h)(5), 2018-2025).

    Attributes:
        at: event time.
        wallet: the wallet.
        asset: the asset.
        qty: units lost.
    """

    at: datetime
    wallet: str
    asset: str
    qty: Decimal


class Worthless(_Base, tag="worthless", frozen=True, kw_only=True):
    """The asset became worthless: its remaining units are disposed of for 0 on December 31 of that
    year (IRC §165(g)).

    Attributes:
        at: event time (the year it became worthless).
        asset: the asset.
        wallet: limit it to one wallet (default: every wallet).
    """

    at: datetime
    asset: str
    wallet: str | None = None


Event = (
    Buy | Sell | Swap | Transfer | Fee | Income | MethodElection | Profile | Carryover | Policy
    | WalletInfo | Allocate | Retract | Price | Split | Rename | Reorg | GiftIn | GiftOut | Donate | Lost
    | Worthless | Withdrawal | Deposit
)
ALL_EVENTS: tuple[type[_Base], ...] = (
    Buy, Sell, Swap, Transfer, Fee, Income, MethodElection, Profile, Carryover, Policy, WalletInfo,
    Allocate, Retract, Price, Split, Rename, Reorg, GiftIn, GiftOut, Donate, Lost, Worthless, Withdrawal, Deposit,
)
TAG_TO_TYPE: dict[str, type[_Base]] = {t.__struct_config__.tag: t for t in ALL_EVENTS}  # type: ignore[misc]
CORPORATE = (Split, Rename, Reorg, GiftIn, GiftOut, Donate, Lost, Worthless)
"""The events of CONTRACT §4 "More events": the lot engine folds them with the trades."""
LEGS = (Withdrawal, Deposit)  # the two sides of a move an export records one at a time
Trade = (
    Buy | Sell | Swap | Transfer | Fee | Income | Split | Rename | Reorg | GiftIn | GiftOut | Donate | Lost
    | Worthless | Withdrawal | Deposit
)
TRADES = (Buy, Sell, Swap, Transfer, Fee, Income, *CORPORATE, *LEGS)


class Recorded(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An event as the log holds it: what projections fold over.

    Attributes:
        seq: global position in the log, gap-free from 1.
        key: stable identity `SOURCE:ID` or `SOURCE:sha256#rank` (CONTRACT §2 Identity).
        source: the import source (`cli` for `add`).
        batch: the import batch (one transaction).
        recorded_at: commit time of the batch (aware, UTC); never decreases along seq.
        event: the event itself.
    """

    seq: int
    key: str
    source: str
    batch: int
    recorded_at: datetime
    event: Event


def tag_of(event: Event) -> str:
    """The event's `type` as written in the log."""
    return event.__struct_config__.tag  # type: ignore[return-value]


def assets_of(event: Event) -> tuple[str, ...]:
    """Every asset an event names (swaps name two)."""
    match event:
        case Swap():
            return (event.give_asset, event.get_asset)
        case Buy() | Sell() | Transfer() | Fee() | Income() | Allocate() | Price() | Withdrawal() | Deposit():
            return (event.asset,)
        case Rename():
            return (event.asset, event.to)
        case Reorg():
            return (event.asset, *(part.asset for part in event.into))
        case Split() | GiftIn() | GiftOut() | Donate() | Lost() | Worthless():
            return (event.asset,)
        case MethodElection() if event.asset is not None:
            return (event.asset,)
    return ()
