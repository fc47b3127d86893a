"""Gifts and donations (projections/rules/gifts.py): the dual basis of a gift received (IRC §1015(a),
§1223(2)), units given or donated without a disposal, and the donation rows `report donations` reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from gainlog.projections.model import Booked
from gainlog.projections.pipeline import project
from helpers import records

UTC = ZoneInfo("UTC")
D = Decimal
GIFT = {"type": "gift_in", "id": "g", "at": "2024-03-01", "wallet": "w", "asset": "XYZ", "qty": "10",
        "donor_basis": "1000", "donor_acquired": "2020-05-01", "fmv": "600", "class": "stock"}


def _sold_for(total: str, *extra: dict[str, Any]) -> Booked:
    sale = {"type": "sell", "at": "2024-06-01", "wallet": "w", "asset": "XYZ", "qty": "10", "total": total}
    return project(records([GIFT, *extra, sale]), tz=UTC)


def _row(booked: Booked) -> tuple[Any, ...]:
    [s] = booked.slices
    return s.proceeds, s.basis, s.gain, s.date_acquired, s.term


def test_gift_sold_at_a_gain_uses_the_donor_basis_and_date() -> None:
    """10 XYZ received 2024-03-01, donor basis 1,000 (bought 2020-05-01), fmv 600; sold 2024-06-01
    for 1,200 -> gain 1,200 - 1,000 = 200, date acquired 2020-05-01 (tacked, §1223(2)), long-term."""
    assert _row(_sold_for("1200")) == (D(1200), D(1000), D(200), date(2020, 5, 1), "long")


def test_gift_sold_at_a_loss_uses_the_fmv_and_the_gift_date() -> None:
    """The same gift sold for 400 -> loss from the fmv basis: 400 - 600 = -200; the holding period
    starts at the gift (2024-03-01), so short-term on 2024-06-01."""
    assert _row(_sold_for("400")) == (D(400), D(600), D(-200), date(2024, 3, 1), "short")


def test_gift_sold_between_the_two_bases_has_no_gain_or_loss() -> None:
    """The same gift sold for 800, between fmv 600 and donor basis 1,000: no gain (800 < 1,000) and
    no loss (800 > 600) -> basis = proceeds = 800, gain 0."""
    assert _row(_sold_for("800")) == (D(800), D(800), D(0), date(2020, 5, 1), "long")


def test_dual_basis_follows_a_partial_sale_and_a_split() -> None:
    """2-for-1 split 2024-04-01 -> 20 units, donor basis 1,000, fmv basis 600; 10 of them sold for 200
    -> loss basis 600 x 500 / 1,000 = 300, loss -100; the other 10 keep donor basis 500."""
    gift = project(records([
        GIFT,
        {"type": "split", "at": "2024-04-01", "asset": "XYZ", "ratio": "2"},
        {"type": "sell", "at": "2024-06-01", "wallet": "w", "asset": "XYZ", "qty": "10", "total": "200"},
    ]), tz=UTC)
    [s] = gift.slices
    assert (s.qty, s.basis, s.gain, s.term) == (D(10), D(300), D(-100), "short")
    assert [(o.qty, o.basis) for o in gift.open_lots] == [(D(10), D(500))]


def test_gift_with_fmv_above_donor_basis_uses_the_donor_basis_for_a_loss_too() -> None:
    """fmv 1,500 >= donor basis 1,000: one basis (1,000), date tacked; sold for 700 -> loss -300, long-term."""
    booked = project(records([
        {**GIFT, "fmv": "1500"},
        {"type": "sell", "at": "2024-06-01", "wallet": "w", "asset": "XYZ", "qty": "10", "total": "700"},
    ]), tz=UTC)
    assert _row(booked) == (D(700), D(1000), D(-300), date(2020, 5, 1), "long")


def test_gift_in_is_not_a_wash_sale_replacement() -> None:
    """R4: 100 XYZ bought 2024-01-10 for 5,000 and sold 2024-05-20 for 4,000 (loss 1,000); 10 XYZ
    received as a gift 2024-06-01 (within 30 days) -> not a purchase: the loss stands, no W."""
    booked = project(records([
        {"type": "buy", "at": "2024-01-10", "wallet": "w", "asset": "XYZ", "qty": "100", "total": "5000",
         "class": "stock"},
        {"type": "sell", "at": "2024-05-20", "wallet": "w", "asset": "XYZ", "qty": "100", "total": "4000"},
        {**GIFT, "at": "2024-06-01"},
    ]), tz=UTC)
    [s] = booked.slices
    assert (s.gain, s.code, s.adjustment) == (D(-1000), "", D(0))


def test_gift_out_and_donate_leave_without_a_disposal() -> None:
    """1 BTC bought 2023-01-05 for 17,000 and 1 BTC 2024-02-01 for 43,000 (FIFO). 0.5 BTC donated
    2024-12-15 (fmv 50,000) -> from the 2023 lot: basis 8,500, acquired 2023-01-05, long-term; then
    1 BTC given away 2024-12-20 -> the other 0.5 of the 2023 lot and 0.5 of the 2024 lot. No 8949
    row; 0.5 BTC left: the 2024 lot's half, basis 21,500. The donation row holds what Form 8283 asks."""
    booked = project(records([
        {"type": "buy", "id": "b23", "at": "2023-01-05", "wallet": "w", "asset": "BTC", "qty": "1", "total": "17000"},
        {"type": "buy", "id": "b24", "at": "2024-02-01", "wallet": "w", "asset": "BTC", "qty": "1", "total": "43000"},
        {"type": "donate", "id": "d", "at": "2024-12-15", "wallet": "w", "asset": "BTC", "qty": "0.5",
         "fmv": "50000"},
        {"type": "gift_out", "at": "2024-12-20", "wallet": "w", "asset": "BTC", "qty": "1", "fmv": "98000"},
    ]), tz=UTC)
    assert booked.slices == ()
    assert [(o.lot, o.qty, o.basis) for o in booked.open_lots] == [("test:b24", D("0.5"), D(21500))]
    [donation] = booked.donations
    assert (donation.key, donation.date, donation.asset, donation.qty, donation.fmv) == (
        "test:d", date(2024, 12, 15), "BTC", D("0.5"), D(50000))
    assert [(x.lot, x.qty, x.basis, x.date_acquired, x.term) for x in donation.lots] == [
        ("test:b23", D("0.5"), D(8500), date(2023, 1, 5), "long"),
    ]


