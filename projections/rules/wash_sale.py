"""R4 Wash sales: a stock loss is disallowed while substantially identical stock is bought nearby.

Source: IRC §1091, Treas. Reg. §1.1091-1 and -2, IRS Pub 550 ch. 4 "Wash Sales"; crypto is
exempt (Notice 2014-21) unless a `policy` with `wash_sale_crypto: true` covers the sale (R4.5).

A pure post-pass over the lot engine's `Booked` (STYLE.md 9). The engine picks lots on unadjusted
basis; this pass then walks the slices in 8949 order (date_sold, seq, order), keeping per lot id a
queue of units in which washed units sit at the front (R4.3):

1. A disposal first takes its units from their lots; units that carry a disallowed loss bring it
   into the slice's basis and move its date acquired back (a slice that mixes units with different
   dates is split into one row per date, washed units first).
2. Each slice that is then a loss (proceeds < basis), of a stock or of crypto under the policy,
   is matched against acquisitions (`buy`, swap receipts, `income`) of the same asset dated within
   30 days before or after the sale, in any wallet, earliest acquired first, never its own lot
   (R4.1, R4.2). An unpaired `deposit`'s zero-basis lot (R2.8) is never one: it stands for one's own
   units moved in from a wallet the log does not name, not a purchase (§1091(a), `replaces`).
   Units still count when bought before the sale and still held (not sold, not already a
   replacement), or bought after it and not yet used as a replacement.
3. Disallowed = loss × min(matched, sold) ÷ sold (R4.2), split over the replacement pieces so the
   pieces add up to the total. The loss slice gets code `W` and the amount as adjustment (R4.4);
   the matched units get the amount on their basis and their date moved back by the days the sold
   units were held (R4.3). A replacement later sold at a loss washes again (chains roll forward).
4. Washed units still held at the end are marked on `open_lots` (basis, date, wash_adjustment).

R4.6, the broker's figure: a sell carrying `wash_disallowed` (Form 1099-B box 1g) comes from the lot
engine with that figure on its loss slices as code W adjustments (`reported_shares`, in proportion
to their losses, at most the loss). Such a slice is not washed against replacements in its own
wallet (the broker applied §1091 in its account and raised their basis already): the units the
figure stands for are matched there and absorb nothing more; the rest of the loss washes against
other wallets' replacements (`_wash`, `_match`). The pass finds those sells in `records`.

Example (R-E6): buy 100 XYZ 2025-01-10 for 5,000; sell them 2025-06-02 for 4,000; buy 60 on
2025-06-20 for 2,520 -> the sale's row: adjustment 600 (W), gain -400; the 60 shares: basis 3,120,
date acquired 2025-01-28 (moved back 143 days); sold 2026-02-10 for 2,700 -> long-term loss 420.

Amounts are exact (R2.7, projections/exact.py): the pieces of a disallowed loss and the rows a split
slice becomes add back to the last digit, so with every lot sold the total gain is unchanged.

Problems: none. A lot id with no `Acquisition` is never a replacement. Units that leave a lot
without a slice (a transfer fee under `transfer_fee: carry`) are taken off it from the start; washed
units of a lot split over several wallets are marked on its open rows in `open_lots` order. See
docs/wash-sales.md.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import msgspec

from ...ledger.events import Policy, Recorded, Sell
from ..exact import EXACT, exact_context, minus, plus, pro_rata, tidy, total
from ..model import ZERO, Acquisition, AcquisitionKind, Booked, OpenLot, Slice, UnitChange, WashLink
from .holding_period import Terms, local_date
from .precedence import Setting, in_force, ranked

WINDOW = timedelta(days=30)
WASH_CODE = "W"
BATCH = 1024  # slices `WashPass.slices` works on at once


class _Washed(msgspec.Struct):
    """Units of one lot that absorbed one disallowed loss and are still held (R4.3)."""

    qty: Decimal
    amount: Decimal
    days: int
    link: WashLink


class _LotUnits(msgspec.Struct):
    """Running unit bookkeeping of one lot id during the pass (never leaves this module).

    `qty` is the acquisition's units that ever show up in slices or open lots; `held` is the exact
    sum of `washed` quantities, kept up to date by `_pop_front` and `_wash`.
    """

    acquisition: Acquisition
    qty: Decimal
    consumed: Decimal = ZERO
    matched: Decimal = ZERO  # units ever used as a replacement (each absorbs one loss, R4.2)
    washed: deque[_Washed] = msgspec.field(default_factory=deque)  # the front of the lot's queue
    held: Decimal = ZERO

    def held_washed(self) -> Decimal:
        return self.held

    def scale(self, ratio: Decimal) -> None:
        """A split of `ratio` new units per old unit: every count of the lot in the new units."""
        mul = EXACT.multiply
        self.qty, self.consumed = mul(self.qty, ratio), mul(self.consumed, ratio)
        self.matched, self.held = mul(self.matched, ratio), mul(self.held, ratio)
        for washed in self.washed:
            washed.qty = mul(washed.qty, ratio)

    def room(self) -> Decimal:
        """Units that can still become replacements: held (or yet to come) and not washed before;
        zero or less when none. The exact difference, not yet `tidy`: a scan of the window compares
        it, and tidies only the amounts that become a link's quantity."""
        qty = self.qty
        unmatched = EXACT.subtract(qty, self.matched)
        unheld = EXACT.subtract(EXACT.subtract(qty, self.consumed), self.held)
        return unheld if unheld < unmatched else unmatched


