"""R4 wash sales (projections/rules/wash_sale.py) over hand-built lot-engine results.

Each scenario is a few trades in a one-line text form, booked FIFO by `book_fifo` below (a minimal
stand-in for the lot engine: one wallet, whole-ledger FIFO per asset), then passed through
`apply_wash_sales`. End-to-end tests through the real pipeline are in test_wash_sale_pipeline.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC as UTC_TZ
from datetime import date, datetime, time, timedelta
from decimal import Decimal, localcontext
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from gainlog.ledger.events import AssetClass, Recorded
from gainlog.projections.exact import minus, plus, total
from gainlog.projections.model import Acquisition, AcquisitionKind, Booked, OpenLot, Slice
from gainlog.projections.rules.holding_period import term
from gainlog.projections.rules.wash_sale import _LotUnits, apply_wash_sales, wash_sale_crypto_on
from helpers import records
from hypothesis import given, settings
from hypothesis import strategies as st

UTC = ZoneInfo("UTC")
D = Decimal


def _at(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC_TZ)


def book_fifo(trades: str, *, asset_class: AssetClass = "stock") -> Booked:
    """Book `DATE buy|sell|income QTY ASSET USD` lines FIFO per asset; seq = line number, lot `t:SEQ`."""
    with localcontext() as ctx:
        ctx.prec = 34  # CONTRACT §3, as the lot engine computes
        return _book_fifo(trades, asset_class=asset_class)


def _book_fifo(trades: str, *, asset_class: AssetClass) -> Booked:
    slices: list[Slice] = []
    acquisitions: list[Acquisition] = []
    asset_to_queue: dict[str, list[list[Any]]] = {}  # [lot, qty, basis, acquired_at] still held
    for seq, line in enumerate((ln.split() for ln in trades.strip().splitlines()), start=1):
        day, op, qty, asset, usd = date.fromisoformat(line[0]), line[1], D(line[2]), line[3], D(line[4])
        at, key = _at(day), f"t:{seq}"
        queue = asset_to_queue.setdefault(asset, [])
        if op in ("buy", "income"):
            kind: AcquisitionKind = "buy" if op == "buy" else "income"
            acquisitions.append(Acquisition(
                lot=key, seq=seq, kind=kind, asset=asset, asset_class=asset_class, wallet="w",
                acquired_at=at, date_acquired=day, qty=qty, basis=usd,
            ))
            queue.append([key, qty, usd, at])
            continue
        left, proceeds_left, order = qty, usd, 0
        while left > 0:
            if queue:
                lot, held, basis, acquired_at = queue[0]
                take = min(left, held)
                taken = basis if take == held else basis * take / held
                if take == held:
                    queue.pop(0)
                else:
                    queue[0][1:3] = [held - take, basis - taken]
                missing = False
            else:
                lot, take, taken, acquired_at, missing = "", left, D(0), at, True
            left -= take
            proceeds = proceeds_left if left == 0 else usd * take / qty
            proceeds_left -= proceeds
            acquired = acquired_at.date()
            slices.append(Slice(
                seq=seq, event_key=key, kind="sell", order=order, asset=asset, asset_class=asset_class,
                wallet="w", lot=lot, qty=take, acquired_at=acquired_at, date_acquired=acquired, sold_at=at,
                date_sold=day, proceeds=proceeds, basis=taken, term=term(acquired, day), covered=True,
                missing_basis=missing,
            ))
            order += 1
    open_lots = tuple(
        OpenLot(lot=lot, asset=asset, asset_class=asset_class, wallet="w", qty=held, basis=basis,
                acquired_at=acquired_at, date_acquired=acquired_at.date(), covered=True)
        for asset, queue in sorted(asset_to_queue.items()) for lot, held, basis, acquired_at in queue
    )
    return Booked(slices=tuple(slices), acquisitions=tuple(acquisitions), open_lots=open_lots, income=(),
                  problems=())


def washed(trades: str, *, asset_class: AssetClass = "stock", policies: Sequence[Recorded] = ()) -> Booked:
    return apply_wash_sales(book_fifo(trades, asset_class=asset_class), policies, tz=UTC)


def row(s: Slice) -> tuple[Any, ...]:
    """The 8949 columns that matter here: qty, (b), (c), (d), (e), (f), (g), (h), term."""
    return (s.qty, s.date_acquired.isoformat(), s.date_sold.isoformat(), s.proceeds, s.basis, s.code,
            s.adjustment, s.gain, s.term)


R_E6 = """
2025-01-10 buy 100 XYZ 5000
2025-06-02 sell 100 XYZ 4000
2025-06-20 buy 60 XYZ 2520
"""


def test_r_e6_stock_loss_is_partly_disallowed_and_tacks_onto_the_replacement() -> None:
    # R-E6, R4.2 (600 = 1,000 × 60 ÷ 100), R4.3 (143 days tacked), R4.4
    booked = washed(R_E6 + "2026-02-10 sell 60 XYZ 2700")
    assert [row(s) for s in booked.slices] == [
        (D(100), "2025-01-10", "2025-06-02", D(4000), D(5000), "W", D(600), D(-400), "short"),
        (D(60), "2025-01-28", "2026-02-10", D(2700), D(3120), "", D(0), D(-420), "long"),
    ]
    loss, replacement = booked.slices
    assert [(w.loss_key, w.replacement_lot, w.qty, w.amount, w.days) for w in loss.wash] == [
        ("t:2", "t:3", D(60), D(600), 143)
    ]
    assert replacement.wash == loss.wash  # the same loss, carried in
    assert booked.open_lots == ()


def test_r_e6_replacement_open_lot_shows_adjusted_basis_date_and_the_loss_it_carries() -> None:
    # R-E6, R4.3: before the replacement is sold
    (lot,) = washed(R_E6).open_lots
    assert (lot.lot, lot.qty, lot.basis, lot.date_acquired, lot.wash_adjustment) == (
        "t:3", D(60), D(3120), date(2025, 1, 28), D(600)
    )
    assert lot.acquired_at == _at(date(2025, 6, 20))  # actual time kept for lot selection
    assert [(w.loss_key, w.loss_lot, w.amount) for w in lot.wash] == [("t:2", "t:1", D(600))]


def test_r_e6_in_btc_the_whole_loss_is_allowed() -> None:
    # R-E6, R4.5: crypto is exempt without the policy
    booked = washed(R_E6.replace("XYZ", "BTC") + "2026-02-10 sell 60 BTC 2700", asset_class="crypto")
    assert [row(s) for s in booked.slices] == [
        (D(100), "2025-01-10", "2025-06-02", D(4000), D(5000), "", D(0), D(-1000), "short"),
        (D(60), "2025-06-20", "2026-02-10", D(2700), D(2520), "", D(0), D(180), "short"),
    ]


def test_replacement_bought_before_the_sale_and_still_held() -> None:
    # R4.1: bought 13 days before the sale, not sold by then; 500 = 1,000 × 50 ÷ 100 (R4.2);
    # 93 days held (2025-03-01 -> 2025-06-02) moves 2025-05-20 back to 2025-02-16 (R4.3)
    booked = washed("""
        2025-03-01 buy 100 XYZ 5000
        2025-05-20 buy 50 XYZ 2250
        2025-06-02 sell 100 XYZ 4000
    """)
    assert [row(s) for s in booked.slices] == [
        (D(100), "2025-03-01", "2025-06-02", D(4000), D(5000), "W", D(500), D(-500), "short"),
    ]
    (lot,) = booked.open_lots
    assert (lot.lot, lot.basis, lot.date_acquired, lot.wash_adjustment) == (
        "t:2", D(2750), date(2025, 2, 16), D(500)
    )


def test_replacement_bought_before_but_sold_before_the_loss_does_not_count() -> None:
    # R4.1: a replacement unit must still be held when it is matched; the 05-10 lot is in the
    # window but was sold on 05-12, and the sold lot is not its own replacement (R4.2)
    booked = washed("""
        2025-05-10 buy 10 XYZ 1000
        2025-05-12 sell 10 XYZ 1000
        2025-05-15 buy 10 XYZ 1000
        2025-06-02 sell 10 XYZ 800
    """)
    assert [(s.lot, s.code, s.gain) for s in booked.slices] == [("t:1", "", D(0)), ("t:3", "", D(-200))]


def test_units_of_the_loss_sale_itself_are_not_replacements() -> None:
    # R4.1: the 05-20 lot is in the window but leaves in the same sale
    booked = washed("""
        2025-01-10 buy 10 XYZ 1000
        2025-05-20 buy 10 XYZ 900
        2025-06-02 sell 20 XYZ 1600
    """)
    assert [(s.lot, s.code, s.gain) for s in booked.slices] == [("t:1", "", D(-200)), ("t:2", "", D(-100))]


def test_partial_replacement_larger_than_the_sale_splits_the_lot_into_washed_and_plain_units() -> None:
    # R4.2: only min(150, 100) units absorb the loss; R4.3: washed part first, own date and basis
    booked = washed("""
        2025-01-10 buy 100 XYZ 5000
        2025-06-02 sell 100 XYZ 4000
        2025-06-20 buy 150 XYZ 6000
        2025-08-01 sell 120 XYZ 6000
    """)
    assert [row(s) for s in booked.slices] == [
        (D(100), "2025-01-10", "2025-06-02", D(4000), D(5000), "W", D(1000), D(0), "short"),
        (D(100), "2025-01-28", "2025-08-01", D(5000), D(5000), "", D(0), D(0), "short"),
        (D(20), "2025-06-20", "2025-08-01", D(1000), D(800), "", D(0), D(200), "short"),
    ]
    assert [s.order for s in booked.slices] == [0, 0, 1]
    (lot,) = booked.open_lots
    assert (lot.qty, lot.basis, lot.date_acquired, lot.wash_adjustment) == (
        D(30), D(1200), date(2025, 6, 20), D(0)
    )


def test_replacement_units_matched_earliest_acquired_first_and_pieces_add_up() -> None:
    # R4.2: 30 held units bought before the sale come first, then 70 of the later buy; 1,000 splits 300/700
    booked = washed("""
        2025-01-10 buy 100 XYZ 5000
        2025-05-25 buy 30 XYZ 1200
        2025-06-02 sell 100 XYZ 4000
        2025-06-10 buy 100 XYZ 4100
    """)
    (loss,) = booked.slices
    assert (loss.adjustment, loss.gain) == (D(1000), D(0))
    assert [(w.replacement_lot, w.qty, w.amount) for w in loss.wash] == [
        ("t:2", D(30), D(300)), ("t:4", D(70), D(700))
    ]
    assert [(o.lot, o.qty, o.basis, o.date_acquired.isoformat()) for o in booked.open_lots] == [
        ("t:2", D(30), D(1500), "2025-01-02"),
        ("t:4", D(70), D(2870 + 700), "2025-01-18"),
        ("t:4", D(30), D(1230), "2025-06-10"),
    ]


def test_thirds_of_a_loss_add_up_exactly() -> None:
    # R2.7, R4.2: 100 × 1 ÷ 3 per replacement piece; the last piece takes the remainder
    booked = washed("""
        2025-01-10 buy 3 XYZ 400
        2025-02-01 sell 3 XYZ 300
        2025-02-02 buy 1 XYZ 90
        2025-02-03 buy 1 XYZ 90
        2025-02-04 buy 1 XYZ 90
    """)
    (loss,) = booked.slices
    assert loss.adjustment == D(100) and loss.gain == 0
    # cumulative shares 1/3, 2/3, 3/3 of the loss to 34 digits; each piece is the difference
    assert [w.amount for w in loss.wash] == [
        D("33.3333333333333333333333333333333"), D("33.3333333333333333333333333333334"),
        D("33.3333333333333333333333333333333"),
    ]
    assert total(w.amount for w in loss.wash) == D(100)
    assert total(o.basis for o in booked.open_lots) == D(370)


def test_chain_across_a_year_end_without_a_further_replacement() -> None:
    # R4.3 chains: December loss 200 moves onto the January buy (44 days -> 2025-11-22);
    # its February sale loses 400 = the real loss of both trades, allowed (no replacement)
    booked = washed("""
        2025-11-01 buy 10 XYZ 1000
        2025-12-15 sell 10 XYZ 800
        2026-01-05 buy 10 XYZ 900
        2026-02-01 sell 10 XYZ 700
    """)
    assert [row(s) for s in booked.slices] == [
        (D(10), "2025-11-01", "2025-12-15", D(800), D(1000), "W", D(200), D(0), "short"),
        (D(10), "2025-11-22", "2026-02-01", D(700), D(1100), "", D(0), D(-400), "short"),
    ]


def test_chain_across_a_year_end_washes_again() -> None:
    # R4.3 chains roll forward: the February loss (400, after the carried 200) washes into the
    # 2026-02-20 buy; 71 days held since 2025-11-22 -> 2025-12-11
    booked = washed("""
        2025-11-01 buy 10 XYZ 1000
        2025-12-15 sell 10 XYZ 800
        2026-01-05 buy 10 XYZ 900
        2026-02-01 sell 10 XYZ 700
        2026-02-20 buy 10 XYZ 720
    """)
    assert [row(s) for s in booked.slices] == [
        (D(10), "2025-11-01", "2025-12-15", D(800), D(1000), "W", D(200), D(0), "short"),
        (D(10), "2025-11-22", "2026-02-01", D(700), D(1100), "W", D(400), D(0), "short"),
    ]
    (lot,) = booked.open_lots
    assert (lot.lot, lot.basis, lot.date_acquired, lot.wash_adjustment) == (
        "t:5", D(1120), date(2025, 12, 11), D(400)
    )
    assert [(w.loss_key, w.days) for w in lot.wash] == [("t:4", 71)]


def test_two_loss_sales_competing_for_one_replacement_the_earlier_sale_gets_it() -> None:
    # R4.2: loss sales in time order; each replacement unit absorbs one loss
    booked = washed("""
        2025-01-02 buy 10 XYZ 1000
        2025-01-03 buy 10 XYZ 1000
        2025-03-01 sell 10 XYZ 800
        2025-03-05 sell 10 XYZ 700
        2025-03-10 buy 10 XYZ 750
    """)
    assert [(s.date_sold.isoformat(), s.code, s.adjustment, s.gain) for s in booked.slices] == [
        ("2025-03-01", "W", D(200), D(0)),
        ("2025-03-05", "", D(0), D(-300)),
    ]
    (lot,) = booked.open_lots
    # 58 days held (2025-01-02 -> 2025-03-01) move 2025-03-10 back to 2025-01-11
    assert (lot.basis, lot.wash_adjustment, lot.date_acquired) == (D(950), D(200), date(2025, 1, 11))


def test_sale_at_a_gain_with_a_purchase_nearby_is_not_a_wash() -> None:
    # R4.1: only losses are disallowed
    booked = washed("""
        2025-01-10 buy 100 XYZ 4000
        2025-06-02 sell 100 XYZ 5000
        2025-06-10 buy 100 XYZ 4900
    """)
    assert [row(s) for s in booked.slices] == [
        (D(100), "2025-01-10", "2025-06-02", D(5000), D(4000), "", D(0), D(1000), "short"),
    ]
    (lot,) = booked.open_lots
    assert (lot.basis, lot.date_acquired, lot.wash_adjustment, lot.wash) == (
        D(4900), date(2025, 6, 10), D(0), ()
    )


def test_gain_slices_of_the_same_sale_are_never_washed() -> None:
    # R4.1 (Treas. Reg. §1.1091-1(c)-(d)): each lot's slice on its own
    booked = washed("""
        2024-01-10 buy 10 XYZ 100
        2025-05-20 buy 10 XYZ 600
        2025-06-02 sell 20 XYZ 1000
        2025-06-10 buy 10 XYZ 490
    """)
    assert [(s.lot, s.code, s.adjustment, s.gain, s.term) for s in booked.slices] == [
        ("t:1", "", D(0), D(400), "long"),
        ("t:2", "W", D(100), D(0), "short"),
    ]


def test_loss_outside_the_61_day_window_is_allowed() -> None:
    # R4.1: 31 days after the sale is outside; 30 days before is inside
    booked = washed("""
        2025-01-10 buy 10 XYZ 1000
        2025-06-02 sell 10 XYZ 800
        2025-07-03 buy 10 XYZ 790
    """)
    assert booked.slices[0].code == "" and booked.slices[0].gain == D(-200)
    booked = washed("""
        2025-01-10 buy 10 XYZ 1000
        2025-05-03 buy 1 XYZ 79
        2025-06-02 sell 10 XYZ 800
    """)
    assert booked.slices[0].adjustment == D(20)


def test_the_sold_lot_is_never_its_own_replacement() -> None:
    # R4.2: the 50 units of the same lot still held are not a replacement
    booked = washed("""
        2025-05-20 buy 100 XYZ 5000
        2025-06-02 sell 50 XYZ 2000
    """)
    assert booked.slices[0].code == "" and booked.slices[0].gain == D(-500)


def test_missing_basis_slices_are_never_washed_nor_replacements() -> None:
    # R3.5: units sold beyond what the pool held have no lot
    booked = washed("""
        2025-06-02 sell 10 XYZ 0.01
        2025-06-03 buy 10 XYZ 1000
    """)
    assert booked.slices[0].missing_basis and booked.slices[0].code == ""


def test_income_lot_is_a_replacement() -> None:
    # R4.1: a reinvested dividend is a purchase
    booked = washed("""
        2025-01-10 buy 100 XYZ 5000
        2025-06-02 sell 100 XYZ 4000
        2025-06-15 income 2 XYZ 82
    """)
    assert booked.slices[0].adjustment == D(20)
    assert booked.open_lots[0].basis == D(102)


POLICY_ON = {"type": "policy", "from": "2025-06-01", "wash_sale_crypto": True}
POLICY_OFF = {"type": "policy", "from": "2025-09-01", "wash_sale_crypto": False}


def crypto_loss_on(day: str, policies: Sequence[Recorded]) -> Slice:
    """A BTC loss of 200 on `day` with a replacement bought 2025-05-20 (before the policy's from)."""
    trades = f"""
        2025-01-10 buy 1 BTC 1000
        2025-05-20 buy 1 BTC 900
        {day} sell 1 BTC 800
    """
    return washed(trades, asset_class="crypto", policies=policies).slices[0]


def test_crypto_switch_on_from_its_date_only() -> None:
    # R4.5: applies to crypto loss sales on or after `from` (00:00 ledger-local); replacements before it count
    on = records([POLICY_ON])
    assert (crypto_loss_on("2025-05-31", on).code, crypto_loss_on("2025-05-31", on).gain) == ("", D(-200))
    assert (crypto_loss_on("2025-06-01", on).code, crypto_loss_on("2025-06-01", on).gain) == ("W", D(0))


def test_crypto_switch_off_again_and_fields_left_out_inherit() -> None:
    # R4.5; CONTRACT §2 Time: latest `from` wins, then highest seq; left-out fields inherit
    both = records([POLICY_ON, POLICY_OFF])
    assert crypto_loss_on("2025-06-15", both).code == "W"
    # the 2025-05-20 buy is outside the window for a September sale: give it one inside
    trades = """
        2025-01-10 buy 1 BTC 1000
        2025-08-25 buy 1 BTC 900
        2025-08-31 sell 1 BTC 800
        2025-09-01 sell 1 BTC 700
    """
    sales = washed(trades, asset_class="crypto", policies=both).slices
    assert [(s.date_sold.isoformat(), s.code) for s in sales] == [("2025-08-31", "W"), ("2025-09-01", "")]
    inherit = records([POLICY_ON, {"type": "policy", "from": "2025-07-01", "transfer_fee": "carry"}])
    assert wash_sale_crypto_on(inherit, date(2025, 7, 2)) is True
    same_day = records([POLICY_ON, {**POLICY_ON, "wash_sale_crypto": False}])
    assert wash_sale_crypto_on(same_day, date(2025, 6, 1)) is False  # same `from`: the higher seq wins


def test_stock_ignores_the_crypto_switch() -> None:
    # R4.1 applies to stock always; the policy only concerns crypto (R4.5)
    booked = washed(R_E6, policies=records([{**POLICY_ON, "wash_sale_crypto": False}]))
    assert booked.slices[0].adjustment == D(600)


def test_inputs_are_not_mutated_and_the_result_is_deterministic() -> None:
    # STYLE.md 8: a pure function
    booked = book_fifo(R_E6 + "2026-02-10 sell 60 XYZ 2700")
    before = booked.slices
    first = apply_wash_sales(booked, (), tz=UTC)
    assert booked.slices == before
    assert apply_wash_sales(booked, (), tz=UTC) == first


@st.composite
def stock_ledgers(draw: st.DrawFn) -> str:
    """A random one-stock ledger (whole units, whole-dollar prices) whose lots are all sold at the end."""
    day, held, lines = date(2024, 11, 1), 0, []
    for _ in range(draw(st.integers(1, 14))):
        day += timedelta(days=draw(st.integers(0, 25)))
        price = draw(st.integers(1, 60))
        if held and draw(st.booleans()):
            qty = draw(st.integers(1, held))
            held -= qty
            lines.append(f"{day} sell {qty} XYZ {qty * price + draw(st.sampled_from([D(0), D('0.37')]))}")
        else:
            qty = draw(st.integers(1, 30))
            held += qty
            lines.append(f"{day} {draw(st.sampled_from(['buy', 'buy', 'income']))} {qty} XYZ {qty * price}")
    if held:
        day += timedelta(days=draw(st.integers(0, 400)))
        lines.append(f"{day} sell {held} XYZ {held * draw(st.integers(1, 60))}")
    return "\n".join(lines)


def total_gain(slices: Sequence[Slice]) -> Decimal:
    """The exact sum of (h) = (d) − (e) + (g) (projections.exact: parts add back to the digit)."""
    return total(plus(minus(s.proceeds, s.basis), s.adjustment) for s in slices)


@settings(max_examples=80, deadline=None)
@given(stock_ledgers())
def test_wash_sales_only_move_the_timing_of_gain(trades: str) -> None:
    # R4.2-R4.3: a disallowed loss is added to the replacement's basis, so once every lot is sold the
    # total unrounded gain over all years is exactly unchanged
    plain = book_fifo(trades)
    booked = apply_wash_sales(plain, (), tz=UTC)
    assert booked.open_lots == ()
    assert total_gain(booked.slices) == total_gain(plain.slices)
    # rows split by date keep every unit and all proceeds
    assert total(s.qty for s in booked.slices) == total(s.qty for s in plain.slices)
    assert total(s.proceeds for s in booked.slices) == total(s.proceeds for s in plain.slices)
    for s in booked.slices:
        assert (s.code == "W") == (s.adjustment > 0)
        assert s.code != "W" or s.proceeds < s.basis and s.adjustment <= minus(s.basis, s.proceeds)  # R4.2
    lot_to_matched: dict[str, Decimal] = {}
    for s in booked.slices:
        for link in s.wash:
            if link.loss_seq == s.seq and link.loss_lot == s.lot:
                lot = link.replacement_lot
                lot_to_matched[lot] = lot_to_matched.get(lot, D(0)) + link.qty
    lot_to_qty = {a.lot: a.qty for a in plain.acquisitions}
    assert all(qty <= lot_to_qty[lot] for lot, qty in lot_to_matched.items())  # each unit absorbs one loss


def _looked_at(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The lots the window scan looks at, in order (each look computes a lot's units still available,
    `_LotUnits.room`)."""
    looked: list[str] = []
    room = _LotUnits.room

    def spy(self: _LotUnits) -> Decimal:
        looked.append(self.acquisition.lot)
        return room(self)

    monkeypatch.setattr(_LotUnits, "room", spy)
    return looked


def test_the_window_scan_stops_once_the_sold_units_are_matched(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue #19: a loss fully matched by the first replacement never looks at the others in the window
    # (each look computes a lot's units still available, `_LotUnits.room`)
    looked = _looked_at(monkeypatch)
    booked = washed("""
        2025-01-10 buy 10 XYZ 500
        2025-06-02 sell 10 XYZ 400
        2025-06-03 buy 10 XYZ 410
        2025-06-04 buy 10 XYZ 420
        2025-06-05 buy 10 XYZ 430
    """)
    assert looked == ["t:3"]  # the first replacement in the window, and no other
    (loss,) = booked.slices
    assert [(w.replacement_lot, w.qty, w.amount) for w in loss.wash] == [("t:3", D(10), D(100))]


def test_a_dense_window_is_scanned_in_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue #19 (the wash-sale pass grows with the log): 100 lots bought on one day, then each sold
    # at a loss the next day, one sale per lot. Every loss washes into the next lot, which its own
    # sale then carries on: a chain through one 30-day window. Each sale's scan steps over the lots
    # earlier sales exhausted once, not once per sale: 100 sales look at 199 lots (the lot sold
    # last has no replacement left), where looking again would be 5,149
    looked = _looked_at(monkeypatch)
    n = 100
    booked = washed("\n".join(["2025-03-03 buy 1 XYZ 100"] * n + ["2025-03-04 sell 1 XYZ 50"] * n))
    assert len(looked) == 2 * n - 1
    assert [s.code for s in booked.slices] == ["W"] * (n - 1) + [""]
    assert [w.replacement_lot for s in booked.slices for w in s.wash if w.loss_seq == s.seq] == [
        f"t:{lot}" for lot in range(2, n + 1)
    ]


def test_replacement_units_sold_as_matched_carry_the_very_link_of_their_loss() -> None:
    # issue #19: units sold exactly as they absorbed a loss bring that loss's own link into their row
    # (one object, not a copy per row: a long chain makes one row per link); a part of them gets a
    # link of its own, for the units and the share of the loss it carries
    booked = washed(R_E6 + "2026-02-10 sell 60 XYZ 2700")
    loss, sold = booked.slices
    assert sold.wash[0] is loss.wash[0]
    partly = washed(R_E6 + "2026-02-10 sell 20 XYZ 900")
    loss, sold = partly.slices
    assert [(w.replacement_lot, w.qty, w.amount) for w in sold.wash] == [("t:3", D(20), D(200))]
    assert loss.wash[0].qty == D(60)
