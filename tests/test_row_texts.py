"""`form8949.row_texts` (issue #19): each column's text made once for the CSV line and the JSON row.

Property tests against the plain Decimal path: the CSV is what `csv.writer` writes of the row's
values (str() of each date and Decimal, `plain` of the qty), and the JSON is what msgspec encodes
of the row's Decimal and date values, indented by `msgspec.json.format` (as `json.dumps(...,
indent=2)` writes it), for any qty, amount, date and user text (commas, quotes, backslashes, line
breaks, control characters, non-ASCII).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import msgspec
from gainlog.projections import form8949
from gainlog.projections.form8949 import Row, make_row, plain
from hypothesis import given, settings
from hypothesis import strategies as st

TEXT = st.text(min_size=1, max_size=8) | st.sampled_from(
    ["BTC", "A,B", 'Q"T', "x\ny", "c\rd", "é€", "\\", "\x00", "\x7f", "\u2028", "\ud7ff\U0001f600"])
AMOUNT = st.decimals(allow_nan=False, allow_infinity=False, places=2) | st.decimals(allow_nan=False,
                                                                                   allow_infinity=False)
QTY = st.decimals(allow_nan=False) | st.sampled_from(
    [Decimal(s) for s in ("0", "-0", "0.0", "1.50", "100", "1E+2", "1E-7", "0.0000001", "0.000001", "-0.5",
                          "1234567890123456789012345678901234.5", "12345678901234567890123456789012.5")]
)


@st.composite
def a_row(draw: st.DrawFn) -> Row:
    return make_row(
        draw(st.integers(1, 10**9)), draw(TEXT), draw(st.sampled_from(["sell", "swap", "fee", "transfer_fee"])),
        draw(TEXT), draw(QTY), draw(TEXT), draw(TEXT), draw(st.dates()), draw(st.dates()), draw(AMOUNT),
        draw(AMOUNT), draw(st.sampled_from(["", "W", "BW"])), draw(AMOUNT), draw(AMOUNT),
        draw(st.sampled_from(["short", "long"])), draw(st.sampled_from(["I", "II"])),
        draw(st.sampled_from(["A", "C", "H", "L"])), draw(st.booleans()),
    )


def _csv_line(r: Row) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        (r.part, r.box, f"{plain(r.qty)} {r.asset}", r.date_acquired, r.date_sold, r.proceeds, r.cost_basis,
         r.code, r.adjustment, r.gain)
    )
    return out.getvalue()


def _json_row(r: Row) -> dict[str, object]:
    qty = plain(r.qty)
    return {
        "description": f"{qty} {r.asset}", "asset": r.asset, "qty": qty, "wallet": r.wallet, "lot": r.lot,
        "date_acquired": r.date_acquired, "date_sold": r.date_sold, "proceeds": r.proceeds,
        "cost_basis": r.cost_basis, "code": r.code, "adjustment": r.adjustment, "gain": r.gain, "term": r.term,
        "box": r.box, "seq": r.seq, "event_key": r.event_key, "kind": r.kind, "missing_basis": r.missing_basis,
    }


@settings(max_examples=400, deadline=None)
@given(st.lists(a_row(), min_size=1, max_size=6))
def test_row_texts_are_the_csv_writers_lines_and_msgspecs_json(rows: list[Row]) -> None:
    box_to_lines, json_rows = form8949.row_texts(rows)
    assert box_to_lines == {b: [_csv_line(r) for r in rows if r.box == b] for b in {r.box for r in rows}}
    expected = msgspec.json.format(msgspec.json.encode([_json_row(r) for r in rows]), indent=2).decode()
    assert form8949.rows_json_text(rows) == expected
    assert form8949.JSON_HEAD + form8949.JSON_BETWEEN.join(json_rows) + form8949.JSON_END == expected
    assert form8949.rows_json(rows) == msgspec.json.decode(expected)


def _normalized(qty: Decimal) -> str:
    """`plain` as it always was: normalize in the 34-digit context, format without exponent."""
    text = format(qty.normalize(form8949.CONTEXT), "f")
    return "0" if text in ("-0", "0") else text


@settings(max_examples=1000, deadline=None)
@given(QTY | st.integers(0, 40).flatmap(lambda p: st.decimals(allow_nan=False, allow_infinity=False, places=p))
       | st.integers(-10**40, 10**40).map(Decimal))
def test_plain_is_the_normalized_text(qty: Decimal) -> None:
    """`plain` takes `str()` of a qty when that is already the normalized text, else normalizes."""
    assert plain(qty) == _normalized(qty)
    row = make_row(1, "k", "sell", "BTC", qty, "w", "", date(2024, 1, 2), date(2024, 1, 2), Decimal("1.00"),
                   Decimal("1.00"), "", Decimal("0.00"), Decimal("0.00"), "short", "I", "A", False)
    made = form8949.row_json(row)
    assert (made["qty"], made["description"]) == (_normalized(qty), f"{_normalized(qty)} BTC")


def test_qty_texts_that_str_would_get_wrong() -> None:
    """`str()` of these differs from `plain`: exponent, trailing zeros, negative zero, over 34 digits."""
    for text, shown in [("1E+2", "100"), ("1E-7", "0.0000001"), ("1.50", "1.5"), ("-0", "0"), ("0.0", "0"),
                        ("1234567890123456789012345678901234.5", "1234567890123456789012345678901235")]:
        assert plain(Decimal(text)) == shown
        row = make_row(1, "k", "sell", "BTC", Decimal(text), "w", "", date(2024, 1, 2), date(2024, 1, 2),
                       Decimal("1.00"), Decimal("1.00"), "", Decimal("0.00"), Decimal("0.00"), "short", "I", "A",
                       False)
        assert form8949.row_json(row)["qty"] == shown


CENTS = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**15, max_value=10**15)


@st.composite
def a_cents_row(draw: st.DrawFn) -> Row:
    """A row whose amounts are cents, as `form8949.rows` makes them (sums within 34 digits: exact)."""
    return msgspec.structs.replace(draw(a_row()), proceeds=draw(CENTS), cost_basis=draw(CENTS),
                                   adjustment=draw(CENTS), gain=draw(CENTS))


@settings(max_examples=200, deadline=None)
@given(st.lists(a_cents_row(), max_size=12))
def test_totals_of_rows_in_any_year_order_are_the_per_row_sums(rows: list[Row]) -> None:
    """`add_rows` and `RowSums.add` (with and without the box totals) add up rows by group
    (`tax_year.box_groups`): rows whose years alternate still land in their own year, and the sums
    of their cent amounts (exact) are those of the rows one by one, in row order."""
    from gainlog.projections.glance import RowSums
    from gainlog.projections.tax_year import CONTEXT, add_rows

    year_boxes: dict[int, dict[str, list[Decimal]]] = {}
    months: dict[int, list[list[Decimal]]] = {}
    pairs: dict[int, dict[tuple[str, str], list[Decimal]]] = {}
    zero = Decimal(0)
    for r in rows:
        acc = year_boxes.setdefault(r.year, {}).setdefault(r.box, [zero] * 5)
        for i, v in enumerate((Decimal(1), r.proceeds, r.cost_basis, r.adjustment, r.gain)):
            acc[i] = CONTEXT.add(acc[i], v)
        months.setdefault(r.year, [[zero, zero] for _ in range(12)])[r.date_sold.month - 1][
            0 if r.term == "short" else 1] += r.gain
        sums = pairs.setdefault(r.year, {}).setdefault((r.wallet, r.asset), [zero, zero, zero])
        sums[0] += 1
        sums[1] += r.proceeds
        sums[2] += r.gain
    totals: dict = {}
    add_rows(totals, rows)
    assert {y: {b: [a.rows, a.proceeds, a.cost_basis, a.adjustments, a.gain] for b, a in boxes.items()}
            for y, boxes in totals.items()} == year_boxes
    row_sums = RowSums()
    row_sums.add(rows)
    assert (row_sums.year_to_months, row_sums.year_to_proceeds) == (months, pairs)
    both, totals_too = RowSums(), {}
    both.add(rows, totals_too)
    assert (both.year_to_months, both.year_to_proceeds, totals_too) == (months, pairs, totals)
    assert [[str(v) for v in (a.proceeds, a.cost_basis, a.adjustments, a.gain)] for b in totals.values()
            for a in b.values()] == [[str(v) for v in acc[1:]] for b in year_boxes.values() for acc in b.values()]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3)), max_size=10))
def test_rows_of_slices_in_any_order_are_those_of_the_sorted_slices(keys: list[tuple[int, int]]) -> None:
    """`rows` checks the 8949 order as it makes the rows (issue #19): a list out of order anywhere,
    even two slices of one seq on different days, comes out as the stable sort of it."""
    from gainlog.projections.rules.form_box import WalletReports
    from helpers import make_slice

    slices = [make_slice(seq=seq, order=i, lot=f"t:{i}", date_sold=date(2024, 3, day))
              for i, (day, seq) in enumerate(keys)]
    ordered = sorted(slices, key=form8949.sold_order)
    made = form8949.rows(slices, WalletReports(wallet_to_settings={}))
    assert [r.lot for r in made] == [s.lot for s in ordered]
    assert made == form8949.rows(iter(slices), WalletReports(wallet_to_settings={}))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(a_row(), max_size=5), max_size=4))
def test_files_written_a_chunk_at_a_time_are_those_of_all_the_rows(chunks: list[list[Row]]) -> None:
    """`JsonRows` (each chunk formatted on its own) writes `indented` JSON of all the rows, and
    `MissingBasis` numbers the rows with missing basis from 1 over the chunks (a chunk with none
    is only counted)."""
    from gainlog.api.report_files import JsonRows, MissingBasis, indented

    out = io.BytesIO()
    json_rows, missing = JsonRows(out), MissingBasis()
    for chunk in chunks:
        json_rows.add(chunk)
        missing.add(chunk)
    json_rows.close()
    every = [r for chunk in chunks for r in chunk]
    assert out.getvalue() == indented(msgspec.json.encode([_json_row(r) for r in every]))
    assert (missing.count, missing.rows) == (len(every), [i for i, r in enumerate(every, 1) if r.missing_basis])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(2019, 2026), max_size=30).map(sorted), st.integers(1, 7))
def test_row_chunks_cut_at_each_year_and_hold_at_most_size(years: list[int], size: int) -> None:
    """`row_chunks` takes `size` slices at a time and cuts a chunk before the first slice of a later
    year (several years may lie in one `size` of slices): each chunk of one year, at most `size`, and
    together the rows of all the slices."""
    from gainlog.projections.rules.form_box import WalletReports
    from helpers import make_slice

    slices = [make_slice(seq=i + 1, lot=f"t:{i}", date_sold=date(year, 3, 1)) for i, year in enumerate(years)]
    wallets = WalletReports(wallet_to_settings={})
    chunks = list(form8949.row_chunks(iter(slices), wallets, size=size))
    assert all(0 < len(c) <= size and len({r.year for r in c}) == 1 for c in chunks)
    assert [r for c in chunks for r in c] == form8949.rows(slices, wallets)
    assert len(chunks) >= len(set(years))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(a_row(), max_size=12), chunk=st.integers(1, 5))
def test_rows_json_decoded_a_chunk_at_a_time_are_the_whole_texts(rows: list[Row], chunk: int) -> None:
    whole = msgspec.json.decode(form8949.rows_json_text(rows))
    before, form8949.JSON_DECODE_ROWS = form8949.JSON_DECODE_ROWS, chunk
    try:
        assert form8949.rows_json(rows) == whole
    finally:
        form8949.JSON_DECODE_ROWS = before