class _Candidates(msgspec.Struct):
    """Acquisitions of one asset in order of actual acquisition time (acquired_at, seq), with their
    unit bookkeeping and local dates (non-decreasing along that order) for finding a sale's window.

    A lot's available units never grow again once they reach zero (matches and disposals only take
    units away), so exhausted lots are skipped for good: `next_open[i]` points at the first index
    >= i not known to be exhausted (path-compressed), which keeps a dense window linear overall.
    """

    acquisitions: list[Acquisition] = msgspec.field(default_factory=list)
    units: list[_LotUnits] = msgspec.field(default_factory=list)
    dates: list[date] = msgspec.field(default_factory=list)
    next_open: list[int] = msgspec.field(default_factory=list)
    sold: date | None = None  # the last `window` asked for: the rows of one sale ask in turn
    bounds: tuple[int, int] = (0, 0)

    def add(self, acquisition: Acquisition, units: _LotUnits) -> None:
        self.acquisitions.append(acquisition)
        self.units.append(units)
        self.dates.append(acquisition.date_acquired)
        self.next_open.append(len(self.next_open))

    def window(self, sold: date) -> tuple[int, int]:
        """The indices [start, end) of those acquired from 30 days before `sold` through 30 days
        after it (R4.1)."""
        if sold != self.sold:
            start = bisect_left(self.dates, sold - WINDOW)
            self.sold, self.bounds = sold, (start, bisect_right(self.dates, sold + WINDOW, lo=start))
        return self.bounds

    def open_from(self, i: int) -> int:
        """The first index >= i not known to be exhausted."""
        nxt = self.next_open
        root = i
        while root < len(nxt) and nxt[root] != root:
            root = nxt[root]
        while i < len(nxt) and nxt[i] != root:
            nxt[i], i = root, nxt[i]
        return root


_Part = tuple[Decimal, Decimal, int, tuple[WashLink, ...]]
"""A run of units taken from a lot's queue that share one moved-back date: (qty, the disallowed loss
they carry, the days their date moves back, the links of that loss). A plain tuple: a slice split
over a long wash-sale chain makes one per row."""


def apply_wash_sales(booked: Booked, records: Sequence[Recorded], *, tz: ZoneInfo) -> Booked:
    """`booked` with R4 applied: `W` rows, and replacement units carrying the losses they absorbed.

    `records` are the live events; only `policy` events (R4.5) and the sells carrying the broker's
    figure (R4.6) are read from them.
    """
    wash = WashPass(booked, records, tz=tz)
    if not wash.active:  # nothing can wash (no stock, no crypto under the policy)
        return booked
    slices = tuple(wash.slices(booked.slices))
    return msgspec.structs.replace(booked, slices=slices, open_lots=tuple(wash.open_lots(booked.open_lots)))


