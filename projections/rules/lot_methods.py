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

from decimal import Decimal

from ledger.events import Method

SortKey = tuple[int | Decimal, ...]


def sort_key(method: Method, *, acquired_us: int, seq: int, uid: int, unit_cost: Decimal) -> SortKey:
    """The heap key of one lot piece under `method` (smallest is taken first)."""
    if method == "FIFO":  # earliest acquisition first
        return (acquired_us, seq, uid)
    if method == "LIFO":  # latest acquisition first
        return (-acquired_us, -seq, uid)
    if method == "HIFO":  # highest unit cost (fees included) first
        return (-unit_cost, acquired_us, seq, uid)
    return (unit_cost, acquired_us, seq, uid)  # LOFO: lowest unit cost first
