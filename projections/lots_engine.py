"""The lot engine's former home, kept importable: the engine is the package `projections.engine`
(classify each trade into legs, book the legs; one fold driver). New code imports from there."""

from ..ledger.events import TRADES
from .engine.fold import (
    _in_time_order,
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
from .engine.state import EPOCH, ONE_US, UNIVERSAL, LotBookState
from .exact import PRECISION, exact_context

__all__ = [
    "EPOCH",
    "ONE_US",
    "PRECISION",
    "TRADES",
    "UNIVERSAL",
    "LotBookState",
    "_in_time_order",
    "book",
    "case_twins",
    "check_lot_references",
    "exact_context",
    "finish",
    "fold",
    "fold_order",
    "income_rows",
    "resume",
    "step",
]
