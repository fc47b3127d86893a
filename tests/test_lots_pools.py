"""R3.2-R3.5 pooling: the universal crypto pool before 2025, per-wallet pools, the safe-harbor allocation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from gainlog.ledger.events import Recorded
from gainlog.projections.engine import book
from gainlog.projections.model import Booked
from helpers import R_E5, records

D = Decimal
END_2024 = datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)


def _book(lines: Sequence[dict[str, Any] | Recorded], until: datetime | None = None) -> Booked:
    recs = [x for x in lines if isinstance(x, Recorded)] or records([x for x in lines if isinstance(x, dict)])
    return book(recs, tz=ZoneInfo("UTC"), until=until)


def _codes(booked: Booked) -> list[str]:
    return [p.code for p in booked.problems]


TWO_WALLETS = [
    {
        "type": "buy",
        "id": "a1",
        "at": "2023-01-10",
        "wallet": "A",
        "asset": "BTC",
        "qty": "1",
        "price": "100",
    },
    {
        "type": "buy",
        "id": "b1",
        "at": "2023-02-10",
        "wallet": "B",
        "asset": "BTC",
        "qty": "1",
        "price": "300",
    },
]


def test_universal_pool_sale_draws_lots_of_another_wallet() -> None:
    # R3.3 universal pool, LIFO: wallet A's sale takes B's later lot; A holds enough, so no warning
    booked = _book(
        [
            {"type": "method", "method": "LIFO", "from": "2023-01-01"},
            *TWO_WALLETS,
            {"type": "sell", "at": "2023-06-01", "wallet": "A", "asset": "BTC", "qty": "1", "price": "400"},
        ]
    )
    [row] = booked.slices
    assert (row.wallet, row.lot, row.basis, row.gain) == ("A", "test:b1", D(300), D(100))
    assert _codes(booked) == []


def test_universal_pool_warns_when_a_wallet_sells_more_than_it_holds() -> None:
    # CONTRACT §2 method row: a wallet selling more than its own balance gets a warning
    booked = _book(
        [
            *TWO_WALLETS,
            {"type": "sell", "at": "2023-06-01", "wallet": "A", "asset": "BTC", "qty": "2", "price": "400"},
        ],
        until=END_2024,
    )
    assert [(s.lot, s.basis) for s in booked.slices] == [("test:a1", D(100)), ("test:b1", D(300))]
    assert _codes(booked) == ["wallet-oversold"]


def test_wallet_scope_election_keeps_pools_apart() -> None:
    # R3.3: crypto per wallet if elected before 2025 -> the oversold part has missing basis (R3.5)
    booked = _book(
        [
            {"type": "method", "method": "FIFO", "from": "2023-01-01", "scope": "wallet"},
            *TWO_WALLETS,
            {"type": "sell", "at": "2023-06-01", "wallet": "A", "asset": "BTC", "qty": "2", "price": "400"},
        ]
    )
    assert [(s.lot, s.basis, s.missing_basis) for s in booked.slices] == [
        ("test:a1", D(100), False),
        ("", D(0), True),
    ]
    assert "missing-basis" in _codes(booked)


def test_stocks_are_always_per_wallet() -> None:
    # R3.2
    booked = _book(
        [
            {
                "type": "buy",
                "at": "2023-01-10",
                "wallet": "A",
                "asset": "ACME",
                "qty": "1",
                "price": "10",
                "class": "stock",
            },
            {"type": "buy", "at": "2023-01-11", "wallet": "B", "asset": "ACME", "qty": "1", "price": "20"},
        ],
        until=END_2024,
    )
    assert [(o.wallet, o.basis) for o in booked.open_lots] == [("A", D(10)), ("B", D(20))]


def test_switch_to_wallet_scope_before_2025_allocates() -> None:
    # R3.4 last paragraph: the same allocation applies on a switch from universal to wallet scope
    booked = _book(
        [
            *TWO_WALLETS,
            {"type": "transfer", "at": "2023-03-01", "from": "A", "to": "B", "asset": "BTC", "qty": "0.5"},
            {"type": "method", "method": "FIFO", "from": "2024-01-01", "scope": "wallet"},
        ],
        until=END_2024,
    )
    # FIFO lots a1, b1; A holds 0.5 (smaller) -> 0.5 of a1; B holds 1.5 -> 0.5 of a1 and b1
    assert [(o.wallet, o.lot, o.qty, o.basis) for o in booked.open_lots] == [
        ("A", "test:a1", D("0.5"), D(50)),
        ("B", "test:a1", D("0.5"), D(50)),
        ("B", "test:b1", D(1), D(300)),
    ]


def test_switch_back_to_universal_merges_wallet_pools() -> None:
    booked = _book(
        [
            {"type": "method", "method": "FIFO", "from": "2023-01-01", "scope": "wallet"},
            *TWO_WALLETS,
            {"type": "method", "method": "FIFO", "from": "2024-01-01", "scope": "universal"},
        ],
        until=END_2024,
    )
    assert [(o.wallet, o.lot) for o in booked.open_lots] == [("*", "test:a1"), ("*", "test:b1")]


OVERRIDE = {"type": "allocate", "asset": "XYZ", "lots": [{"lot": "l2019", "wallet": "XYZ", "qty": "4"}]}


def test_allocate_event_overrides_the_default_rule() -> None:
    # R3.4: XYZ gets 4 of the 2019 lot; the rest fills GHI by the default rule (HIFO order)
    booked = _book([*R_E5, OVERRIDE])
    assert [(o.wallet, o.lot, o.qty, o.basis) for o in booked.open_lots] == [
        ("GHI", "test:l2019", D(6), D(6)),
        ("GHI", "test:l2020", D(14), D(70)),
        ("XYZ", "test:l2019", D(4), D(4)),
    ]
    assert _codes(booked) == []


def test_allocate_recorded_after_the_first_2025_disposal_warns() -> None:
    # R3.4: an allocate recorded after a 2025 disposal of the asset still applies, with a warning
    sale = {"type": "sell", "at": "2025-02-01", "wallet": "GHI", "asset": "XYZ", "qty": "1", "price": "9"}
    first = records([*R_E5, sale])
    late = records([OVERRIDE], start_seq=len(first) + 1)
    booked = _book(first + late)
    assert "late-allocation" in _codes(booked)
    on_time = records([*R_E5, OVERRIDE, sale])
    assert "late-allocation" not in _codes(_book(on_time))


def test_units_without_lots_after_allocation_have_missing_basis() -> None:
    # R3.4, R3.5: A oversold the pool in 2024, B still holds 1 unit no lot is left for
    booked = _book(
        [
            *TWO_WALLETS,
            {"type": "sell", "at": "2024-06-01", "wallet": "A", "asset": "BTC", "qty": "2", "price": "400"},
            {"type": "sell", "at": "2025-06-01", "wallet": "B", "asset": "BTC", "qty": "1", "price": "500"},
        ]
    )
    assert "unallocated-units" in _codes(booked)
    last = booked.slices[-1]
    assert (last.wallet, last.missing_basis, last.basis, last.term, last.date_acquired) == (
        "B",
        True,
        D(0),
        "short",
        last.date_sold,
    )


def test_allocation_happens_at_local_midnight() -> None:
    # R3.4, R1.3: a sale at 2025-01-01T02:00 New York time is after the allocation
    recs = records(
        [
            {
                "type": "buy",
                "at": "2024-05-01T12:00:00-04:00",
                "wallet": "A",
                "asset": "BTC",
                "qty": "1",
                "price": "1",
            },
            {
                "type": "sell",
                "at": "2025-01-01T02:00:00-05:00",
                "wallet": "B",
                "asset": "BTC",
                "qty": "1",
                "price": "2",
            },
        ],
        tz="America/New_York",
    )
    booked = book(recs, tz=ZoneInfo("America/New_York"))
    assert [s.missing_basis for s in booked.slices] == [True]  # B holds nothing: per-wallet pool
    before = book(
        recs,
        tz=ZoneInfo("America/New_York"),
        until=datetime(2025, 1, 1, 4, 59, tzinfo=UTC) - timedelta(minutes=1),
    )
    assert [o.wallet for o in before.open_lots] == ["*"]