class WashPass:
    """One run of the R4 pass over a projection, in two steps: `slices` (every slice, in 8949 order)
    then `open_lots`. `slices` is a generator, so a caller that writes rows as they come (`report
    all`) never holds the whole washed list next to the unwashed one.

    Built from the lot engine's `Booked` (`booked.slices` and `open_lots` are read once here, for
    the units each lot ever shows) and the live events (only `policy`, R4.5, and the sells carrying
    `wash_disallowed`, R4.6, are read).
    """

    def __init__(self, booked: Booked, records: Sequence[Recorded], *, tz: ZoneInfo) -> None:
        self._tz = tz
        self._terms = Terms()
        self._crypto_from = _crypto_wash_dates(records)
        self._reported = reported_sales(records)  # sales carrying the broker's figure (R4.6)
        self._units = _Units(booked.unit_changes)
        self._lot_to_units = _lot_units(booked, crypto=any(s.value for s in self._crypto_from), units=self._units)
        self._washing = ("stock", "crypto") if self._crypto_from else ("stock",)  # the classes R4 may cover
        self._asset_to_acquisitions: dict[str, _Candidates] = {}
        for acquisition in sorted(
            (a for a in booked.acquisitions if a.lot in self._lot_to_units and replaces(a)),
            key=lambda a: (a.acquired_at, a.seq),
        ):
            self._asset_to_acquisitions.setdefault(self._units.root(acquisition.asset), _Candidates()).add(
                acquisition, self._lot_to_units[acquisition.lot])

    @property
    def active(self) -> bool:
        """Whether any lot can wash or replace; when not, every slice and open lot stays as it is."""
        return bool(self._lot_to_units)

    def slices(self, slices: Iterable[Slice], *, upto: Callable[[int | None], None] | None = None) -> Iterator[Slice]:
        """The slices (all of them, in 8949 order) with R4 applied, a batch of whole disposals at a
        time (the 34-digit context is entered around each batch, never held across a `yield`).
        `upto(year)`: called once every slice sold before `year` has been through the pass (before
        any later one), `upto(None)` at the end (`report html`'s year-end lots: `marked_now`)."""
        batch: list[Slice] = []
        year = 0  # with `upto`: the year the slice before sold in (0: none yet)
        for s in slices:
            if upto is not None and s.date_sold.year != year:
                if year:
                    yield from self._batch(batch)
                    batch = []
                    upto(s.date_sold.year)
                year = s.date_sold.year
            elif len(batch) >= BATCH and s.seq != batch[-1].seq:
                yield from self._batch(batch)
                batch = []
            batch.append(s)
        if batch:
            yield from self._batch(batch)
        if upto is not None:
            upto(None)

    def _batch(self, batch: list[Slice]) -> list[Slice]:
        """The batch's slices through the pass. Only the disposals with a slice the pass may change go
        through `_disposal`: one of a lot it tracks (its units are taken), or a loss of a class the
        rule can cover (it may wash); the runs between them (crypto without the policy, most of a
        typical log) are copied as they are. With splits in the log every disposal goes through
        (`_Units.apply_until` follows them disposal by disposal)."""
        lot_to_units, washing = self._lot_to_units, self._washing
        every = bool(self._units.splits)
        out: list[Slice] = []
        pos, end = 0, len(batch)
        with exact_context():
            for i in [i for i, s in enumerate(batch)
                      if every or s.lot in lot_to_units or s.asset_class in washing and s.proceeds < s.basis]:
                if i < pos:  # in a disposal already done
                    continue
                seq, first, last = batch[i].seq, i, i + 1
                while first > pos and batch[first - 1].seq == seq:
                    first -= 1
                while last < end and batch[last].seq == seq:
                    last += 1
                out += batch[pos:first]
                out += self._disposal(batch[first:last])
                pos = last
        out += batch[pos:]
        return out

    def _disposal(self, disposal: list[Slice]) -> list[Slice]:
        """One disposal's slices through steps 1 and 2: every slice takes its units first, then each
        loss washes (a loss matches against the lots as the whole disposal left them). Most slices
        can neither carry nor take a loss (crypto without the policy, a gain, no lot the pass tracks):
        those cost a dict lookup and a comparison, and come back as the same objects."""
        lot_to_units = self._lot_to_units
        changes = self._units
        if changes.splits:
            changes.apply_until(disposal[0].sold_at, disposal[0].seq, lot_to_units)
        pieces = disposal  # a new list only once a slice splits into rows
        for index, s in enumerate(disposal):
            units = lot_to_units.get(s.lot) if s.lot and not s.missing_basis else None
            if units is None:  # a lot that cannot wash or replace: nothing to track
                if pieces is not disposal:
                    pieces.append(s)
                continue
            if s.asset != units.acquisition.asset and changes.root(s.asset) != changes.root(units.acquisition.asset):
                taken = [s]  # a reorg's lot of another asset under the same lot key
            else:
                taken = _take_units(s, units, self._terms)
            if pieces is not disposal:
                pieces.extend(taken)
            elif len(taken) != 1 or taken[0] is not s:
                pieces = disposal[:index] + taken
        crypto_from, tz, reported = self._crypto_from, self._tz, self._reported
        for index, piece in enumerate(pieces):
            # a loss slice of a real lot whose class the rule covers on the sale date (R4.1, R4.5)
            if piece.proceeds < piece.basis and piece.lot and not piece.missing_basis and (
                    piece.asset_class == "stock"
                    or crypto_from and _crypto_on(crypto_from, local_date(piece.sold_at, tz))):
                found = self._asset_to_acquisitions.get(changes.root(piece.asset))
                if found is not None:
                    factor = changes.factor_after(piece) if changes.splits else None
                    washed = _wash(piece, found, factor, reported=bool(reported) and piece.seq in reported)
                    if washed is not piece:
                        if pieces is disposal:
                            pieces = list(disposal)
                        pieces[index] = washed
        if len(pieces) == len(disposal):  # no slice was split: the orders stand
            return pieces
        first = disposal[0].order
        replace = msgspec.structs.replace
        return [p if p.order == first + i else replace(p, order=first + i) for i, p in enumerate(pieces)]

    def open_lots(self, open_lots: Iterable[OpenLot]) -> list[OpenLot]:
        """The open lots, washed units marked (after `slices` has run to its end)."""
        with exact_context():
            self._units.apply_until(None, 0, self._lot_to_units)
            return [piece for lot in open_lots for piece in _mark_open_lot(lot, self._lot_to_units, self._units)]

    def marked_now(self, open_lots: Sequence[OpenLot]) -> list[OpenLot]:
        """`open_lots` marked as `open_lots` would mark them with the slices the pass has read so
        far (a year's end: `slices(..., upto=...)`), the pass left as it is: each lot's washed units
        still held then, washed units first."""
        copies: dict[str, _LotUnits] = {}
        for lot in open_lots:
            units = self._lot_to_units.get(lot.lot)
            if units is not None and units.washed and lot.lot not in copies:
                washed = deque(_Washed(w.qty, w.amount, w.days, w.link) for w in units.washed)
                copies[lot.lot] = _LotUnits(units.acquisition, units.qty, washed=washed, held=units.held)
        with exact_context():
            return [piece for lot in open_lots for piece in _mark_open_lot(lot, copies)]


