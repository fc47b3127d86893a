"""R2.7 Money is exact: pro rata shares that leave a remainder which adds back to the last digit.

A share `amount x part / whole` is computed in the 34-digit context (CONTRACT §3) and quantized to
the exponent `amount.adjusted() - 33`, so that `amount - share` is exactly representable; the
subtraction (and the additions that move basis around) run in a wide context, never rounding. The
parts of an amount therefore always add back to the amount exactly.

Example: 10 split 1 : 2 -> 3.33333333333333333333333333333333 (32 decimals) and the rest
6.66666666666666666666666666666667; their sum is exactly 10.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Context, Decimal, FloatOperation, localcontext

DIGITS = 34
PRECISION = DIGITS  # CONTRACT §3: internal arithmetic uses a 34-digit context
EXACT = Context(prec=10_000)  # subtraction and addition of parts: exact for any ledger value
ZERO = Decimal(0)
ONE = Decimal(1)
_SHIFT = DIGITS - 1  # a share's exponent: its amount's adjusted exponent less this
_QUANTA = {e: ONE.scaleb(e) for e in range(-80, 41)}  # 1E<e>: the quanta `pro_rata` rounds to
# EXACT's methods, bound once: the lot engine's hot path calls them a million times (issue #19). A
# context's one-operand methods (`normalize`, `to_integral_value`) take the operand alone, where
# `Decimal.normalize(context)` parses its arguments by keyword: half the cost. Whether a value is
# whole does not depend on the context, and normalizing never rounds in EXACT.
_subtract, _add, _normalize, _integral, _quantize = (
    EXACT.subtract, EXACT.add, EXACT.normalize, EXACT.to_integral_value, EXACT.quantize
)


@contextmanager
def exact_context() -> Iterator[Context]:
    """The one arithmetic context of the projections' folds: a local 34-digit context (CONTRACT §3)
    with FloatOperation trapped (a float mixed into a Decimal raises). The lot engine's fold, its
    `finish` and snapshots, and each batch of the wash-sale pass run inside it; the caller's context
    is left as it was."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ctx.traps[FloatOperation] = True
        yield ctx


def pro_rata(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """`amount x part / whole`, rounded so that `amount - result` is exact."""
    if part == whole or not amount:
        return amount
    exponent = amount.adjusted() - _SHIFT
    quantum = _QUANTA.get(exponent)
    if quantum is None:
        quantum = ONE.scaleb(exponent)
    # `tidy`, inline (the lot engine's hot path): the quantized share has at most the context's
    # digits (`quantize` raises otherwise), so normalizing it is exact in either context
    share = _normalize((amount * part / whole).quantize(quantum))
    if share.adjusted() > 0 and share == _integral(share):
        return _quantize(share, ONE)
    return share


def tidy(value: Decimal) -> Decimal:
    """The same value without trailing zeros ("300.000" -> "300"), never in exponent notation."""
    value = _normalize(value)
    # A positive exponent after normalize means a multiple of 10, so |value| >= 10: test that first,
    # then whether it is whole (much cheaper than `as_tuple()` of up to 34 digits); quantizing a whole
    # value with exponent 0 to ONE leaves it as it is.
    if value.adjusted() > 0 and value == _integral(value):
        return _quantize(value, ONE)
    return value


def minus(a: Decimal, b: Decimal) -> Decimal:
    """`a - b` without rounding."""
    value = _normalize(_subtract(a, b))  # `tidy`, inline (the lot engine's hot path)
    if value.adjusted() > 0 and value == _integral(value):
        return _quantize(value, ONE)
    return value


def plus(a: Decimal, b: Decimal) -> Decimal:
    """`a + b` without rounding."""
    return _add(a, b)


def total(values: Iterable[Decimal]) -> Decimal:
    """The exact sum."""
    out = ZERO
    add = _add
    for value in values:
        out = add(out, value)
    return out
