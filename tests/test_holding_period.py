"""R1 holding period: calendar dates, never day counts; dates in the ledger's time zone (R-E1)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from gainlog.projections.engine import book
from gainlog.projections.model import Slice
from gainlog.projections.rules.holding_period import long_term_from, term
from helpers import records


@pytest.mark.parametrize(
    ("bought", "sold", "expected"),
    [
        (date(2024, 6, 15), date(2025, 6, 15), "short"),  # R-E1
        (date(2024, 6, 15), date(2025, 6, 16), "long"),  # R-E1
        (date(2024, 1, 1), date(2025, 1, 1), "short"),  # R-E1
        (date(2024, 2, 29), date(2025, 2, 28), "short"),  # R-E1, R1.2
        (date(2024, 2, 29), date(2025, 3, 1), "long"),  # R-E1, R1.2: Feb 29 -> Mar 1
        (date(2023, 2, 28), date(2024, 2, 29), "short"),  # R-E1: 366 days, still not more than a year
    ],
)
def test_term_on_calendar_dates(bought: date, sold: date, expected: str) -> None:
    assert term(bought, sold) == expected


def test_long_term_from_leap_day() -> None:
    assert long_term_from(date(2024, 2, 29)) == date(2025, 3, 1)  # R1.2
    assert long_term_from(date(2024, 2, 28)) == date(2025, 3, 1)  # R1.2: start is Feb 29, next year Mar 1


NY_TRADES = [  # R-E1: bought 2024-03-01 20:00 and sold 2025-03-02 09:00, New York time
    {"type": "buy", "at": "2024-03-01T20:00:00-05:00", "wallet": "w", "asset": "BTC", "qty": "1", "price": "100"},
    {"type": "sell", "at": "2025-03-02T09:00:00-05:00", "wallet": "w", "asset": "BTC", "qty": "1", "price": "200"},
]


def _slice(tz: str) -> Slice:
    return book(records(NY_TRADES, tz=tz), tz=ZoneInfo(tz)).slices[0]


def _sale(tz: str) -> str:
    return _slice(tz).term


def test_new_york_dates_make_it_long_term() -> None:
    # R-E1, R1.3: bought 2024-03-01 local, sold 2025-03-02 local -> long
    assert _sale("America/New_York") == "long"


def test_same_trades_in_utc_are_short_term() -> None:
    # R-E1: in UTC the purchase falls on 2024-03-02 and the sale on 2025-03-02 -> short
    assert _sale("UTC") == "short"


def test_slice_dates_are_local() -> None:
    row = _slice("America/New_York")
    assert (row.date_acquired, row.date_sold) == (date(2024, 3, 1), date(2025, 3, 2))  # R1.3
