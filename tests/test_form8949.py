"""R6.3–R6.4 Form 8949 rows: rounding, order, columns, CSV, whole dollars."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D

from gainlog.projections.form8949 import DOLLAR, money, plain, row_json, rows, to_csv
from gainlog.projections.rules.form_box import WalletReports
from helpers import make_slice

NO_WALLETS = WalletReports(wallet_to_settings={})


def test_trade_fees_row() -> None:
    # R2.1 / R6.3: buy 1 BTC 10,000 + 100 fee, sell 12,000 - 50 fee -> gain 1,850 in box C (2024 crypto)
    (row,) = rows([make_slice(proceeds=D("11950"), basis=D("10100"))], NO_WALLETS)
    assert row_json(row) == {
        "description": "1 BTC",
        "asset": "BTC",
        "qty": "1",
        "wallet": "cb",
        "lot": "t:buy",
        "date_acquired": "2024-01-02",
        "date_sold": "2024-02-01",
        "proceeds": "11950.00",
        "cost_basis": "10100.00",
        "code": "",
        "adjustment": "0.00",
        "gain": "1850.00",
        "term": "short",
        "box": "C",
        "seq": 2,
        "event_key": "t:sell",
        "kind": "sell",
        "missing_basis": False,
    }


def test_rounding_half_up_and_gain_from_rounded_columns() -> None:
    # CONTRACT §3: each column rounded half up from exact values; (h) from the rounded columns
    (row,) = rows(
        [make_slice(proceeds=D("100.005"), basis=D("50.0049"), adjustment=D("0.125"), code="W")], NO_WALLETS
    )
    assert (row.proceeds, row.cost_basis, row.adjustment, row.gain) == (
        D("100.01"),
        D("50.00"),
        D("0.13"),
        D("50.14"),
    )


def test_negative_amounts_have_two_decimals() -> None:
    assert (money(D("-5000")), money(D("-0.001")), money(D("70000"))) == ("-5000.00", "0.00", "70000.00")


def test_quantities_are_plain() -> None:
    assert (plain(D("1E+2")), plain(D("0.50000")), plain(D("100.0")), plain(D("0E-8"))) == (
        "100",
        "0.5",
        "100",
        "0",
    )


def test_row_order_date_sold_then_seq_then_selection_order() -> None:
    # CONTRACT §3: date_sold, seq, then lot selection order (as given)
    a = make_slice(seq=9, order=0, lot="t:x", date_sold=date(2024, 3, 1))
    b = make_slice(seq=5, order=0, lot="t:b0", date_sold=date(2024, 3, 2))
    c = make_slice(seq=5, order=1, lot="t:b1", date_sold=date(2024, 3, 2))
    d = make_slice(seq=3, order=0, lot="t:y", date_sold=date(2024, 3, 3))
    e = make_slice(seq=4, order=0, lot="t:z", date_sold=date(2024, 3, 1))
    assert [r.lot for r in rows([d, b, c, a, e], NO_WALLETS)] == ["t:z", "t:x", "t:b0", "t:b1", "t:y"]


def test_missing_basis_row() -> None:
    # R3.5: basis 0, date acquired = date sold, short, noncovered
    s = make_slice(
        lot="",
        proceeds=D("500"),
        basis=D(0),
        missing_basis=True,
        date_acquired=date(2024, 2, 1),
        asset_class="stock",
        covered=False,
    )
    (row,) = rows([s], NO_WALLETS)
    assert (row.date_acquired, row.term, row.box, row.gain, row.missing_basis) == (
        date(2024, 2, 1),
        "short",
        "B",
        D("500.00"),
        True,
    )


def test_codes_alphabetical() -> None:
    # R6.3 (f): codes in alphabetical order
    (row,) = rows([make_slice(code="WB")], NO_WALLETS)
    assert row.code == "BW"


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_grouped_by_part_then_box() -> None:
    # R6.1/R6.3: Part I (A, B, C, ...) before Part II, each group in row order
    slices = [
        make_slice(
            seq=1,
            asset="BTC",
            date_sold=date(2024, 1, 5),
            term="long",
            date_acquired=date(2020, 1, 1),
            proceeds=D(10),
            basis=D(5),
        ),
        make_slice(
            seq=2,
            asset="ACME",
            asset_class="stock",
            covered=False,
            date_sold=date(2024, 1, 6),
            proceeds=D(20),
            basis=D(30),
        ),
        make_slice(seq=3, asset="ETH", date_sold=date(2024, 1, 7), proceeds=D("1.5"), basis=D(1)),
        make_slice(
            seq=4,
            asset="XYZ",
            asset_class="stock",
            covered=True,
            date_sold=date(2024, 1, 8),
            proceeds=D(7),
            basis=D(2),
        ),
    ]
    table = _csv(to_csv(rows(slices, NO_WALLETS)))
    assert table[0] == [
        "part",
        "box",
        "(a) description",
        "(b) date acquired",
        "(c) date sold",
        "(d) proceeds",
        "(e) cost basis",
        "(f) code",
        "(g) adjustment",
        "(h) gain or (loss)",
    ]
    assert [(r[0], r[1], r[2]) for r in table[1:]] == [
        ("I", "A", "1 XYZ"),
        ("I", "B", "1 ACME"),
        ("I", "C", "1 ETH"),
        ("II", "F", "1 BTC"),
    ]
    assert table[3][5:] == ["1.50", "1.00", "", "0.00", "0.50"]


def test_whole_dollars_rounds_every_amount_and_recomputes_gain() -> None:
    # R6.4: whole dollars, half up, from the exact amounts; (h) from the rounded columns
    s = make_slice(proceeds=D("100.50"), basis=D("50.49"), adjustment=D("0.5"), code="W")
    (row,) = rows([s], NO_WALLETS, quantum=DOLLAR)
    assert (row.proceeds, row.cost_basis, row.adjustment, row.gain) == (D(101), D(50), D(1), D(52))
    table = _csv(to_csv([row], whole_dollars=True))
    assert table[1][5:] == ["101", "50", "W", "1", "52"]


def test_whole_dollars_from_exact_not_from_cents() -> None:
    # R6.4: 0.495 rounds to 0 dollars (a cent rounding first would give 0.50 -> 1)
    (row,) = rows([make_slice(proceeds=D("10.495"), basis=D(0))], NO_WALLETS, quantum=DOLLAR)
    assert row.proceeds == D(10)
