"""TAX_RULES worked examples R-E2 ... R-E5 and R-E9 with their exact numbers (R-E1: test_holding_period)."""

from __future__ import annotations

from datetime import UTC as UTC_TZ
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from gainlog.projections.engine import book
from gainlog.projections.model import Booked
from helpers import R_E5, records

UTC = ZoneInfo("UTC")
D = Decimal


def _book(lines: list[dict[str, Any]], until: datetime | None = None) -> Booked:
    return book(records(lines), tz=UTC, until=until)


def _lots(booked: Booked) -> list[tuple[str, str, Decimal, Decimal, date]]:
    return [(o.wallet, o.lot, o.qty, o.basis, o.date_acquired) for o in booked.open_lots]


def test_re2_fees_go_into_basis_and_out_of_proceeds() -> None:
    # R-E2, R2.1: buy 0.5 BTC for 30,000 + 150 fee; sell for 40,000 - 200 fee
    booked = _book(
        [
            {
                "type": "buy",
                "at": "2024-01-02",
                "wallet": "cb",
                "asset": "BTC",
                "qty": "0.5",
                "total": "30000",
                "fee": "150",
            },
            {
                "type": "sell",
                "at": "2024-03-02",
                "wallet": "cb",
                "asset": "BTC",
                "qty": "0.5",
                "total": "40000",
                "fee": "200",
            },
        ]
    )
    [row] = booked.slices
    assert (row.proceeds, row.basis, row.gain, row.term) == (D(39800), D(30150), D(9650), "short")
    assert booked.open_lots == ()


ETH_MOVE = [
    {
        "type": "buy",
        "id": "eth",
        "at": "2024-03-01",
        "wallet": "cb",
        "asset": "ETH",
        "qty": "1",
        "price": "2000",
    },
    {
        "type": "transfer",
        "id": "mv",
        "at": "2025-02-01",
        "from": "cb",
        "to": "ledger",
        "asset": "ETH",
        "qty": "1",
        "fee_qty": "0.002",
        "fee_value": "6.00",
    },
]


def test_re3_transfer_fee_disposed_by_default() -> None:
    # R-E3, R2.6 default: the fee units are a disposal at fee_value; the rest keep basis and date (R2.5)
    booked = _book(ETH_MOVE)
    [row] = booked.slices
    assert (row.kind, row.qty, row.proceeds, row.basis, row.gain) == (
        "transfer_fee",
        D("0.002"),
        D(6),
        D(4),
        D(2),
    )
    assert _lots(booked) == [("ledger", "test:eth", D("0.998"), D(1996), date(2024, 3, 1))]
    assert booked.open_lots[0].transferred and not booked.open_lots[0].covered  # R6.2


def test_re3_transfer_fee_carried() -> None:
    # R-E3, R2.6 with transfer_fee carry: no disposal; 0.998 ETH arrive with basis 2,000
    booked = _book([{"type": "policy", "from": "2024-01-01", "transfer_fee": "carry"}, *ETH_MOVE])
    assert booked.slices == ()
    assert _lots(booked) == [("ledger", "test:eth", D("0.998"), D(2000), date(2024, 3, 1))]


def test_re3_in_the_universal_pool() -> None:
    # R-E3 before 2025 (R3.3 universal pool): the same disposal; the lot stays in the pool `*`
    moved = [ETH_MOVE[0], {**ETH_MOVE[1], "at": "2024-06-01"}]
    booked = _book(moved, until=datetime(2024, 12, 31, 23, 59, tzinfo=UTC_TZ))
    assert [(s.proceeds, s.basis, s.gain) for s in booked.slices] == [(D(6), D(4), D(2))]
    assert _lots(booked) == [("*", "test:eth", D("0.998"), D(1996), date(2024, 3, 1))]
    carried = _book([{"type": "policy", "from": "2024-01-01", "transfer_fee": "carry"}, *moved])
    assert carried.slices == ()
    assert _lots(carried) == [
        ("ledger", "test:eth", D("0.998"), D(2000), date(2024, 3, 1))
    ]  # R3.4 allocation


DE = [
    {"type": "buy", "id": "old", "at": "2024-03-01", "wallet": "w", "asset": "DE", "qty": "10", "price": "2"},
    {"type": "buy", "id": "new", "at": "2025-05-01", "wallet": "w", "asset": "DE", "qty": "20", "price": "5"},
]
DE_SALE = {"type": "sell", "at": "2025-09-02", "wallet": "w", "asset": "DE", "qty": "10", "total": "100"}


def test_re4_fifo() -> None:
    # R-E4, R3.1 FIFO: the 2024 lot, long-term gain 80
    [row] = _book([*DE, DE_SALE]).slices
    assert (row.lot, row.basis, row.gain, row.term) == ("test:old", D(20), D(80), "long")


def test_re4_specific_identification() -> None:
    # R-E4, R3.1: the 2025 lot named in the sell's `lots` -> short-term gain 50
    booked = _book([*DE, {**DE_SALE, "lots": [{"lot": "new", "qty": "10"}]}])
    [row] = booked.slices
    assert (row.lot, row.basis, row.gain, row.term) == ("test:new", D(50), D(50), "short")
    assert booked.problems == ()




def test_re5_before_the_allocation_one_universal_pool() -> None:
    # R3.3: before 2025 the lots sit in one universal pool, shown as wallet `*`
    booked = _book(R_E5, until=datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC_TZ))
    assert [(w, lot, q, b) for w, lot, q, b, _ in _lots(booked)] == [
        ("*", "test:l2019", D(10), D(10)),
        ("*", "test:l2020", D(14), D(70)),
    ]


def test_re5_safe_harbor_default_rule() -> None:
    # R-E5, R3.4: HIFO order; XYZ (holds 4, the smaller) gets 4 x 5; GHI gets 10 x 5 and 10 x 1
    booked = _book(R_E5)
    assert [(w, lot, q, b) for w, lot, q, b, _ in _lots(booked)] == [
        ("GHI", "test:l2019", D(10), D(10)),
        ("GHI", "test:l2020", D(10), D(50)),
        ("XYZ", "test:l2020", D(4), D(20)),
    ]
    assert booked.problems == ()


def test_re5_allocation_then_sale_uses_the_wallet_lots() -> None:
    # R-E5 then R3.3: a 2025 sale from XYZ draws only on what XYZ was allocated
    booked = _book(
        [
            *R_E5,
            {"type": "sell", "at": "2025-03-01", "wallet": "XYZ", "asset": "XYZ", "qty": "4", "price": "6"},
        ]
    )
    assert [(s.lot, s.qty, s.basis, s.gain) for s in booked.slices] == [("test:l2020", D(4), D(20), D(4))]


def test_re9_income_lot_and_sale() -> None:
    # R-E9, R7.1: 0.1 ETH staking reward at 3,000/ETH -> income 300, basis 300; sold for 400 -> short gain 100
    booked = _book(
        [
            {
                "type": "income",
                "id": "st",
                "at": "2025-03-01",
                "wallet": "w",
                "asset": "ETH",
                "qty": "0.1",
                "value": "300",
                "kind": "staking",
            },
            {"type": "sell", "at": "2025-08-01", "wallet": "w", "asset": "ETH", "qty": "0.1", "total": "400"},
        ]
    )
    [income] = booked.income
    assert (income.value, income.kind, income.qty) == (D(300), "staking", D("0.1"))
    [acq] = booked.acquisitions
    assert (acq.kind, acq.basis, acq.lot) == ("income", D(300), "test:st")
    [row] = booked.slices
    assert (row.proceeds, row.basis, row.gain, row.term) == (D(400), D(300), D(100), "short")
