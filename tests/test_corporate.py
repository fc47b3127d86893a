"""CONTRACT §4 "More events": split, rename, reorg (projections/rules/corporate.py), each with a worked
example computed by hand in its docstring, and the wash-sale relation across a split or rename (R4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from gainlog.ledger.errors import InvalidEvent
from gainlog.projections.exact import total
from gainlog.projections.model import Booked
from gainlog.projections.pipeline import project
from helpers import records
from hypothesis import given, settings
from hypothesis import strategies as st

UTC = ZoneInfo("UTC")
D = Decimal


def _project(lines: list[dict[str, Any]]) -> Booked:
    return project(records(lines), tz=UTC)


def _rows(booked: Booked) -> list[tuple[Any, ...]]:
    return [(s.asset, s.qty, s.proceeds, s.basis, s.gain, s.date_acquired, s.date_sold, s.term, s.code)
            for s in booked.slices]


def _open(booked: Booked) -> list[tuple[Any, ...]]:
    return [(o.asset, o.wallet, o.qty, o.basis, o.date_acquired) for o in booked.open_lots]


def buy(at: str, asset: str, qty: str, total: str, *, id: str, wallet: str = "acct") -> dict[str, Any]:
    return {"type": "buy", "id": id, "at": at, "wallet": wallet, "asset": asset, "qty": qty, "total": total,
            "class": "stock"}


def sell(at: str, asset: str, qty: str, total: str, *, wallet: str = "acct") -> dict[str, Any]:
    return {"type": "sell", "at": at, "wallet": wallet, "asset": asset, "qty": qty, "total": total}


def test_reverse_split_1_for_10_with_cash_in_lieu() -> None:
    """25 XYZ bought 2023-01-10 for 1,000; a 1-for-10 reverse split (ratio 0.1) on 2024-05-01 ->
    2.5 XYZ with basis 1,000 (unit basis 400). Cash in lieu of the 0.5 fraction, 90, is a sale of
    0.5 XYZ: basis 1,000 x 0.5 / 2.5 = 200, gain 90 - 200 = -110, long-term (held since 2023-01-10).
    Left: 2 XYZ, basis 800, acquired 2023-01-10."""
    booked = _project([
        buy("2023-01-10", "XYZ", "25", "1000", id="b"),
        {"type": "split", "at": "2024-05-01T10:00:00Z", "asset": "XYZ", "ratio": "0.1"},
        sell("2024-05-01T16:00:00Z", "XYZ", "0.5", "90"),
    ])
    assert _rows(booked) == [
        ("XYZ", D("0.5"), D(90), D(200), D(-110), date(2023, 1, 10), date(2024, 5, 1), "long", ""),
    ]
    assert _open(booked) == [("XYZ", "acct", D(2), D(800), date(2023, 1, 10))]
    assert booked.problems == ()


def test_forward_split_keeps_basis_and_dates_in_every_wallet() -> None:
    """10 ABC in a (basis 500, 2024-01-02) and 4 ABC in b (basis 400, 2024-02-01); 3-for-1 split on
    2024-06-03 -> 30 ABC basis 500 and 12 ABC basis 400, dates unchanged; selling 15 ABC from a for
    600 -> basis 500 x 15 / 30 = 250, gain 350, short-term."""
    booked = _project([
        buy("2024-01-02", "ABC", "10", "500", id="a1", wallet="a"),
        buy("2024-02-01", "ABC", "4", "400", id="b1", wallet="b"),
        {"type": "split", "at": "2024-06-03", "asset": "ABC", "ratio": "3"},
        sell("2024-07-01", "ABC", "15", "600", wallet="a"),
    ])
    assert _rows(booked) == [
        ("ABC", D(15), D(600), D(250), D(350), date(2024, 1, 2), date(2024, 7, 1), "short", ""),
    ]
    assert _open(booked) == [
        ("ABC", "a", D(15), D(250), date(2024, 1, 2)),
        ("ABC", "b", D(12), D(400), date(2024, 2, 1)),
    ]


def test_rename_continues_the_lots_under_the_new_symbol() -> None:
    """A token migration: 100 MATIC bought 2023-03-01 for 80 (crypto); renamed POL on
    2024-09-04; 100 POL sold 2024-10-01 for 40 -> one row of POL: basis 80, gain -40, long-term,
    acquired 2023-03-01. Nothing is left under MATIC."""
    booked = _project([
        {"type": "buy", "id": "m", "at": "2023-03-01", "wallet": "w", "asset": "MATIC", "qty": "100", "total": "80"},
        {"type": "rename", "at": "2024-09-04", "asset": "MATIC", "to": "POL"},
        {"type": "sell", "at": "2024-10-01", "wallet": "w", "asset": "POL", "qty": "100", "total": "40"},
    ])
    assert _rows(booked) == [
        ("POL", D(100), D(40), D(80), D(-40), date(2023, 3, 1), date(2024, 10, 1), "long", ""),
    ]
    assert booked.slices[0].asset_class == "crypto"
    assert booked.open_lots == ()


def test_rename_keeps_the_stock_class_and_the_wash_sale_relation() -> None:
    """R4 across a rename: 100 FB bought 2022-01-03 for 30,000; renamed META 2022-06-09; 100 META sold
    2022-06-15 for 18,000 (loss 12,000); 100 META bought 2022-06-20 for 17,000 -> the
    loss is washed in full: adjustment 12,000, gain 0; the new lot's basis 29,000 (17,000 + 12,000).
    And the reverse: a loss sale of FB before the rename is washed by META bought after it."""
    booked = _project([
        buy("2022-01-03", "FB", "100", "30000", id="fb"),
        {"type": "rename", "at": "2022-06-09", "asset": "FB", "to": "META"},
        sell("2022-06-15", "META", "100", "18000"),
        buy("2022-06-20", "META", "100", "17000", id="meta"),
    ])
    assert _rows(booked) == [
        ("META", D(100), D(18000), D(30000), D(0), date(2022, 1, 3), date(2022, 6, 15), "short", "W"),
    ]
    assert [(o.asset, o.qty, o.basis, o.wash_adjustment) for o in booked.open_lots] == [
        ("META", D(100), D(29000), D(12000)),
    ]
    before = _project([
        buy("2022-01-03", "FB", "100", "30000", id="fb"),
        sell("2022-06-01", "FB", "100", "18000"),
        {"type": "rename", "at": "2022-06-09", "asset": "FB", "to": "META"},
        buy("2022-06-20", "META", "100", "17000", id="meta"),
    ])
    assert [s.code for s in before.slices] == ["W"]
    assert [(o.asset, o.basis) for o in before.open_lots] == [("META", D(29000))]


def test_split_keeps_the_wash_sale_relation() -> None:
    """R4 across a split: 100 XYZ bought 2025-01-10 for 5,000 (R-E6's loss lot); 60 XYZ bought
    2025-05-20 for 2,700; 2-for-1 split 2025-05-25 -> 200 and 120 XYZ; the 200 (first lot) sold
    2025-06-02 for 4,000: loss 1,000; the replacement holds 120 post-split units (= the 60 bought),
    so 120 of the 200 sold are matched: disallowed 1,000 x 120 / 200 = 600, gain -400; the 120 units
    carry basis 2,700 + 600 = 3,300."""
    booked = _project([
        buy("2025-01-10", "XYZ", "100", "5000", id="l1"),
        buy("2025-05-20", "XYZ", "60", "2700", id="l2"),
        {"type": "split", "at": "2025-05-25", "asset": "XYZ", "ratio": "2"},
        sell("2025-06-02", "XYZ", "200", "4000"),
    ])
    [row] = booked.slices
    assert (row.qty, row.basis, row.adjustment, row.gain, row.code) == (D(200), D(5000), D(600), D(-400), "W")
    assert [(o.qty, o.basis, o.wash_adjustment) for o in booked.open_lots] == [(D(120), D(3300), D(600))]


def test_replacement_bought_after_a_split_that_follows_the_loss() -> None:
    """100 XYZ bought 2025-01-10 for 5,000, sold 2025-06-02 for 4,000 (loss 1,000); 2-for-1 split
    2025-06-10; 200 XYZ bought 2025-06-20 for 4,200 (= 100 pre-split shares) -> the whole loss is
    washed, and all 200 new units carry it: basis 5,200."""
    booked = _project([
        buy("2025-01-10", "XYZ", "100", "5000", id="l1"),
        sell("2025-06-02", "XYZ", "100", "4000"),
        {"type": "split", "at": "2025-06-10", "asset": "XYZ", "ratio": "2"},
        buy("2025-06-20", "XYZ", "200", "4200", id="l2"),
    ])
    [row] = booked.slices
    assert (row.adjustment, row.gain, row.code) == (D(1000), D(0), "W")
    assert [(o.qty, o.basis) for o in booked.open_lots] == [(D(200), D(5200))]


@settings(max_examples=60, deadline=None)
@given(
    lots=st.lists(st.tuples(st.integers(1, 10_000), st.integers(1, 1_000_000)), min_size=1, max_size=6),
    ratio=st.sampled_from(["2", "3", "0.1", "1.5", "0.25", "7", "0.333"]),
)
def test_split_conserves_quantity_times_ratio_and_total_basis(lots: list[tuple[int, int]], ratio: str) -> None:
    """Property: after a split, each wallet's units are exactly units x ratio and the total basis is unchanged."""
    lines: list[dict[str, Any]] = [
        buy(f"2024-01-{i + 1:02d}", "XYZ", str(D(q).scaleb(-2)), str(D(c).scaleb(-2)), id=f"l{i}",
            wallet="ab"[i % 2])
        for i, (q, c) in enumerate(lots)
    ]
    before = _project(lines)
    after = _project([*lines, {"type": "split", "at": "2024-03-01", "asset": "XYZ", "ratio": ratio}])
    for wallet in "ab":
        held = total(o.qty for o in before.open_lots if o.wallet == wallet)
        assert total(o.qty for o in after.open_lots if o.wallet == wallet) == held * D(ratio)
    assert total(o.basis for o in after.open_lots) == total(o.basis for o in before.open_lots)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"type": "split", "at": "2024-01-01", "asset": "X", "ratio": "0"}, "field 'ratio': must be above zero"),
        ({"type": "rename", "at": "2024-01-01", "asset": "X", "to": "X"}, "field 'to': a rename of X to itself"),
        ({"type": "reorg", "at": "2024-01-01", "asset": "X", "into": []}, "field 'into': a reorganization needs"),
    ],
)
def test_invalid_events_name_the_field(line: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidEvent, match=message):
        records([line])


