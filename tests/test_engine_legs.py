"""Classify, then book (issue 11): each trade's legs are a pure function of the event; each slice
records the selection method the engine actually used (`Slice.method`), which `explain` shows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, get_args
from zoneinfo import ZoneInfo

from gainlog.ledger.events import Method
from gainlog.projections.engine import book
from gainlog.projections.engine.legs import Acquire, Dispose, Earn, TransferIn, TransferOut, classify
from gainlog.projections.explain import trails
from gainlog.projections.model import SPECIFIC, LotMethod
from helpers import records

D = Decimal
UTC = ZoneInfo("UTC")
LOTS = [
    {"type": "buy", "id": "a", "at": "2025-01-10", "wallet": "w", "asset": "SOL", "qty": "2", "price": "1"},
    {"type": "buy", "id": "b", "at": "2025-02-10", "wallet": "w", "asset": "SOL", "qty": "2", "price": "3"},
]


def _sell(qty: str, lots: list[dict[str, str]]) -> dict[str, Any]:
    return {"type": "sell", "id": "s", "at": "2025-06-01", "wallet": "w", "asset": "SOL", "qty": qty,
            "price": "10", "fee": "1", "lots": lots}


def _event(line: dict[str, Any]) -> Any:
    return records([line])[0].event


def test_each_trade_classifies_into_its_legs() -> None:
    buy = _event({**LOTS[0], "fee": "0.5"})
    assert classify(buy) == (Acquire("buy", "SOL", "w", D(2), D("2.5")),)  # R2.1: 2 x 1 + 0.5
    sell = _event(_sell("3", [{"lot": "b", "qty": "2"}]))
    (leg,) = classify(sell)
    assert isinstance(leg, Dispose) and (leg.kind, leg.qty, leg.proceeds) == ("sell", D(3), D(29))  # 30 - 1
    swap = _event({"type": "swap", "at": "2025-03-01", "wallet": "w", "give_asset": "SOL", "give_qty": "1",
                   "get_asset": "ETH", "get_qty": "3", "value": "100", "fee": "2"})
    assert classify(swap) == (  # R2.2-R2.3: disposed at value - fee, received at value
        Dispose("swap", "SOL", "w", D(1), D(98)), Acquire("swap", "ETH", "w", D(3), D(100)),
    )
    income = _event({"type": "income", "at": "2025-04-01", "wallet": "w", "asset": "SOL", "qty": "0.1",
                     "value": "5", "kind": "staking"})
    assert classify(income) == (
        Acquire("income", "SOL", "w", D("0.1"), D(5)), Earn("w", "SOL", D("0.1"), D(5), "staking"),
    )
    transfer = _event({"type": "transfer", "at": "2025-05-01", "from": "w", "to": "v", "asset": "SOL",
                       "qty": "1", "fee_qty": "0.01", "fee_value": "0.1"})
    assert classify(transfer) == (
        TransferOut("SOL", "w", D(1), D("0.01"), D("0.1")), TransferIn("SOL", "v"),
    )
    assert classify(_event({"type": "method", "method": "LIFO", "from": "2025-01-01"})) == ()


def test_slices_record_the_method_used() -> None:
    # R3.1: the named lot by specific identification, the rest by the method in force
    booked = book(records([*LOTS, _sell("3", [{"lot": "b", "qty": "2"}])]), tz=UTC)
    assert [(s.lot, s.method) for s in booked.slices] == [("test:b", SPECIFIC), ("test:a", "FIFO")]
    # R3.6: unsatisfiable `lots` fall back to the method in force: every unit is taken by it
    lifo = {"type": "method", "method": "LIFO", "from": "2025-01-01"}
    fallback = book(records([lifo, *LOTS, _sell("3", [{"lot": "a", "qty": "9"}])]), tz=UTC)
    assert [(s.lot, s.method) for s in fallback.slices] == [("test:b", "LIFO"), ("test:a", "LIFO")]
    # R3.5: units beyond the pool: missing basis, found no lot under the method in force
    short = book(records([*LOTS, {**_sell("5", []), "lots": None}]), tz=UTC)
    assert [(s.lot, s.missing_basis, s.method) for s in short.slices][-1] == ("", True, "FIFO")


def test_explain_shows_the_method_each_row_used() -> None:
    recs = records([*LOTS, _sell("3", [{"lot": "b", "qty": "2"}])])
    rows = trails(book(recs, tz=UTC), recs, 2025)
    assert [r["method"] for r in rows] == [
        {"method": "specific identification", "event": "test:s"},
        {"method": "FIFO", "event_seq": None, "default": True},  # not "specific identification" any more
    ]


def test_slice_methods_are_the_lot_methods_and_specid() -> None:
    assert {name for part in get_args(LotMethod) for name in get_args(part)} == {*get_args(Method), SPECIFIC}
