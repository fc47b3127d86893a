"""The values the projection stages hand to each other (STYLE.md 9, 13).

classify and book lots (`projections.engine`) -> wash sales (`projections.rules.wash_sale`)
-> tax years (`projections.tax_year`). Each stage returns new values; none is mutated downstream.
They are plain values that never form reference cycles, so they stay out of the cyclic garbage
collector (`gc=False`). The ones the lot engine makes by the million each have one fast
constructor (`make_slice`, `make_acquisition`), the only place they are built positionally, in
field order: several times faster than by keyword for a Struct this wide (issue #7), and a field
order change is made there once (each maps its parameters to the fields of those names; a test
checks it). Everything else builds them by keyword (issue #11).
Amounts are exact Decimals; rounding to cents happens only when rows are rendered (R2.7).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Final, Literal

import msgspec

from ..ledger.events import AssetClass, IncomeKind, Method

Term = Literal["short", "long"]
DisposalKind = Literal["sell", "swap", "fee", "transfer_fee", "worthless", "reorg"]
AcquisitionKind = Literal["buy", "swap", "income", "deposit"]
SPECIFIC: Final = "SPECID"  # `Slice.method` of units a sell's `lots` named (specific identification, R3.1)
LotMethod = Method | Literal["SPECID"]  # how a slice's units were selected: a `Method`, or SPECIFIC
ZERO = Decimal(0)


class Problem(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A tax fact a report must show, never a reason to fail (CONTRACT §3 `warnings`).

    Attributes:
        code: a stable slug, e.g. `missing-basis`, `late-identification`.
        message: one sentence a person can act on.
        seq: the event it is about (0 when none).
        hint: a possible fix.
    """

    code: str
    message: str
    seq: int = 0
    hint: str = ""


class WashLink(msgspec.Struct, frozen=True, gc=False):
    """One disallowed loss moved onto replacement units (R4.2–R4.3).

    Attributes:
        loss_key: key of the disposal whose loss was disallowed.
        loss_seq: its seq.
        loss_lot: the lot that was sold at a loss.
        replacement_lot: the lot whose units absorb the loss.
        qty: replacement units matched.
        amount: disallowed loss carried by those units.
        days: holding-period days tacked onto the replacement (date moved back).
    """

    loss_key: str
    loss_seq: int
    loss_lot: str
    replacement_lot: str
    qty: Decimal
    amount: Decimal
    days: int


class Slice(msgspec.Struct, frozen=True, gc=False):
    """One lot's part of one disposal: a Form 8949 row before rounding.

    Attributes:
        seq: seq of the disposal event.
        event_key: key of the disposal event.
        kind: sell, swap (give side), fee, or transfer_fee (R2.6 default).
        order: position in the lot selection order of that disposal, from 0.
        asset: the asset disposed of.
        asset_class: crypto or stock.
        wallet: the wallet the units left.
        lot: full key of the acquisition the units came from ("" for missing basis).
        qty: units in this slice.
        acquired_at: actual acquisition time of the lot (UTC); for lot selection and R4.2 order.
        date_acquired: Form 8949 (b): local date, moved back by wash-sale tacking (R4.3).
        sold_at: event time of the disposal (UTC).
        date_sold: Form 8949 (c): local date.
        proceeds: exact proceeds allocated pro rata to this slice.
        basis: exact basis of the units (plus wash-sale adjustments they carry).
        term: short or long (R1.2).
        covered: the broker had to report this lot's basis (R6.2).
        adjustment: disallowed loss of this slice (R4.4), positive; zero when none.
        code: Form 8949 (f), e.g. "W".
        transferred: the units arrived in `wallet` by a self-transfer.
        missing_basis: units sold beyond what the pool held (R3.5).
        wash: disallowed losses these units carry in (as a replacement) or send out (as a loss).
        method: how the units were selected: the lot method in force (FIFO, LIFO, HIFO, LOFO; for
            missing-basis units, the method that found no more lots), or `SPECID` for units a
            sell's `lots` named; "" when not recorded (a slice made outside the lot engine).
    """

    seq: int
    event_key: str
    kind: DisposalKind
    order: int
    asset: str
    asset_class: AssetClass
    wallet: str
    lot: str
    qty: Decimal
    acquired_at: datetime
    date_acquired: date
    sold_at: datetime
    date_sold: date
    proceeds: Decimal
    basis: Decimal
    term: Term
    covered: bool
    adjustment: Decimal = ZERO
    code: str = ""
    transferred: bool = False
    missing_basis: bool = False
    wash: tuple[WashLink, ...] = ()
    method: LotMethod | Literal[""] = ""

    @property
    def gain(self) -> Decimal:
        """Exact (h) = (d) − (e) + (g)."""
        return self.proceeds - self.basis + self.adjustment


def make_slice(
    seq: int, event_key: str, kind: DisposalKind, order: int, asset: str, asset_class: AssetClass, wallet: str,
    lot: str, qty: Decimal, acquired_at: datetime, date_acquired: date, sold_at: datetime, date_sold: date,
    proceeds: Decimal, basis: Decimal, term: Term, covered: bool, transferred: bool, method: LotMethod,
) -> Slice:
    """The fast constructor of `Slice`: the lot engine's slice of one lot taken (no adjustment, code
    or wash links yet: the wash-sale pass adds them; not missing basis). Positional in its own
    order; each parameter becomes the field of its name."""
    return Slice(
        seq, event_key, kind, order, asset, asset_class, wallet, lot, qty, acquired_at, date_acquired, sold_at,
        date_sold, proceeds, basis, term, covered, ZERO, "", transferred, False, (), method,
    )


