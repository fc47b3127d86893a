"""Lot pools: the open pieces of lots one sale may draw on, with sub-linear selection (R2.7, R3.1).

A pool is one asset in one wallet (stocks always, crypto from 2025-01-01) or one asset across all
wallets (wallet `*`, crypto's universal pool before 2025, R3.2-R3.3). A *piece* is the part of one
lot held in one pool; a transfer splits a lot into pieces that keep its basis share and date.

Selection keeps one heap per method actually used (built on first use, then maintained), with lazy
deletion: an entry whose piece left the pool is skipped when it reaches the top. A disposal costs
O(k log n) for k pieces touched, never a scan of the pool. A partial take gets basis pro rata and the
piece keeps `basis - taken`, so basis is conserved to the last digit (R2.7, projections/exact.py).
All state is plain objects (deep-copyable); a checkpoint stores the open pieces as explicit values
(projections.checkpoint `PieceFacts`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from heapq import heapify, heappop, heappush

import msgspec

from ..ledger.events import AssetClass, Method
from .exact import minus, pro_rata
from .rules.lot_methods import SORT_KEYS, SortKey, sort_key

ZERO = Decimal(0)


class Piece(msgspec.Struct, gc=False):
    """Units of one lot held in one pool (mutable: qty and basis shrink as units leave).

    A Struct, not a class with `__init__`: built in C, positionally in the lot engine's hot path
    (`engine.state.new_piece`, which also ranks it: `unit_cost`), by keyword elsewhere. Its fields
    hold no containers, so it stays out of the cyclic garbage collector.

    Attributes:
        unit_cost: HIFO/LOFO's rank, `basis / qty` when the piece entered its pool (R3.1).
    """

    uid: int
    lot: str
    seq: int
    asset: str
    asset_class: AssetClass
    wallet: str
    qty: Decimal
    basis: Decimal
    acquired_at: datetime
    acquired_us: int
    date_acquired: date
    covered: bool
    transferred: bool
    unit_cost: Decimal

    def key(self, method: Method) -> SortKey:
        return sort_key(
            method, acquired_us=self.acquired_us, seq=self.seq, uid=self.uid, unit_cost=self.unit_cost
        )


class Portion(msgspec.Struct, gc=False):
    """Units taken from one piece by one selection: the piece (for its lot facts), qty and basis
    (a Struct: built in C, once per piece a disposal touches)."""

    piece: Piece
    qty: Decimal
    basis: Decimal


class Pool:
    """The open pieces of one asset in one wallet (or `*`), with per-method heaps."""

    __slots__ = ("asset", "wallet", "members", "_by_lot", "heaps", "qty")

    def __init__(self, asset: str, wallet: str) -> None:
        self.asset = asset
        self.wallet = wallet
        self.members: dict[int, Piece] = {}
        # lot -> uids of its open pieces, in pool order: built on the first specific identification
        # (`_lots`), then maintained; most pools never need it
        self._by_lot: dict[str, list[int]] | None = None
        self.heaps: dict[Method, list[SortKey]] = {}
        self.qty = ZERO

    def add(self, piece: Piece) -> None:
        uid = piece.uid
        self.members[uid] = piece
        if self._by_lot is not None:
            self._by_lot.setdefault(piece.lot, []).append(uid)
        self.qty += piece.qty
        for method, heap in self.heaps.items():
            heappush(heap, SORT_KEYS[method](piece.acquired_us, piece.seq, uid, piece.unit_cost))

    def _heap(self, method: Method) -> list[SortKey]:
        heap = self.heaps.get(method)
        if heap is None:
            key = SORT_KEYS[method]
            heap = [key(p.acquired_us, p.seq, p.uid, p.unit_cost) for p in self.members.values()]
            heapify(heap)
            self.heaps[method] = heap
        return heap

    def _lots(self) -> dict[str, list[int]]:
        """`_by_lot`, built from `members` (in pool order) on first use."""
        by_lot = self._by_lot
        if by_lot is None:
            by_lot = self._by_lot = {}
            for uid, piece in self.members.items():
                by_lot.setdefault(piece.lot, []).append(uid)
        return by_lot

    def peek(self, method: Method) -> Piece | None:
        """The piece `method` would take next (drops stale heap entries)."""
        heap = self._heap(method)
        members = self.members
        while heap:
            piece = members.get(heap[0][-1])  # type: ignore[arg-type]
            if piece is not None:
                return piece
            heappop(heap)
        return None

    def _take_from(self, piece: Piece, qty: Decimal) -> Portion:
        have = piece.qty
        if qty >= have:
            uid = piece.uid
            del self.members[uid]
            by_lot = self._by_lot
            if by_lot is not None:  # keep it to open pieces: a long log closes most lots
                uids = by_lot[piece.lot]
                uids.remove(uid)
                if not uids:
                    del by_lot[piece.lot]
            self.qty -= have
            portion = Portion(piece, have, piece.basis)
            piece.qty = piece.basis = ZERO
            return portion
        basis = piece.basis
        taken = pro_rata(basis, qty, have)
        piece.basis = minus(basis, taken)
        piece.qty = minus(have, qty)
        self.qty -= qty
        return Portion(piece, qty, taken)

    def take(self, qty: Decimal, method: Method, portions: list[Portion]) -> Decimal:
        """Take up to `qty` units in `method` order, appending a portion per piece to `portions`;
        returns the uncovered rest."""
        heap = self.heaps.get(method)  # `_heap`, inline (once per disposal)
        if heap is None:
            heap = self._heap(method)
        members = self.members
        append = portions.append
        while qty > ZERO:
            piece = None
            while heap:  # `peek`, inline: once or twice per disposal
                piece = members.get(heap[0][-1])  # type: ignore[arg-type]
                if piece is not None:
                    break
                heappop(heap)
            if piece is None:
                break
            have = piece.qty
            if qty >= have and self._by_lot is None:  # `_take_from` of a whole piece, inline (most takes)
                heappop(heap)  # its entry goes now, not on the next peek
                del members[piece.uid]
                self.qty -= have
                append(Portion(piece, have, piece.basis))
                piece.qty = piece.basis = ZERO
                qty -= have
                continue
            portion = self._take_from(piece, qty)
            append(portion)
            qty -= portion.qty
            if piece.qty is ZERO:  # taken whole (`_take_from`): its entry goes now, not on the next peek
                heappop(heap)
        return qty

    def lot_qty(self, lot: str) -> Decimal:
        """Units of `lot` this pool holds."""
        return sum((self.members[uid].qty for uid in self._lots().get(lot, ())), ZERO)

    def take_lot(self, lot: str, qty: Decimal) -> list[Portion]:
        """Take `qty` units of one lot (specific identification); the caller checked `lot_qty`."""
        portions: list[Portion] = []
        for uid in list(self._lots().get(lot, ())):  # a copy: taking a whole piece removes its uid
            if qty <= 0:
                break
            piece = self.members.get(uid)
            if piece is None:
                continue
            portion = self._take_from(piece, qty)
            portions.append(portion)
            qty -= portion.qty
        return portions

    def drain(self) -> list[Piece]:
        """Remove and return every open piece (for a change of pooling, R3.4)."""
        pieces = list(self.members.values())
        self.members.clear()
        self._by_lot = None
        self.heaps.clear()
        self.qty = ZERO
        return pieces
