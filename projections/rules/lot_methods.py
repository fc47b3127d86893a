"""R3.1 Lot selection methods as sort keys (Treas. Reg. §1.1012-1(c), (j); STYLE.md 11).

FIFO takes the earliest original acquisition first, LIFO the latest, HIFO the highest unit cost,
LOFO the lowest. Each key is a total order: ties fall back to acquisition time, then the acquiring
event's seq, then the piece's creation number (pieces of one lot split by transfers).

**Choice (documented in projections/README.md):** HIFO/LOFO rank by unit cost *including purchase
fees* (basis / qty), because that is the basis the sale actually uses. The rank is fixed when a
piece of a lot enters a pool (a transfer re-ranks the piece that arrives).

Example: lots 10 @ 1 (2019) and 14 @ 5 (2020): FIFO and LOFO take the 2019 lot first, LIFO and HIFO
the 2020 lot.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ...ledger.events import Method

SortKey = tuple[int | Decimal, ...]
KeyOf = Callable[[int, int, int, Decimal], SortKey]
"""(acquired_us, seq, uid, unit_cost) -> the heap key of one lot piece (smallest is taken first)."""

SORT_KEYS: dict[Method, KeyOf] = {
    "FIFO": lambda acquired_us, seq, uid, unit_cost: (acquired_us, seq, uid),  # earliest acquisition first
    "LIFO": lambda acquired_us, seq, uid, unit_cost: (-acquired_us, -seq, uid),  # latest acquisition first
    "HIFO": lambda acquired_us, seq, uid, unit_cost: (-unit_cost, acquired_us, seq, uid),  # highest unit cost
    "LOFO": lambda acquired_us, seq, uid, unit_cost: (unit_cost, acquired_us, seq, uid),  # lowest unit cost
}
"""One entry per `Method` (tests/test_lots_methods.py checks the table against the Literal)."""


def sort_key(method: Method, *, acquired_us: int, seq: int, uid: int, unit_cost: Decimal) -> SortKey:
    """The heap key of one lot piece under `method` (smallest is taken first)."""
    return SORT_KEYS[method](acquired_us, seq, uid, unit_cost)