def test_donate_with_lots_names_the_lot() -> None:
    """The same two lots; 0.5 BTC donated naming the 2024 lot -> basis 21,500, short-term on 2024-12-15."""
    booked = project(records([
        {"type": "buy", "id": "b23", "at": "2023-01-05", "wallet": "w", "asset": "BTC", "qty": "1", "total": "17000"},
        {"type": "buy", "id": "b24", "at": "2024-02-01", "wallet": "w", "asset": "BTC", "qty": "1", "total": "43000"},
        {"type": "donate", "at": "2024-12-15", "wallet": "w", "asset": "BTC", "qty": "0.5", "fmv": "50000",
         "lots": [{"lot": "b24", "qty": "0.5"}]},
    ]), tz=UTC)
    [donation] = booked.donations
    assert [(x.lot, x.basis, x.term) for x in donation.lots] == [("test:b24", D(21500), "short")]


def test_a_donation_naming_an_unknown_lot_is_refused_at_import(tmp_path: Any, gainlog: Any) -> None:
    from conftest import write_jsonl

    path = write_jsonl(tmp_path / "e.jsonl", [
        {"type": "buy", "id": "b", "at": "2023-01-05", "wallet": "w", "asset": "BTC", "qty": "1", "total": "17000"},
        {"type": "donate", "id": "d", "at": "2024-12-15", "wallet": "w", "asset": "BTC", "qty": "0.5", "fmv": "50000",
         "lots": [{"lot": "nope", "qty": "0.5"}]},
    ])
    result = gainlog("import", str(path))
    assert result.code == 2
    assert "e.jsonl:2: field 'lots': donate of 0.5 BTC names lot 'nope', which no acquisition before the sale " \
        "defines in source 'e.jsonl'" in result.err