def test_spin_off_then_a_2_for_1_split_of_the_parent_a_year_later() -> None:
    """100 P bought 2022-03-01 for 10,000. 2023-06-01 P spins off S: 1 S per 2 P, 25 % of the basis
    (Form 8937) -> 100 P basis 7,500 and 50 S basis 2,500, both acquired 2022-03-01 (holding period
    carried, §1223(1)). 2024-06-03 P splits 2-for-1 -> 200 P basis 7,500. 2024-07-01: 200 P sold for
    9,000 -> gain 1,500, long-term; 50 S sold for 2,000 -> gain -500, long-term."""
    booked = _project([
        buy("2022-03-01", "P", "100", "10000", id="p"),
        {"type": "reorg", "at": "2023-06-01", "asset": "P",
         "into": [{"asset": "S", "qty_per_unit": "0.5", "basis_share": "0.25"}]},
        {"type": "split", "at": "2024-06-03", "asset": "P", "ratio": "2"},
        sell("2024-07-01", "P", "200", "9000"),
        sell("2024-07-01", "S", "50", "2000"),
    ])
    assert _rows(booked) == [
        ("P", D(200), D(9000), D(7500), D(1500), date(2022, 3, 1), date(2024, 7, 1), "long", ""),
        ("S", D(50), D(2000), D(2500), D(-500), date(2022, 3, 1), date(2024, 7, 1), "long", ""),
    ]
    assert booked.slices[1].asset_class == "stock"  # S takes P's class
    assert booked.open_lots == ()


