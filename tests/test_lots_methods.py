"""R3.1 lot methods (FIFO, LIFO, HIFO, LOFO), swaps and fee disposals (R2.2-R2.4), settings precedence."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from gainlog.projections.engine import book
from gainlog.projections.model import Booked
from helpers import records

D = Decimal

# three lots in one wallet (2025: per-wallet pools); unit costs incl. fees: a=3, b=1.5, c=2.5
LOTS = [
    {
        "type": "buy",
        "id": "a",
        "at": "2025-01-10",
        "wallet": "w",
        "asset": "SOL",
        "qty": "2",
        "price": "2",
        "fee": "2",
    },
    {"type": "buy", "id": "b", "at": "2025-02-10", "wallet": "w", "asset": "SOL", "qty": "2", "price": "1.5"},
    {"type": "buy", "id": "c", "at": "2025-03-10", "wallet": "w", "asset": "SOL", "qty": "2", "price": "2.5"},
]
SALE = {
    "type": "sell",
    "id": "s",
    "at": "2025-06-01",
    "wallet": "w",
    "asset": "SOL",
    "qty": "3",
    "price": "4",
}


def _book(lines: list[dict[str, Any]]) -> Booked:
    return book(records(lines), tz=ZoneInfo("UTC"))


def _taken(booked: Booked) -> list[tuple[str, Decimal, Decimal]]:
    return [(s.lot.removeprefix("test:"), s.qty, s.basis) for s in booked.slices]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("FIFO", [("a", D(2), D(6)), ("b", D(1), D("1.5"))]),  # earliest first
        ("LIFO", [("c", D(2), D(5)), ("b", D(1), D("1.5"))]),  # latest first
        ("HIFO", [("a", D(2), D(6)), ("c", D(1), D("2.5"))]),  # unit cost incl. the purchase fee: a = 3
        ("LOFO", [("b", D(2), D(3)), ("c", D(1), D("2.5"))]),  # lowest unit cost first
    ],
)
def test_method_order(method: str, expected: list[tuple[str, Decimal, Decimal]]) -> None:
    # R3.1
    booked = _book([{"type": "method", "method": method, "from": "2025-01-01"}, *LOTS, SALE])
    assert _taken(booked) == expected
    assert sum(s.proceeds for s in booked.slices) == D(12)  # R2.1: proceeds allocated exactly


def test_default_is_fifo() -> None:
    assert _taken(_book([*LOTS, SALE]))[0][0] == "a"  # R3.1


def test_hifo_fee_decides_the_rank() -> None:
    # documented choice: HIFO ranks by unit cost including purchase fees (a: (4 + 2) / 2 = 3 > c: 2.5)
    booked = _book([{"type": "method", "method": "HIFO", "from": "2025-01-01"}, *LOTS, {**SALE, "qty": "1"}])
    assert _taken(booked) == [("a", D(1), D(3))]


def test_method_takes_effect_at_local_midnight_of_its_from_date() -> None:
    # CONTRACT §2 Time: a method dated the sale day applies to it, one dated the day after does not
    on_day = _book([*LOTS, {"type": "method", "method": "LIFO", "from": "2025-06-01"}, SALE])
    next_day = _book([*LOTS, {"type": "method", "method": "LIFO", "from": "2025-06-02"}, SALE])
    assert _taken(on_day)[0][0] == "c"
    assert _taken(next_day)[0][0] == "a"


def test_asset_specific_beats_wallet_specific() -> None:
    # CONTRACT §2 Time: wallet and asset > asset > wallet > none, regardless of dates
    settings = [
        {"type": "method", "method": "LIFO", "from": "2025-01-01", "asset": "SOL"},
        {"type": "method", "method": "LOFO", "from": "2025-05-01", "wallet": "w"},
        {"type": "method", "method": "HIFO", "from": "2025-05-15"},
    ]
    assert _taken(_book([*settings, *LOTS, SALE]))[0][0] == "c"  # LIFO (asset) wins
    both = {"type": "method", "method": "LOFO", "from": "2024-01-01", "wallet": "w", "asset": "SOL"}
    assert _taken(_book([*settings, both, *LOTS, SALE]))[0][0] == "b"  # wallet+asset wins


def test_latest_from_then_highest_seq() -> None:
    # CONTRACT §2 Time: equally specific -> the latest `from`, then the highest seq
    later = [
        {"type": "method", "method": "LIFO", "from": "2025-02-01"},
        {"type": "method", "method": "LOFO", "from": "2025-01-01"},
    ]
    assert _taken(_book([*later, *LOTS, SALE]))[0][0] == "c"
    same_day = [
        {"type": "method", "method": "LIFO", "from": "2025-01-01"},
        {"type": "method", "method": "LOFO", "from": "2025-01-01"},
    ]
    assert _taken(_book([*same_day, *LOTS, SALE]))[0][0] == "b"


def test_wallet_method_does_not_cover_other_wallets() -> None:
    booked = _book(
        [{"type": "method", "method": "LIFO", "from": "2025-01-01", "wallet": "other"}, *LOTS, SALE]
    )
    assert _taken(booked)[0][0] == "a"


def test_swap_disposes_and_acquires() -> None:
    # R2.2, R2.3: proceeds = value - fee; the received asset's basis = value (fee not added)
    booked = _book(
        [
            *LOTS,
            {
                "type": "swap",
                "id": "x",
                "at": "2025-06-01",
                "wallet": "w",
                "give_asset": "SOL",
                "give_qty": "2",
                "get_asset": "ETH",
                "get_qty": "0.01",
                "value": "30",
                "fee": "1",
            },
        ]
    )
    [row] = booked.slices
    assert (row.kind, row.proceeds, row.basis, row.gain) == ("swap", D(29), D(6), D(23))
    eth = [o for o in booked.open_lots if o.asset == "ETH"]
    assert [(o.lot, o.qty, o.basis) for o in eth] == [("test:x", D("0.01"), D(30))]
    assert booked.acquisitions[-1].kind == "swap"


def test_fee_event_is_a_disposal_at_value() -> None:
    # R2.4
    booked = _book(
        [
            *LOTS,
            {"type": "fee", "at": "2025-06-01", "wallet": "w", "asset": "SOL", "qty": "0.5", "value": "2"},
        ]
    )
    [row] = booked.slices
    assert (row.kind, row.qty, row.proceeds, row.basis, row.gain) == (
        "fee",
        D("0.5"),
        D(2),
        D("1.5"),
        D("0.5"),
    )


def test_partial_takes_conserve_basis_exactly() -> None:
    # R2.7: a third of a lot with basis 10 -> taken 10/3 (34 digits), the rest keeps 10 - taken
    booked = _book(
        [
            {
                "type": "buy",
                "id": "l",
                "at": "2025-01-10",
                "wallet": "w",
                "asset": "SOL",
                "qty": "3",
                "total": "10",
            },
            {"type": "sell", "at": "2025-02-10", "wallet": "w", "asset": "SOL", "qty": "1", "total": "7"},
        ]
    )
    taken = booked.slices[0].basis
    assert taken == D("3.33333333333333333333333333333333")
    assert booked.open_lots[0].basis + taken == D(10)


def test_proceeds_split_pro_rata_last_gets_remainder() -> None:
    # R2.7: 10 split over qty 1 and 2 -> 10/3 and the remainder; the sum is exact
    booked = _book(
        [
            {
                "type": "buy",
                "id": "l1",
                "at": "2025-01-10",
                "wallet": "w",
                "asset": "SOL",
                "qty": "1",
                "total": "1",
            },
            {
                "type": "buy",
                "id": "l2",
                "at": "2025-01-11",
                "wallet": "w",
                "asset": "SOL",
                "qty": "2",
                "total": "1",
            },
            {"type": "sell", "at": "2025-02-10", "wallet": "w", "asset": "SOL", "qty": "3", "total": "10"},
        ]
    )
    first, second = booked.slices
    assert first.proceeds == D("3.33333333333333333333333333333333")
    assert first.proceeds + second.proceeds == D(10)
    assert [s.order for s in booked.slices] == [0, 1]


def test_stock_class_and_covered_status() -> None:
    # R6.2: a stock acquired in the account from 2011 is covered; crypto acquired before 2026 is not
    booked = _book(
        [
            {
                "type": "buy",
                "at": "2024-01-10",
                "wallet": "schwab",
                "asset": "ACME",
                "qty": "1",
                "price": "10",
                "class": "stock",
            },
            {"type": "buy", "at": "2024-01-10", "wallet": "cb", "asset": "BTC", "qty": "1", "price": "10"},
            {"type": "buy", "at": "2026-01-10", "wallet": "cb", "asset": "BTC", "qty": "1", "price": "10"},
        ]
    )
    assert [(o.asset, o.asset_class, o.wallet, o.covered) for o in booked.open_lots] == [
        ("ACME", "stock", "schwab", True),
        ("BTC", "crypto", "cb", False),
        ("BTC", "crypto", "cb", True),
    ]


def test_every_method_has_exactly_one_sort_key() -> None:
    # R3.1: the table of sort keys is the list of methods the event format accepts, no more, no less
    from typing import get_args

    from gainlog.ledger.events import Method
    from gainlog.projections.rules.lot_methods import SORT_KEYS

    assert sorted(SORT_KEYS) == sorted(get_args(Method))
