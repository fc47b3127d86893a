"""R3.1 specific identification by a sell's `lots`; R3.5 missing basis; R3.6 late or unsatisfiable lots."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from gainlog.ledger.events import Recorded
from gainlog.projections.engine import book, check_lot_references
from gainlog.projections.model import Booked
from helpers import records

D = Decimal
UTC = ZoneInfo("UTC")

LOTS = [
    {"type": "buy", "id": "a", "at": "2025-01-10", "wallet": "w", "asset": "SOL", "qty": "2", "price": "1"},
    {"type": "buy", "id": "b", "at": "2025-02-10", "wallet": "w", "asset": "SOL", "qty": "2", "price": "3"},
    {"type": "buy", "id": "c", "at": "2025-02-11", "wallet": "v", "asset": "SOL", "qty": "2", "price": "5"},
]


def _sell(qty: str, lots: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    sale: dict[str, Any] = {
        "type": "sell",
        "id": "s",
        "at": "2025-06-01",
        "wallet": "w",
        "asset": "SOL",
        "qty": qty,
        "price": "10",
        **extra,
    }
    if lots is not None:
        sale["lots"] = lots
    return sale


def _book(recs: list[Recorded]) -> Booked:
    return book(recs, tz=UTC)


def _codes(booked: Booked) -> list[str]:
    return [p.code for p in booked.problems]


def test_lots_then_method_for_the_rest() -> None:
    # R3.1: the named lot first, the rest by the method in force (FIFO)
    booked = _book(records([*LOTS, _sell("3", [{"lot": "b", "qty": "2"}])]))
    assert [(s.lot, s.qty, s.order) for s in booked.slices] == [("test:b", D(2), 0), ("test:a", D(1), 1)]
    assert booked.problems == ()


def test_lot_named_by_full_key_from_another_source() -> None:
    # CONTRACT §2 Identity: a lot is named by its id within the same source, or by a full key
    buys = records(LOTS, source="exchange")
    sale = records([_sell("1", [{"lot": "exchange:b", "qty": "1"}])], source="manual", start_seq=4)
    booked = _book(buys + sale)
    assert [s.lot for s in booked.slices] == ["exchange:b"]
    assert check_lot_references(buys + sale, tz=UTC) == []


def test_unknown_lot_is_an_import_error() -> None:
    recs = records([*LOTS, _sell("1", [{"lot": "nope", "qty": "1"}])])
    [message] = check_lot_references(recs, tz=UTC)
    assert "test:s" in message and "'nope'" in message


def test_lot_in_another_wallet_is_an_import_error() -> None:
    # R3.2 (2025: per wallet): lot c is in wallet v, the sale is from w
    recs = records([*LOTS, _sell("1", [{"lot": "c", "qty": "1"}])])
    [message] = check_lot_references(recs, tz=UTC)
    assert "holds 0 in wallet 'w'" in message


def test_more_than_the_lot_holds_is_an_import_error() -> None:
    recs = records([*LOTS, _sell("3", [{"lot": "a", "qty": "3"}])])
    [message] = check_lot_references(recs, tz=UTC)
    assert "takes 3 of lot test:a, which holds 2" in message
    assert check_lot_references(recs, tz=UTC, from_seq=5) == []  # only the new import's sells


def test_unsatisfiable_after_a_correction_falls_back_to_the_method() -> None:
    # R3.6: a later correction (here: an earlier sale of lot a recorded later) -> fallback + warning
    first = records([*LOTS, _sell("2", [{"lot": "a", "qty": "2"}])])
    earlier_sale = records(
        [{"type": "sell", "at": "2025-03-01", "wallet": "w", "asset": "SOL", "qty": "1", "price": "10"}],
        start_seq=5,
    )
    booked = _book(first + earlier_sale)
    assert "lots-unsatisfiable" in _codes(booked)
    # FIFO fallback: the March sale took 1 of a; the June sale takes the other 1 of a and 1 of b
    june = [s for s in booked.slices if s.event_key == "test:s"]
    assert [(s.lot, s.qty) for s in june] == [("test:a", D(1)), ("test:b", D(1))]


def test_late_method_election_warns_but_applies() -> None:
    # R3.6: a LIFO election recorded after the sale, dated before it, changes the sale: applies, warns
    sale = records([*LOTS, _sell("1")])
    late = records([{"type": "method", "method": "LIFO", "from": "2025-01-01"}], start_seq=5)
    booked = _book(sale + late)
    assert [s.lot for s in booked.slices] == ["test:b"]
    assert _codes(booked) == ["late-identification"]
    in_time = records([{"type": "method", "method": "LIFO", "from": "2025-01-01"}, *LOTS, _sell("1")])
    assert _codes(_book(in_time)) == []


def test_late_election_that_changes_nothing_is_quiet() -> None:
    sale = records([*LOTS, _sell("1")])
    late = records([{"type": "method", "method": "FIFO", "from": "2025-01-01"}], start_seq=5)
    assert _codes(_book(sale + late)) == []


def test_missing_basis_slice() -> None:
    # R3.5: selling 5 with 4 in the wallet: the uncovered 1 has basis 0, acquired = sold, short, flagged
    booked = _book(records([*LOTS, _sell("5")]))
    last = booked.slices[-1]
    assert (last.lot, last.qty, last.basis, last.term, last.missing_basis) == ("", D(1), D(0), "short", True)
    assert last.date_acquired == last.date_sold
    assert sum(s.proceeds for s in booked.slices) == D(50)
    assert last.proceeds == D(10)
    assert _codes(booked) == ["missing-basis"]


def test_transfer_of_more_than_held_moves_what_exists() -> None:
    # R3.5: transferring more than a wallet holds moves what exists and warns
    booked = _book(
        records(
            [
                *LOTS,
                {"type": "transfer", "at": "2025-05-01", "from": "v", "to": "w", "asset": "SOL", "qty": "3"},
            ]
        )
    )
    assert "transfer-short" in _codes(booked)
    assert [(o.wallet, o.lot, o.qty) for o in booked.open_lots if o.wallet == "w" and o.transferred] == [
        ("w", "test:c", D(2))
    ]
    assert booked.slices == ()