REPLACING: frozenset[AcquisitionKind] = frozenset(("buy", "swap", "income"))
"""The acquisitions that can replace sold units: by purchase or exchange (§1091(a), R4.1)."""


def replaces(acquisition: Acquisition) -> bool:
    """Whether an acquisition can be a wash-sale replacement (R4.1): a `buy`, a swap's received side or
    an `income` lot (a reinvested dividend is a purchase). Not an unpaired deposit (R2.8): one's own
    units arriving from a wallet the log does not name, booked at zero basis until paired; a transfer
    between one's own wallets is no acquisition, paired or not."""
    return acquisition.kind in REPLACING


def crypto_ever(records: Iterable[Recorded]) -> bool:
    """Whether a `policy` ever puts crypto under the rule (R4.5). Without one, crypto lots can
    neither wash nor replace: the pass keeps no bookkeeping for them at all (`tracked`)."""
    return any(s.value for s in _crypto_wash_dates(records))


def tracked(acquisitions: Iterable[Acquisition], *, crypto: bool) -> list[Acquisition]:
    """The acquisitions the pass reads: the stock lots, or every lot when `crypto_ever` (one call for
    many: the lot engine's replay sifts them as they come, `pipeline._released`)."""
    if crypto:
        return list(acquisitions)
    return [a for a in acquisitions if a.asset_class != "crypto"]


