"""The lot engine's fast arithmetic (issue #19) against the Decimal contract (CONTRACT §3, R2.7).

`pro_rata` normalizes its share in the wide context and `minus` tidies inline; both must give
exactly, digit for digit and exponent for exponent, what the plain definitions below give: a share
`amount x part / whole` in the 34-digit context, quantized to `amount.adjusted() - 33`, and a
difference computed without rounding, each then written without trailing zeros and never in
exponent notation.
"""

from __future__ import annotations

from decimal import Context, Decimal

from gainlog.projections.exact import exact_context, minus, pro_rata, tidy
from hypothesis import example, given, settings
from hypothesis import strategies as st

WIDE = Context(prec=10_000)


def _tidy(value: Decimal) -> Decimal:
    """The definition: no trailing zeros, a whole value with exponent 0."""
    value = value.normalize(WIDE)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1), context=WIDE)
    return value


def _pro_rata(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    if part == whole or amount == 0:
        return amount
    share = amount * part / whole
    return _tidy(share.quantize(Decimal(1).scaleb(amount.adjusted() - 33)))


def _same(a: Decimal, b: Decimal) -> bool:
    """Equal as written: value, sign, digits and exponent."""
    return a.as_tuple() == b.as_tuple()


def _decimals(max_exp: int = 12) -> st.SearchStrategy[Decimal]:
    """Ledger-like and awkward values: integers with trailing zeros, 34-digit fractions, negatives."""
    return st.builds(
        lambda digits, exp, sign: Decimal(sign * digits).scaleb(exp),
        st.one_of(st.integers(0, 10**6), st.integers(0, 10**40)),
        st.integers(-36, max_exp),
        st.sampled_from((1, 1, -1)),
    )


@settings(max_examples=600, deadline=None)
@given(_decimals(), _decimals(), _decimals())
@example(Decimal(100), Decimal(1), Decimal(2))  # 50: a whole share that normalizes to 5E+1
@example(Decimal("1E+40"), Decimal(1), Decimal(3))  # an amount past 34 digits: a positive quantum
@example(Decimal(-5), Decimal(0), Decimal(3))  # a negative zero share
@example(Decimal("300.000"), Decimal("0.5"), Decimal("1.5"))
def test_pro_rata_is_the_contract_share(amount: Decimal, part: Decimal, whole: Decimal) -> None:
    if whole == 0 or abs(part) > abs(whole):
        return
    with exact_context():
        try:
            expected = _pro_rata(amount, part, whole)
        except ArithmeticError as error:
            try:
                pro_rata(amount, part, whole)
            except ArithmeticError as raised:
                assert type(raised) is type(error)
                return
            raise AssertionError("pro_rata did not raise where the definition does") from error
        got = pro_rata(amount, part, whole)
    assert _same(got, expected), (amount, part, whole, got, expected)


@settings(max_examples=600, deadline=None)
@given(_decimals(40), _decimals(40))
@example(Decimal("10.5"), Decimal("0.5"))  # 10, not 1E+1
@example(Decimal("1E+20"), Decimal("1E-20"))  # 41 digits: never rounded
@example(Decimal("-0"), Decimal("0"))
def test_minus_is_the_exact_difference(a: Decimal, b: Decimal) -> None:
    expected = _tidy(WIDE.subtract(a, b))
    with exact_context():
        got = minus(a, b)
    assert _same(got, expected), (a, b, got, expected)
    assert _same(tidy(WIDE.subtract(a, b)), expected)
    assert WIDE.add(got, b) == a  # nothing rounded away


def test_pro_rata_examples_as_written() -> None:
    with exact_context():
        assert str(pro_rata(Decimal(100), Decimal(1), Decimal(2))) == "50"
        assert str(pro_rata(Decimal(10), Decimal(1), Decimal(3))) == "3.33333333333333333333333333333333"
        assert str(pro_rata(Decimal("12.50"), Decimal(2), Decimal(5))) == "5"
        assert str(minus(Decimal("10.5"), Decimal("0.5"))) == "10"
        assert str(minus(Decimal("1E+20"), Decimal("1E-20"))) == "99999999999999999999.99999999999999999999"
