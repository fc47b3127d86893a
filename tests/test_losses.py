"""Lost units and worthless assets (projections/rules/losses.py): IRC §165(h)(5), §165(g)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from gainlog.projections.pipeline import project
from helpers import records

D = Decimal


def test_worthless_is_a_disposal_for_zero_on_december_31() -> None:
    """100 ABC bought 2023-08-01 for 2,000; `worthless` on 2024-03-15 -> one row: sold 2024-12-31,
    proceeds 0, basis 2,000, gain -2,000, long-term (held past 2024-08-01, §165(g)(1)); nothing left."""
    booked = project(records([
        {"type": "buy", "id": "b", "at": "2023-08-01", "wallet": "acct", "asset": "ABC", "qty": "100",
         "total": "2000", "class": "stock"},
        {"type": "worthless", "at": "2024-03-15", "asset": "ABC"},
    ]), tz=ZoneInfo("UTC"))
    [s] = booked.slices
    assert (s.kind, s.qty, s.proceeds, s.basis, s.gain, s.date_acquired, s.date_sold, s.term) == (
        "worthless", D(100), D(0), D(2000), D(-2000), date(2023, 8, 1), date(2024, 12, 31), "long")
    assert booked.open_lots == ()


def test_worthless_in_one_wallet_and_in_the_ledger_time_zone() -> None:
    """Two wallets hold LUNA, one universal pool (crypto before 2025): bought 2024-02-01, a 10 for 500,
    then b 5 for 100; `worthless` for wallet a at 2024-12-31T23:30-05:00 (New York: still 2024) -> the
    10 units a holds, by FIFO the first lot, disposed of 2024-12-31 for 0 (loss 500, short-term); the 5
    units of b's lot stay."""
    booked = project(records([
        {"type": "buy", "at": "2024-02-01T10:00:00-05:00", "wallet": "a", "asset": "LUNA", "qty": "10", "total": "500"},
        {"type": "buy", "at": "2024-02-01T11:00:00-05:00", "wallet": "b", "asset": "LUNA", "qty": "5", "total": "100"},
        {"type": "worthless", "at": "2024-12-31T23:30:00-05:00", "asset": "LUNA", "wallet": "a"},
    ], tz="America/New_York"), tz=ZoneInfo("America/New_York"))
    [s] = booked.slices
    assert (s.wallet, s.qty, s.gain, s.date_sold, s.term) == ("a", D(10), D(-500), date(2024, 12, 31), "short")
    assert [(o.qty, o.basis) for o in booked.open_lots] == [(D(5), D(100))]


def test_lost_units_leave_with_no_row_and_a_warning() -> None:
    """1 BTC bought 2023-01-05 for 30,000; 0.4 BTC lost 2024-05-01 -> no 8949 row, 0.6 BTC left with
    basis 18,000; a `lost-no-deduction` problem naming §165(h)(5)."""
    booked = project(records([
        {"type": "buy", "at": "2023-01-05", "wallet": "w", "asset": "BTC", "qty": "1", "total": "30000"},
        {"type": "lost", "at": "2024-05-01", "wallet": "w", "asset": "BTC", "qty": "0.4"},
    ]), tz=ZoneInfo("UTC"))
    assert booked.slices == ()
    assert [(o.qty, o.basis) for o in booked.open_lots] == [(D("0.6"), D(18000))]
    [problem] = booked.problems
    assert problem.code == "lost-no-deduction"
    assert "0.4 BTC lost from 'w' on 2024-05-01" in problem.message
    assert "TCJA, IRC §165(h)(5)" in problem.message