class _Units:
    """The splits and renames of the log (`Booked.unit_changes`) as the pass follows them (R4: the
    same security under a new count or symbol keeps the replacement relation).

    A rename joins two symbols into one line (`root`): acquisitions of either are candidates for a
    loss of the other. A split scales the bookkeeping of every lot of its line acquired before it,
    when the pass reaches it in time (`apply_until`), so that a lot's units are always counted in the
    units of the moment; a replacement acquired after splits that follow the loss sale is counted in
    the sale's units (`factor_after`)."""

    def __init__(self, changes: Sequence[UnitChange]) -> None:
        self._parent: dict[str, str] = {}
        self.renames = False
        for change in changes:
            if change.to != change.asset:
                self.renames = True
                a, b = self.root(change.asset), self.root(change.to)
                if a != b:
                    self._parent[b] = a
        self.splits = [c for c in changes if c.to == c.asset]
        self._next = 0  # splits[:_next] are applied

    def root(self, asset: str) -> str:
        parent = self._parent
        while asset in parent:
            asset = parent[asset]
        return asset

    def _between(self, asset: str, after: tuple[datetime, int], upto: tuple[datetime, int] | None) -> Decimal:
        """The product of the ratios of `asset`'s line's splits after `after`, up to `upto` (None: all)."""
        root, out = self.root(asset), Decimal(1)
        for split in self.splits:
            point = (split.at, split.seq)
            if point > after and (upto is None or point <= upto) and self.root(split.asset) == root:
                out *= split.ratio
        return out

    def seen(self, acquisition: Acquisition, qty: Decimal, at: datetime | None, seq: int) -> Decimal:
        """`qty` units of the lot counted at `at` (None: the end), in the acquisition's units."""
        if not self.splits:
            return qty
        factor = self._between(acquisition.asset, (acquisition.acquired_at, acquisition.seq),
                               None if at is None else (at, seq))
        return qty if factor == 1 else (qty / factor).quantize(_SEEN, context=EXACT)

    def apply_until(self, at: datetime | None, seq: int, lot_to_units: dict[str, _LotUnits]) -> None:
        """Scale every lot acquired before each split not yet applied that comes before (at, seq)."""
        while self._next < len(self.splits):
            split = self.splits[self._next]
            if at is not None and (split.at, split.seq) >= (at, seq):
                return
            self._next += 1
            root = self.root(split.asset)
            for units in lot_to_units.values():
                a = units.acquisition
                if (a.acquired_at, a.seq) < (split.at, split.seq) and self.root(a.asset) == root:
                    units.scale(split.ratio)

    def factor_after(self, piece: Slice) -> Callable[[Acquisition], Decimal]:
        """For a loss slice: a replacement's units per unit of the sale (splits between the sale
        and a later acquisition)."""
        sold = (piece.sold_at, piece.seq)

        def factor(acquisition: Acquisition) -> Decimal:
            if (acquisition.acquired_at, acquisition.seq) <= sold:
                return Decimal(1)
            return self._between(piece.asset, sold, (acquisition.acquired_at, acquisition.seq))

        return factor


_SEEN = Decimal("1e-24")  # a lot's units counted back across splits: finer than any quantity of the log


def _lot_units(booked: Booked, *, crypto: bool, units: _Units | None = None) -> dict[str, _LotUnits]:
    """Unit bookkeeping per lot id (`tracked` lots); units that left without a slice (a carried
    transfer fee, a gift, a donation, a loss) are taken off from the start, so they never absorb a loss."""
    lot_to_acquisition = {a.lot: a for a in tracked(booked.acquisitions, crypto=crypto)}
    if not lot_to_acquisition:
        return {}
    lot_to_seen: dict[str, Decimal] = {}
    add = EXACT.add
    if units is None or not (units.splits or units.renames):
        for held in (booked.slices, booked.open_lots):
            for s in [s for s in held if s.lot in lot_to_acquisition]:  # a few: those of tracked lots
                if s.asset == lot_to_acquisition[s.lot].asset:  # a reorg's lots keep the old lot key
                    lot_to_seen[s.lot] = add(lot_to_seen.get(s.lot, ZERO), s.qty)
    else:
        for s in booked.slices:
            a = lot_to_acquisition.get(s.lot)
            if a is not None and units.root(s.asset) == units.root(a.asset):
                lot_to_seen[s.lot] = add(lot_to_seen.get(s.lot, ZERO), units.seen(a, s.qty, s.sold_at, s.seq))
        for o in booked.open_lots:
            a = lot_to_acquisition.get(o.lot)
            if a is not None and units.root(o.asset) == units.root(a.asset):
                lot_to_seen[o.lot] = add(lot_to_seen.get(o.lot, ZERO), units.seen(a, o.qty, None, 0))
    return {
        lot: _LotUnits(a, qty=min(a.qty, lot_to_seen.get(lot, ZERO))) for lot, a in lot_to_acquisition.items()
    }