def test_spin_off_shown_in_open_lots_before_the_split() -> None:
    """The same spin-off, looked at before the split: 100 P basis 7,500 and 50 S basis 2,500."""
    booked = _project([
        buy("2022-03-01", "P", "100", "10000", id="p"),
        {"type": "reorg", "at": "2023-06-01", "asset": "P",
         "into": [{"asset": "S", "qty_per_unit": "0.5", "basis_share": "0.25"}]},
    ])
    assert _open(booked) == [
        ("P", "acct", D(100), D(7500), date(2022, 3, 1)),
        ("S", "acct", D(50), D(2500), date(2022, 3, 1)),
    ]


def test_merger_with_cash_boot_disposes_of_the_unallocated_part() -> None:
    """100 OLD for 6,000 in two lots (60 for 3,000 on 2023-01-03 and 40 for 3,000 on
    2024-01-02). 2024-02-01 merger: 1.2 NEW per OLD with 90 % of the basis, and 150 cash -> NEW: 72
    basis 2,700 (2023-01-03) and 48 basis 2,700 (2024-01-02); the cash is a disposal of 10 % of each
    lot: 6 OLD basis 300 proceeds 90 (60 % of 150 by quantity), gain -210, long-term; 4 OLD basis 300
    proceeds 60, gain -240, short-term. OLD is gone."""
    booked = _project([
        buy("2023-01-03", "OLD", "60", "3000", id="o1"),
        buy("2024-01-02", "OLD", "40", "3000", id="o2"),
        {"type": "reorg", "at": "2024-02-01", "asset": "OLD", "cash": "150",
         "into": [{"asset": "NEW", "qty_per_unit": "1.2", "basis_share": "0.9"}]},
    ])
    assert _rows(booked) == [
        ("OLD", D(6), D(90), D(300), D(-210), date(2023, 1, 3), date(2024, 2, 1), "long", ""),
        ("OLD", D(4), D(60), D(300), D(-240), date(2024, 1, 2), date(2024, 2, 1), "short", ""),
    ]
    assert [s.kind for s in booked.slices] == ["reorg", "reorg"]
    assert _open(booked) == [
        ("NEW", "acct", D(72), D(2700), date(2023, 1, 3)),
        ("NEW", "acct", D(48), D(2700), date(2024, 1, 2)),
    ]


