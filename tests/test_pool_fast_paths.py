"""The lot engine's cheaper bookkeeping (issue #19): a pool's lot index built on first use, and the
date of the next pooling change the fold compares each trade with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from gainlog.projections.checkpoint import freeze_engine, thaw_engine
from gainlog.projections.engine import LotBookState
from gainlog.projections.engine.state import _read_by_state
from gainlog.projections.engine.transitions import apply_transitions
from gainlog.projections.exact import exact_context
from gainlog.projections.pools import Piece, Pool, Portion
from helpers import records

D = Decimal
AT = datetime(2024, 3, 1, tzinfo=UTC)


def _piece(uid: int, lot: str, qty: str, basis: str) -> Piece:
    return Piece(
        uid=uid, lot=lot, seq=uid, asset="BTC", asset_class="crypto", wallet="A", qty=D(qty), basis=D(basis),
        acquired_at=AT, acquired_us=uid, date_acquired=AT.date(), covered=False, transferred=False,
        unit_cost=D(basis) / D(qty),
    )


def test_lot_index_is_built_in_pool_order_after_takes() -> None:
    pool = Pool("BTC", "A")
    with exact_context():
        for uid, lot in enumerate(("x", "y", "x", "x"), start=1):
            pool.add(_piece(uid, lot, "1", "10"))
        portions: list[Portion] = []
        rest = pool.take(D("1.5"), "FIFO", portions)  # all of piece 1 (lot x), half of piece 2 (lot y)
        assert [(p.piece.uid, str(p.qty), str(p.basis)) for p in portions] == [(1, "1", "10"), (2, "0.5", "5")]
        assert rest == 0
        assert pool.lot_qty("x") == 2 and pool.lot_qty("y") == D("0.5")  # the index: pieces 3 and 4 only
        pool.add(_piece(5, "x", "2", "30"))  # maintained once built
        taken = pool.take_lot("x", D("3.5"))
        assert [(p.piece.uid, str(p.qty), str(p.basis)) for p in taken] == [
            (3, "1", "10"), (4, "1", "10"), (5, "1.5", "22.5"),
        ]
        assert pool.lot_qty("x") == D("0.5") and list(pool.members) == [2, 5]
        assert pool.take(D("0.5"), "FIFO", []) == 0  # piece 2 (lot y) closes: the index drops the lot
        assert pool.lot_qty("y") == 0 and pool.lot_qty("x") == D("0.5")
        assert [p.uid for p in pool.drain()] == [5] and pool.lot_qty("x") == 0


def test_a_piece_taken_whole_leaves_the_heap_at_once() -> None:
    pool = Pool("BTC", "A")
    with exact_context():
        for uid in (1, 2, 3):
            pool.add(_piece(uid, "x", "1", "10"))
        pool.take(D(1), "FIFO", [])  # builds the FIFO heap, takes piece 1 whole
        assert pool.heaps["FIFO"][0][-1] == 2 and len(pool.heaps["FIFO"]) == 2
        assert pool.peek("FIFO") is pool.members[2]


def test_next_pooling_change_date_follows_the_applied_count() -> None:
    state = LotBookState(records([]), tz=ZoneInfo("UTC"))
    assert state.transitions == [date(2025, 1, 1)] and state.transition_due == date(2025, 1, 1)
    apply_transitions(state, date(2024, 12, 31))
    assert state.next_transition == 0 and state.transition_due == date(2025, 1, 1)
    apply_transitions(state, date(2025, 1, 1))
    assert state.next_transition == 1 and state.transition_due == date.max
    restored = thaw_engine(freeze_engine(state), tz=ZoneInfo("UTC"))  # a checkpoint keeps the count
    assert restored is not None and restored.next_transition == 1 and restored.transition_due == date.max


def test_the_state_reads_only_its_events_in_one_pass() -> None:
    recs = records([
        {"type": "buy", "id": "b1", "at": "2024-01-01", "wallet": "A", "asset": "XYZ", "qty": "1", "price": "5",
         "class": "stock"},
        {"type": "buy", "id": "b2", "at": "2024-01-02", "wallet": "A", "asset": "BTC", "qty": "1", "price": "5"},
        {"type": "method", "id": "m", "method": "LIFO", "from": "2024-01-01"},
        {"type": "price", "id": "p", "at": "2024-01-03", "asset": "ETH", "usd": "3000"},
        {"type": "withdrawal", "id": "w", "at": "2024-01-04", "wallet": "A", "asset": "BTC", "qty": "1"},
        {"type": "deposit", "id": "d", "at": "2024-01-04", "wallet": "B", "asset": "BTC", "qty": "1"},
        {"type": "transfer", "id": "t1", "at": "2024-01-04", "from": "A", "to": "B", "asset": "BTC", "qty": "1",
         "legs": ["test:w", "test:d"]},
        {"type": "transfer", "id": "t2", "at": "2024-01-05", "from": "B", "to": "A", "asset": "BTC", "qty": "1"},
        {"type": "rename", "id": "r", "at": "2024-02-01", "asset": "XYZ", "to": "ABC"},
        {"type": "sell", "id": "s", "at": "2024-03-01", "wallet": "A", "asset": "BTC", "qty": "1", "price": "9"},
        {"type": "income", "id": "i", "at": "2024-03-02", "wallet": "A", "asset": "ETH", "qty": "1", "value": "9",
         "kind": "staking"},
    ])
    read = _read_by_state(recs)
    # the settings, the price, the transfer pairing legs, the rename and the buy naming a class
    assert [r.event.id for r in read] == ["b1", "m", "p", "t1", "r"]  # type: ignore[union-attr]
    whole, few = LotBookState(recs, tz=ZoneInfo("UTC")), LotBookState(read, tz=ZoneInfo("UTC"))
    assert whole.asset_class == few.asset_class == {"XYZ": "stock", "ABC": "stock"}
    assert whole.paired == few.paired and set(whole.paired) == {"test:w", "test:d"}
    assert whole.settings_events == few.settings_events == [recs[2]]
    assert whole.settings.method("A", "BTC", date(2024, 3, 1)).method == "LIFO"


def test_a_whole_piece_taken_inline_keeps_the_pool_qty_and_index() -> None:
    pool = Pool("BTC", "A")
    with exact_context():
        for uid in (1, 2, 3):
            pool.add(_piece(uid, "x" if uid < 3 else "y", "1", "10"))
        portions: list[Portion] = []
        assert pool.take(D("2.5"), "FIFO", portions) == 0  # pieces 1 and 2 whole (inline), half of 3
        assert [(p.piece.uid, str(p.qty), str(p.basis)) for p in portions] == [
            (1, "1", "10"), (2, "1", "10"), (3, "0.5", "5"),
        ]
        assert pool.qty == D("0.5") and list(pool.members) == [3] and pool.heaps["FIFO"][0][-1] == 3
        assert pool.lot_qty("y") == D("0.5") and pool.lot_qty("x") == 0  # the index, built now
        pool.add(_piece(4, "x", "1", "10"))
        assert pool.take(D("2"), "FIFO", portions) == D("0.5")  # index built: `_take_from`, same result
        assert pool.qty == 0 and not pool.members and pool.lot_qty("x") == 0 and pool.lot_qty("y") == 0