def wash_sale_crypto_on(records: Iterable[Recorded], day: date) -> bool:
    """Whether the policy applies wash sales to crypto sold on local date `day` (R4.5)."""
    return _crypto_on(_crypto_wash_dates(records), day)


def _crypto_wash_dates(records: Iterable[Recorded]) -> list[Setting[bool]]:
    """Each policy that sets `wash_sale_crypto`, best first (`rules.precedence`: the later `from`
    wins, then the higher seq; a policy that leaves the field out inherits it)."""
    return ranked(
        Setting(r.event.wash_sale_crypto, from_=r.event.from_, seq=r.seq, recorded_at=r.recorded_at)
        for r in records
        if isinstance(r.event, Policy) and r.event.wash_sale_crypto is not None
    )


def _crypto_on(crypto_from: list[Setting[bool]], day: date) -> bool:
    policy = in_force(crypto_from, wallet=None, asset=None, day=day)
    return policy is not None and policy.value


def _take_units(s: Slice, units: _LotUnits, terms: Terms) -> list[Slice]:
    """Consume the slice's units from its lot, washed units first; one row per date acquired."""
    units.consumed = EXACT.add(units.consumed, s.qty)
    if not units.washed and s.qty > 0:  # no washed units: the slice stands as it is
        return [s]
    parts = _pop_front(units, s.qty)
    if len(parts) == 1 and not parts[0][3]:
        return [s]
    return _split_slice(s, parts, terms)


def _pop_front(units: _LotUnits, qty: Decimal) -> list[_Part]:
    """Take `qty` units off the lot's queue; runs with the same tacked days are merged."""
    parts: list[_Part] = []
    left = qty  # exact; as `minus` would leave it (tidy) wherever a part takes it, once anything is taken
    washed, held = units.washed, units.held
    subtract, replace = EXACT.subtract, msgspec.structs.replace
    while left > 0 and washed:
        head = washed[0]
        take = head.qty if head.qty < left else left if left is qty else tidy(left)  # min(left, head.qty)
        if take == head.qty:
            added = head.amount
            washed.popleft()
        else:
            added = pro_rata(head.amount, take, head.qty)
            head.qty = minus(head.qty, take)
            head.amount = minus(head.amount, added)
        held = subtract(held, take)
        left = subtract(left, take)
        link = head.link
        if link.qty.compare_total(take) or link.amount.compare_total(added):  # not the very digits it has
            link = replace(link, qty=take, amount=added)
        if parts and parts[-1][2] == head.days:
            last_qty, last_added, days, links = parts[-1]
            parts[-1] = (plus(last_qty, take), plus(last_added, added), days, (*links, link))
        else:
            parts.append((take, added, head.days, (link,)))
    units.held = held
    if left > 0:
        left = left if left is qty else tidy(left)
        if parts and parts[-1][2] == 0:
            last_qty, last_added, days, links = parts[-1]
            parts[-1] = (plus(last_qty, left), plus(last_added, ZERO), days, links)
        else:
            parts.append((left, ZERO, 0, ()))
    return parts


