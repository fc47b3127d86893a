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

import heapq
from datetime import date, datetime
from decimal import Decimal

from ..ledger.events import AssetClass, Method
from .exact import minus, pro_rata
from .rules.lot_methods import SortKey, sort_key

ZERO = Decimal(0)


class Piece:
    """Units of one lot held in one pool (mutable: qty and basis shrink as units leave)."""

    __slots__ = (
        "uid",
        "lot",
        "seq",
        "asset",
        "asset_class",
        "wallet",
        "qty",
        "basis",
        "acquired_at",
        "acquired_us",
        "date_acquired",
        "covered",
        "transferred",
        "unit_cost",
    )

    def __init__(  # positional in the lot engine's hot path (`engine.state.new_piece`), by keyword elsewhere
        self,
        uid: int,
        lot: str,
        seq: int,
        asset: str,
        asset_class: AssetClass,
        wallet: str,
        qty: Decimal,
        basis: Decimal,
        acquired_at: datetime,
        acquired_us: int,
        date_acquired: date,
        covered: bool,
        transferred: bool,
    ) -> None:
        self.uid = uid
        self.lot = lot
        self.seq = seq
        self.asset = asset
        self.asset_class = asset_class
        self.wallet = wallet
        self.qty = qty
        self.basis = basis
        self.acquired_at = acquired_at
        self.acquired_us = acquired_us
        self.date_acquired = date_acquired
        self.covered = covered
        self.transferred = transferred
        self.unit_cost = basis / qty

    def key(self, method: Method) -> SortKey:
        return sort_key(
            method, acquired_us=self.acquired_us, seq=self.seq, uid=self.uid, unit_cost=self.unit_cost
        )


class Portion:
    """Units taken from one piece by one selection: the piece (for its lot facts), qty and basis."""

    __slots__ = ("piece", "qty", "basis")

    def __init__(self, piece: Piece, qty: Decimal, basis: Decimal) -> None:
        self.piece = piece
        self.qty = qty
        self.basis = basis


class Pool:
    """The open pieces of one asset in one wallet (or `*`), with per-method heaps."""

    __slots__ = ("asset", "wallet", "members", "by_lot", "heaps", "qty")

    def __init__(self, asset: str, wallet: str) -> None:
        self.asset = asset
        self.wallet = wallet
        self.members: dict[int, Piece] = {}
        self.by_lot: dict[str, list[int]] = {}
        self.heaps: dict[Method, list[SortKey]] = {}
        self.qty = ZERO

    def add(self, piece: Piece) -> None:
        self.members[piece.uid] = piece
        self.by_lot.setdefault(piece.lot, []).append(piece.uid)
        self.qty += piece.qty
        for method, heap in self.heaps.items():
            heapq.heappush(heap, piece.key(method))

    def _heap(self, method: Method) -> list[SortKey]:
        heap = self.heaps.get(method)
        if heap is None:
            heap = [p.key(method) for p in self.members.values()]
            heapq.heapify(heap)
            self.heaps[method] = heap
        return heap

    def peek(self, method: Method) -> Piece | None:
        """The piece `method` would take next (drops stale heap entries)."""
        heap = self._heap(method)
        members = self.members
        while heap:
            piece = members.get(heap[0][-1])  # type: ignore[arg-type]
            if piece is not None:
                return piece
            heapq.heappop(heap)
        return None

    def _take_from(self, piece: Piece, qty: Decimal) -> Portion:
        if qty >= piece.qty:
            portion = Portion(piece, piece.qty, piece.basis)
            del self.members[piece.uid]
            uids = self.by_lot[piece.lot]  # keep `by_lot` to open pieces: a long log closes most lots
            uids.remove(piece.uid)
            if not uids:
                del self.by_lot[piece.lot]
            self.qty -= piece.qty
            piece.qty = ZERO
            piece.basis = ZERO
            return portion
        taken = pro_rata(piece.basis, qty, piece.qty)
        piece.basis = minus(piece.basis, taken)
        piece.qty = minus(piece.qty, qty)
        self.qty -= qty
        return Portion(piece, qty, taken)

    def take(self, qty: Decimal, method: Method) -> tuple[list[Portion], Decimal]:
        """Take up to `qty` units in `method` order; returns the portions and the uncovered rest."""
        portions: list[Portion] = []
        while qty > 0:
            piece = self.peek(method)
            if piece is None:
                break
            portion = self._take_from(piece, qty)
            portions.append(portion)
            qty -= portion.qty
        return portions, qty

    def lot_qty(self, lot: str) -> Decimal:
        """Units of `lot` this pool holds."""
        return sum((self.members[uid].qty for uid in self.by_lot.get(lot, ())), ZERO)

    def take_lot(self, lot: str, qty: Decimal) -> list[Portion]:
        """Take `qty` units of one lot (specific identification); the caller checked `lot_qty`."""
        portions: list[Portion] = []
        for uid in list(self.by_lot.get(lot, ())):  # a copy: taking a whole piece removes its uid
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
        self.by_lot.clear()
        self.heaps.clear()
        self.qty = ZERO
        return pieces
