"""The fold's state is a value: a snapshot taken mid-replay (stored as bytes) continues to the same result."""

from __future__ import annotations

from decimal import localcontext
from zoneinfo import ZoneInfo

import msgspec
from gainlog.projections.checkpoint import freeze_engine, thaw_engine
from gainlog.projections.engine import PRECISION, LotBookState, book, finish, step
from helpers import records

UTC = ZoneInfo("UTC")
LEDGER = [
    {"type": "method", "method": "HIFO", "from": "2019-01-01"},
    {"type": "buy", "id": "a", "at": "2024-01-10", "wallet": "A", "asset": "BTC", "qty": "1", "price": "100"},
    {"type": "buy", "id": "b", "at": "2024-02-10", "wallet": "B", "asset": "BTC", "qty": "2", "price": "300"},
    {"type": "transfer", "at": "2024-03-01", "from": "B", "to": "A", "asset": "BTC", "qty": "1"},
    {"type": "sell", "at": "2025-03-01", "wallet": "A", "asset": "BTC", "qty": "1.5", "price": "500"},
    {
        "type": "income",
        "at": "2025-04-01",
        "wallet": "B",
        "asset": "BTC",
        "qty": "0.1",
        "value": "50",
        "kind": "staking",
    },
    {"type": "sell", "at": "2025-05-01", "wallet": "B", "asset": "BTC", "qty": "0.5", "price": "600"},
]


def test_snapshot_resumes_to_the_same_result() -> None:
    recs = records(LEDGER)
    trades = recs[1:]
    with localcontext() as ctx:
        ctx.prec = PRECISION
        state = LotBookState(recs, tz=UTC)
        for record in trades[:3]:
            step(state, record)
        resumed = thaw_engine(freeze_engine(state), tz=UTC)
        assert resumed is not None
        resumed.slices, resumed.acquisitions = state.slices, state.acquisitions  # the outputs: not in a snapshot
        resumed.income, resumed.problems = state.income, state.problems
        for record in trades[3:]:
            step(resumed, record)
        result = finish(resumed)
    assert msgspec.json.encode(result) == msgspec.json.encode(book(recs, tz=UTC))
    assert len(result.slices) == 4 and len(result.open_lots) == 2  # HIFO: the income lot (500/unit) goes first