def test_checkpoints_never_serve_a_log_with_these_events() -> None:
    """A state that folded a split is snapshotted with `extended` and never restored (a gift's dual
    basis and the splits the wash-sale pass reads are not in the snapshot); a tail holding one of
    these events never qualifies: the report replays the whole log."""
    from gainlog.projections import checkpoint as cp
    from gainlog.projections.engine import LotBookState, fold, fold_order

    known = records([
        buy("2024-01-02", "XYZ", "10", "100", id="b"),
        {"type": "split", "at": "2024-02-01", "asset": "XYZ", "ratio": "2"},
    ])
    state = fold(LotBookState(known, tz=UTC), fold_order(known))
    assert state.extended and cp.snapshot(state).extended
    assert cp.thaw_engine(cp.freeze_engine(state), tz=UTC) is None
    plain = fold(LotBookState(known[:1], tz=UTC), fold_order(known[:1]))
    assert not plain.extended and cp.thaw_engine(cp.freeze_engine(plain), tz=UTC) is not None
    assert not cp.tail_qualifies(cp.last_trade(known[:1]), known[1:])
    assert cp.tail_qualifies(cp.last_trade(known[:1]), records([sell("2024-03-01", "XYZ", "1", "20")], start_seq=3))


def test_log_shows_a_summary_of_each_new_event(tmp_path: Any, gainlog: Any) -> None:
    from conftest import write_jsonl

    path = write_jsonl(tmp_path / "e.jsonl", [
        buy("2022-03-01", "P", "100", "10000", id="p"),
        {"type": "reorg", "at": "2023-06-01", "asset": "P", "cash": "5",
         "into": [{"asset": "S", "qty_per_unit": "0.5", "basis_share": "0.25"}]},
        {"type": "split", "at": "2024-06-03", "asset": "P", "ratio": "2"},
        {"type": "rename", "at": "2024-07-02", "asset": "S", "to": "S2"},
        {"type": "gift_in", "at": "2024-03-01", "wallet": "acct", "asset": "X", "qty": "10", "donor_basis": "1000",
         "donor_acquired": "2020-05-01", "fmv": "600"},
        {"type": "donate", "at": "2024-09-03", "wallet": "acct", "asset": "X", "qty": "1", "fmv": "80"},
        {"type": "worthless", "at": "2024-08-01", "asset": "S2", "wallet": "acct"},
    ])
    assert gainlog("import", str(path)).code == 0
    out = gainlog("log").out
    for text in ("P -> S cash 5", "P ratio 2", "S -> S2", "10 X donor basis 1000 since 2020-05-01 fmv 600 (acct)",
                 "1 X fmv 80 (acct)", "S2 acct"):
        assert text in out, text