class Acquisition(msgspec.Struct, frozen=True, gc=False):
    """A lot coming into existence by purchase or exchange: a wash-sale replacement candidate (R4.1).

    Attributes:
        lot: full key of the acquiring event (the lot id).
        seq: its seq.
        kind: buy, swap (get side), income, or deposit (an unpaired deposit's zero-basis lot, R2.8).
        asset: the asset acquired.
        asset_class: crypto or stock.
        wallet: where it arrived.
        acquired_at: event time (UTC).
        date_acquired: local date.
        qty: units acquired.
        basis: cost basis of all units.
    """

    lot: str
    seq: int
    kind: AcquisitionKind
    asset: str
    asset_class: AssetClass
    wallet: str
    acquired_at: datetime
    date_acquired: date
    qty: Decimal
    basis: Decimal


def make_acquisition(
    lot: str, seq: int, kind: AcquisitionKind, asset: str, asset_class: AssetClass, wallet: str,
    acquired_at: datetime, date_acquired: date, qty: Decimal, basis: Decimal,
) -> Acquisition:
    """The fast constructor of `Acquisition` (one per lot the engine opens). Positional in its own
    order; each parameter becomes the field of its name."""
    return Acquisition(lot, seq, kind, asset, asset_class, wallet, acquired_at, date_acquired, qty, basis)


class OpenLot(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Units of one lot still held in one wallet (or in the universal pool, wallet `*`).

    Attributes:
        lot: full key of the acquisition.
        asset: the asset.
        asset_class: crypto or stock.
        wallet: the holding wallet, or `*` for a universal pool.
        qty: units held.
        basis: their basis (plus wash-sale adjustments carried).
        acquired_at: actual acquisition time (UTC).
        date_acquired: local date, moved back by wash-sale tacking.
        covered: the broker has to report its basis (R6.2).
        transferred: arrived by a self-transfer.
        wash_adjustment: disallowed loss these units carry (R4.3).
        wash: the losses carried.
    """

    lot: str
    asset: str
    asset_class: AssetClass
    wallet: str
    qty: Decimal
    basis: Decimal
    acquired_at: datetime
    date_acquired: date
    covered: bool
    transferred: bool = False
    wash_adjustment: Decimal = ZERO
    wash: tuple[WashLink, ...] = ()


class IncomeRow(msgspec.Struct, frozen=True, gc=False):
    """Ordinary income at fair market value when received (R7.1).

    Attributes:
        seq: seq of the income event.
        key: its key.
        at: event time (UTC).
        date: local date.
        wallet: receiving wallet.
        asset: asset received.
        qty: units.
        value: USD value, also the new lot's basis.
        kind: staking, mining, airdrop, interest, reward, fork, other.
    """

    seq: int
    key: str
    at: datetime
    date: date
    wallet: str
    asset: str
    qty: Decimal
    value: Decimal
    kind: IncomeKind


class DonatedLot(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One lot's part of a donation (Form 8283 columns (c)-(f)).

    Attributes:
        lot: full key of the acquisition ("" for units no lot covered).
        qty: units.
        basis: their basis.
        date_acquired: local date acquired (as a sale would report it).
        term: short or long on the donation date (R1.2).
    """

    lot: str
    qty: Decimal
    basis: Decimal
    date_acquired: date
    term: Term


class Donation(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Units given to a charity (`donate`): what Form 8283 asks for.

    Attributes:
        seq: seq of the donate event.
        key: its key.
        at: event time (UTC).
        date: local date.
        wallet: the giving wallet.
        asset: the asset donated.
        qty: units.
        fmv: USD fair market value given on the event.
        lots: the lots the units came from.
    """

    seq: int
    key: str
    at: datetime
    date: date
    wallet: str
    asset: str
    qty: Decimal
    fmv: Decimal
    lots: tuple[DonatedLot, ...]


class UnitChange(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A `split` or `rename` as the wash-sale pass reads it: the same security under a new count or name.

    Attributes:
        seq: the event's seq.
        at: event time (UTC).
        asset: the asset before.
        ratio: new units per old unit (1 for a rename).
        to: the asset after (the same for a split).
    """

    seq: int
    at: datetime
    asset: str
    ratio: Decimal
    to: str


class Booked(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What the lot engine returns for a log prefix.

    Attributes:
        slices: disposed lot slices in 8949 order (date_sold, seq, order).
        acquisitions: buys, swap receipts and income lots, in event order.
        open_lots: units still held at the end, ordered by asset, wallet, acquisition.
        income: income rows in event order.
        problems: warnings collected during the replay.
        donations: `donate` events with the lots they gave (CONTRACT §4).
        unit_changes: splits and renames in event order (the wash-sale pass follows them, R4).
    """

    slices: tuple[Slice, ...]
    acquisitions: tuple[Acquisition, ...]
    open_lots: tuple[OpenLot, ...]
    income: tuple[IncomeRow, ...]
    problems: tuple[Problem, ...]
    donations: tuple[Donation, ...] = ()
    unit_changes: tuple[UnitChange, ...] = ()