def _split_slice(s: Slice, parts: list[_Part], terms: Terms) -> list[Slice]:
    """Rows for each part: proceeds and basis pro rata (the last part takes the rest, R2.7)."""
    out: list[Slice] = []
    proceeds_taken, basis_taken, qty_left = ZERO, ZERO, s.qty  # exact sums of the rows so far
    adjustment, adjustment_taken = s.adjustment, ZERO  # the broker's figure (R4.6), if any: pro rata too
    sold, replace, add = s.date_sold, msgspec.structs.replace, EXACT.add
    for index, (qty, added, days, links) in enumerate(parts):
        if qty == qty_left:  # the rest (`minus` of the exact sums: the same digits as subtracting row by row)
            proceeds = minus(s.proceeds, proceeds_taken) if index else s.proceeds
            basis = minus(s.basis, basis_taken) if index else s.basis
            if s.adjustment:
                adjustment = minus(s.adjustment, adjustment_taken) if index else s.adjustment
        else:
            proceeds = pro_rata(s.proceeds, qty, s.qty)
            basis = pro_rata(s.basis, qty, s.qty)
            proceeds_taken = add(proceeds_taken, proceeds) if index else proceeds
            basis_taken = add(basis_taken, basis) if index else basis
            qty_left = EXACT.subtract(qty_left, qty)  # only ever compared
            if s.adjustment:
                adjustment = pro_rata(s.adjustment, qty, s.qty)
                adjustment_taken = add(adjustment_taken, adjustment)
        acquired = s.date_acquired - timedelta(days=days) if days else s.date_acquired
        out.append(
            replace(
                s, qty=qty, proceeds=proceeds, basis=plus(basis, added), date_acquired=acquired,
                term=terms.term(acquired, sold), wash=s.wash + links, adjustment=adjustment,
            )
        )
    return out


def _wash(
    piece: Slice, found: _Candidates, factor: Callable[[Acquisition], Decimal] | None = None, *,
    reported: bool = False,
) -> Slice:
    """Match a loss slice to the replacement candidates in its window, in acquisition order, and
    disallow its loss pro rata (R4.1–R4.4). `factor`: a later replacement's units per unit sold
    (splits in between, `_Units.factor_after`); None when there are none. The scan of the window
    stops as soon as the sold units are matched.

    `reported`: the sale carries the broker's figure (R4.6), which the lot engine put on the slice as
    its adjustment: the broker applied §1091 in its own account, so the replacements of the sale's
    wallet are not washed again; the units the figure stands for (qty x figure ÷ loss) are matched
    there, earliest acquired first, and carry nothing more (their basis as recorded already holds the
    figure: each replacement unit absorbs one loss, R4.2). The rest of the loss washes against the
    other wallets' replacements, at the same loss per unit sold."""
    if piece.qty <= 0:
        return piece
    loss = minus(piece.basis, piece.proceeds)
    if not reported:
        links, disallowed = _match(piece, found, factor, piece.qty, loss)
    else:
        figure = piece.adjustment  # at most the loss (`reported_shares`)
        claimed = piece.qty if figure >= loss else pro_rata(piece.qty, figure, loss)
        if claimed:
            _match(piece, found, factor, claimed, ZERO, same=True)
        if claimed is piece.qty:
            return piece
        links, disallowed = _match(piece, found, factor, minus(piece.qty, claimed), minus(loss, figure), same=False)
    if not links:
        return piece
    return msgspec.structs.replace(
        piece, adjustment=plus(piece.adjustment, disallowed), code=_with_code(piece.code, WASH_CODE),
        wash=piece.wash + tuple(links),
    )