def test_explain_names_the_splits_and_reorganizations_behind_a_row(tmp_path: Any, gainlog: Any) -> None:
    """The spin-off example: row 1 (200 P sold) shows the buy, the reorg and the split behind it."""
    from conftest import write_jsonl

    path = write_jsonl(tmp_path / "e.jsonl", [
        buy("2022-03-01", "P", "100", "10000", id="p"),
        {"type": "reorg", "id": "r", "at": "2023-06-01", "asset": "P",
         "into": [{"asset": "S", "qty_per_unit": "0.5", "basis_share": "0.25"}]},
        {"type": "split", "id": "sp", "at": "2024-06-03", "asset": "P", "ratio": "2"},
        {**sell("2024-07-01", "P", "200", "9000"), "id": "s"},
    ])
    assert gainlog("import", str(path)).code == 0
    [trail] = gainlog("explain", "--year", "2024", "--row", "1", "--json").json()["rows"]
    assert trail["corporate"] == ["e.jsonl:r", "e.jsonl:sp"]
    assert [e["key"] for e in trail["events"]] == ["e.jsonl:s", "e.jsonl:p", "e.jsonl:r", "e.jsonl:sp"]
    text = gainlog("explain", "--year", "2024", "--row", "1").out
    assert "reorg 2023-06-01" in text and "split 2024-06-03" in text


def test_a_spun_off_lot_under_the_parents_key_does_not_disturb_the_wash_sale_pass() -> None:
    """100 P bought 2023-01-03 for 10,000; spin-off 2023-06-01 (1 S per P, 25 % of the basis) -> 100 P
    basis 7,500 and 100 S basis 2,500 under the same lot key. 2024-06-03: 100 P sold for 6,000 (loss
    1,500) and 100 S sold for 2,000 (loss 500); 2024-06-10: 100 P bought for 6,100 -> the P loss is
    washed in full (the new P lot: basis 7,600); the S loss stands (no S was bought)."""
    booked = _project([
        buy("2023-01-03", "P", "100", "10000", id="p"),
        {"type": "reorg", "at": "2023-06-01", "asset": "P",
         "into": [{"asset": "S", "qty_per_unit": "1", "basis_share": "0.25"}]},
        sell("2024-06-03T15:00:00Z", "P", "100", "6000"),
        sell("2024-06-03T16:00:00Z", "S", "100", "2000"),
        buy("2024-06-10", "P", "100", "6100", id="p2"),
    ])
    assert [(s.asset, s.gain, s.code) for s in booked.slices] == [("P", D(0), "W"), ("S", D(-500), "")]
    assert [(o.asset, o.qty, o.basis) for o in booked.open_lots] == [("P", D(100), D(7600))]
