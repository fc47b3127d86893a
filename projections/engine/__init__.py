"""The lot engine: book acquisitions and disposals into lots and Form 8949 slices (R1-R3, R7).

A pure, deterministic fold over the live events (knowledge already applied), in event-time order
(ties by seq), in two steps per trade: classify the event into legs (`legs.py`: acquire, dispose,
transfer out/in, earn; the amounts from `rules/basis.py`), then book each leg uniformly
(`booking.py`, drawing lots by `selection.py`, after the pooling changes of `transitions.py`). The
state is a plain value (`state.py`); `fold.py` holds the one driver (`fold`), which runs inside the
one exact arithmetic context (`projections.exact.exact_context`: 34 digits, FloatOperation
trapped). No I/O, no clock, no floats.

| module | job |
|---|---|
| `state.py` | `LotBookState`; the pool a trade uses, new lot pieces, wallet holdings |
| `legs.py` | `classify(event) -> legs`: pure, the R2/R7.1 amounts from `rules/basis.py` |
| `booking.py` | `book_legs`: acquire, dispose (slices, R1.2 term, R3.5 missing basis), send/receive, earn |
| `selection.py` | which pieces a leg takes: a sell's `lots`, then the method in force (R3.1, R3.6) |
| `transitions.py` | pooling changes: the 2025 safe-harbor allocation, scoped elections (R3.3, R3.4) |
| `fold.py` | `step`, `fold` (the one driver), `finish`, `book`, `resume`, `check_lot_references` |

Example (R-E2): buy 0.5 BTC for 30,000 + 150 fee; sell for 40,000 - 200 fee -> one slice: proceeds
39,800, basis 30,150, gain 9,650.
"""

from ..exact import PRECISION, exact_context
from .fold import (
    book,
    case_twins,
    check_lot_references,
    finish,
    fold,
    fold_order,
    income_rows,
    resume,
    step,
)
from .state import EPOCH, ONE_US, UNIVERSAL, LotBookState, pooled_on

__all__ = [
    "EPOCH",
    "ONE_US",
    "PRECISION",
    "UNIVERSAL",
    "LotBookState",
    "book",
    "case_twins",
    "check_lot_references",
    "exact_context",
    "finish",
    "fold",
    "fold_order",
    "income_rows",
    "pooled_on",
    "resume",
    "step",
]