def _match(
    piece: Slice, found: _Candidates, factor: Callable[[Acquisition], Decimal] | None, need: Decimal,
    amount: Decimal, *, same: bool | None = None,
) -> tuple[list[WashLink], Decimal]:
    """Match `need` of the slice's units to replacement units in its window, earliest acquired first,
    and disallow `amount` x matched ÷ `need` (R4.2): the links and the amount disallowed. `same`: only
    the candidates of the slice's own wallet (True: the broker's figure claims them, R4.6; no link, no
    amount), or only those of other wallets (False); None: every wallet."""
    whole = need
    days = max(0, (piece.date_sold - piece.date_acquired).days)
    matched, disallowed = ZERO, ZERO
    links: list[WashLink] = []
    add = EXACT.add
    acquisitions, lots, nxt = found.acquisitions, found.units, found.next_open
    i, end = found.window(piece.date_sold)
    if i < end and (j := nxt[i]) != i:  # the path is compressed: one step, as a rule
        i = j if j >= end or nxt[j] == j else found.open_from(i)
    while i < end:
        units = lots[i]
        room = units.room()
        if room <= 0:
            nxt[i] = i + 1  # exhausted for good
        elif (lot := acquisitions[i].lot) != piece.lot and (  # never the sold lot itself
                same is None or (acquisitions[i].wallet == piece.wallet) is same):
            if factor is None or (ratio := factor(acquisitions[i])) == 1:
                take = tidy(room) if room < need else need  # min(need, available)
                absorbed = take
            else:  # the replacement's own units: more after a forward split between the sale and the purchase
                available = tidy(room)
                take = min(need, available / ratio)  # in units of the sale
                absorbed = min(available, take * ratio)
            if take > 0:
                need = ZERO if take is need else minus(need, take)
                units.matched = add(units.matched, absorbed)
                if same is not True:
                    matched = plus(matched, take)
                    cumulative = pro_rata(amount, matched, whole)  # the whole amount once matched == need
                    # (`cumulative` is tidy already: minus(cumulative, ZERO) is cumulative itself)
                    share = cumulative if disallowed is ZERO else minus(cumulative, disallowed)
                    disallowed = cumulative
                    link = WashLink(piece.event_key, piece.seq, piece.lot, lot, absorbed, share, days)
                    units.washed.append(_Washed(absorbed, share, days, link))
                    units.held = add(units.held, absorbed)
                    links.append(link)
                if need <= 0:
                    break
        i += 1
        if i < end and nxt[i] != i:
            i = found.open_from(i)
    return links, disallowed


def reported_shares(slices: Sequence[Slice], figure: Decimal) -> tuple[list[Slice], Decimal]:
    """One sale's slices with the broker's wash-sale figure (a sell's `wash_disallowed`, R4.6) spread
    over its loss slices in proportion to their losses (the last takes the remainder, R2.7), each
    that gets a share with code W; and the sale's whole loss. The figure is capped at that loss: a
    disallowed loss never makes a gain (§1091(a)); the caller warns when it was above it."""
    losses = [minus(s.basis, s.proceeds) if s.lot and s.proceeds < s.basis else ZERO for s in slices]
    whole = total(losses)
    if not figure or not whole:
        return list(slices), whole
    given = figure if figure < whole else whole
    last = max(i for i, loss in enumerate(losses) if loss)
    out: list[Slice] = []
    left = given
    for i, (s, loss) in enumerate(zip(slices, losses, strict=True)):
        if not loss:
            out.append(s)
            continue
        share = left if i == last else pro_rata(given, loss, whole)
        left = minus(left, share)
        out.append(msgspec.structs.replace(
            s, adjustment=share, code=_with_code(s.code, WASH_CODE) if share else s.code))
    return out, whole


def reported_sales(records: Iterable[Recorded]) -> frozenset[int]:
    """The seqs of the sells that carry the broker's wash-sale figure (`wash_disallowed`, R4.6)."""
    return frozenset(r.seq for r in records if type(r.event) is Sell and r.event.wash_disallowed is not None)


def _with_code(codes: str, code: str) -> str:
    """Form 8949 (f): codes in alphabetical order, each once (R6.3)."""
    return "".join(sorted(set(codes) | {code})) if codes else code


def _mark_open_lot(lot: OpenLot, lot_to_units: dict[str, _LotUnits], changes: _Units | None = None) -> list[OpenLot]:
    """The held rows of a lot, washed units first, each with the loss it carries (R4.3)."""
    units = lot_to_units.get(lot.lot)
    if units is None or not units.washed:
        return [lot]
    if (changes is not None and lot.asset != units.acquisition.asset
            and changes.root(lot.asset) != changes.root(units.acquisition.asset)):
        return [lot]  # a reorg's lot of another asset under the same lot key
    out: list[OpenLot] = []
    basis_left, qty_left = lot.basis, lot.qty
    for qty, added, days, links in _pop_front(units, lot.qty):
        basis = basis_left if qty == qty_left else pro_rata(lot.basis, qty, lot.qty)
        basis_left = minus(basis_left, basis)
        qty_left = minus(qty_left, qty)
        out.append(
            msgspec.structs.replace(
                lot, qty=qty, basis=plus(basis, added), date_acquired=lot.date_acquired - timedelta(days=days),
                wash_adjustment=plus(lot.wash_adjustment, added), wash=lot.wash + links,
            )
        )
    return out
