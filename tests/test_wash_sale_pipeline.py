"""R4 wash sales end to end: events -> lot engine -> wash sales -> Form 8949 rows and Schedule D."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from gainlog.projections.engine import book
from gainlog.projections.exact import minus, plus, total
from gainlog.projections.model import Booked, Slice
from gainlog.projections.pipeline import project
from gainlog.projections.rules.wash_sale import WashPass
from gainlog.projections.tax_year import tax_years
from helpers import records
from hypothesis import given, settings
from hypothesis import strategies as st

UTC = ZoneInfo("UTC")
D = Decimal


def _buy(id_: str, at: str, qty: str, total: str, *, wallet: str = "ib", asset: str = "XYZ",
         class_: str = "stock") -> dict[str, Any]:
    return {"type": "buy", "id": id_, "at": at, "wallet": wallet, "asset": asset, "qty": qty, "total": total,
            "class": class_}


def _sell(id_: str, at: str, qty: str, total: str, *, wallet: str = "ib",
          asset: str = "XYZ") -> dict[str, Any]:
    return {"type": "sell", "id": id_, "at": at, "wallet": wallet, "asset": asset, "qty": qty, "total": total}


def r_e6(asset: str, class_: str) -> list[dict[str, Any]]:
    """R-E6, with the replacement bought in another account (R4.1: any wallet of the ledger)."""
    return [
        _buy("b1", "2025-01-10T15:00:00Z", "100", "5000", asset=asset, class_=class_),
        _sell("s1", "2025-06-02T15:00:00Z", "100", "4000", asset=asset),
        _buy("b2", "2025-06-20T15:00:00Z", "60", "2520", wallet="ira", asset=asset, class_=class_),
        _sell("s2", "2026-02-10T15:00:00Z", "60", "2700", wallet="ira", asset=asset),
    ]


def _rows(events: list[dict[str, Any]], tz: str = "UTC") -> list[dict[str, Any]]:
    known = records(events, tz=tz)
    booked = project(known, tz=ZoneInfo(tz))
    return [
        {"lot": r.lot, "acquired": r.date_acquired.isoformat(), "sold": r.date_sold.isoformat(),
         "proceeds": r.proceeds, "basis": r.cost_basis, "code": r.code, "adjustment": r.adjustment,
         "gain": r.gain, "term": r.term}
        for r in tax_years(booked, known, tz=ZoneInfo(tz)).rows
    ]


def test_r_e6_stock_rows_and_schedule_d_totals() -> None:
    # R-E6; R4.4: code W and a positive adjustment; Schedule D totals include it
    known = records(r_e6("XYZ", "stock"))
    years = tax_years(project(known, tz=UTC), known, tz=UTC)
    assert _rows(r_e6("XYZ", "stock")) == [
        {"lot": "test:b1", "acquired": "2025-01-10", "sold": "2025-06-02", "proceeds": D(4000),
         "basis": D(5000), "code": "W", "adjustment": D(600), "gain": D(-400), "term": "short"},
        {"lot": "test:b2", "acquired": "2025-01-28", "sold": "2026-02-10", "proceeds": D(2700),
         "basis": D(3120), "code": "", "adjustment": D(0), "gain": D(-420), "term": "long"},
    ]
    short_2025, long_2026 = years.years[2025].short_term, years.years[2026].long_term
    assert (short_2025.proceeds, short_2025.cost_basis, short_2025.adjustments, short_2025.gain) == (
        D(4000), D(5000), D(600), D(-400)
    )
    assert (long_2026.proceeds, long_2026.cost_basis, long_2026.adjustments, long_2026.gain) == (
        D(2700), D(3120), D(0), D(-420)
    )


def test_r_e6_in_btc_the_whole_loss_is_allowed() -> None:
    # R-E6, R4.5: crypto held as property is exempt
    assert [(r["code"], r["adjustment"], r["gain"], r["term"]) for r in _rows(r_e6("BTC", "crypto"))] == [
        ("", D(0), D(-1000), "short"),
        ("", D(0), D(180), "short"),
    ]


def test_r_e6_replacement_lot_before_it_is_sold() -> None:
    # R-E6, R4.3: `lots` shows adjusted basis, moved-back date and the loss carried
    booked = project(records(r_e6("XYZ", "stock")[:3]), tz=UTC)
    (lot,) = booked.open_lots
    assert (lot.wallet, lot.lot, lot.basis, lot.date_acquired, lot.wash_adjustment) == (
        "ira", "test:b2", D(3120), date(2025, 1, 28), D(600)
    )
    assert [(w.loss_key, w.loss_lot, w.qty, w.days) for w in lot.wash] == [("test:s1", "test:b1", D(60), 143)]


def test_replacement_keeps_its_wash_adjustment_through_a_transfer() -> None:
    # R2.5: a transfer keeps the lot (basis and date travel), so the carried loss travels too
    events = [*r_e6("XYZ", "stock")[:3],
              {"type": "transfer", "at": "2025-07-01T15:00:00Z", "from": "ira", "to": "ib", "asset": "XYZ",
               "qty": "60"}]
    (lot,) = project(records(events), tz=UTC).open_lots
    assert (lot.wallet, lot.basis, lot.date_acquired, lot.wash_adjustment) == (
        "ib", D(3120), date(2025, 1, 28), D(600)
    )


def test_window_uses_ledger_local_dates() -> None:
    # R1.3, R4.1: sold 2025-06-02 10:00 New York, bought 2025-07-02 22:00 New York = 30 days (in UTC,
    # 2025-07-03: 31 days, outside)
    events = [
        _buy("b1", "2025-01-10T15:00:00Z", "10", "1000"),
        _sell("s1", "2025-06-02T14:00:00Z", "10", "800"),
        _buy("b2", "2025-07-03T02:00:00Z", "10", "790"),
    ]
    assert [r["code"] for r in _rows(events, tz="America/New_York")] == ["W"]
    assert [r["code"] for r in _rows(events)] == [""]


def test_crypto_switch_around_its_from_date() -> None:
    # R4.5: policy from 2025-06-01 (00:00 ledger-local); the replacement (05-20) falls before it
    base = [
        {"type": "policy", "from": "2025-06-01", "wash_sale_crypto": True},
        _buy("b1", "2025-01-10T15:00:00Z", "1", "1000", asset="BTC", class_="crypto"),
        _buy("b2", "2025-01-11T15:00:00Z", "1", "1000", asset="BTC", class_="crypto"),
        _buy("b3", "2025-05-20T15:00:00Z", "1", "900", asset="BTC", class_="crypto"),
        _sell("s1", "2025-05-31T23:00:00Z", "1", "800", asset="BTC"),
        _sell("s2", "2025-06-01T00:30:00Z", "1", "800", asset="BTC"),
    ]
    assert [(r["lot"], r["code"], r["adjustment"], r["gain"]) for r in _rows(base)] == [
        ("test:b1", "", D(0), D(-200)),
        ("test:b2", "W", D(200), D(0)),
    ]
    off = [*base, {"type": "policy", "from": "2025-06-01", "wash_sale_crypto": False}]
    assert [r["code"] for r in _rows(off)] == ["", ""]  # same from: the higher seq wins


@st.composite
def stock_ledgers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Random stock trades in two accounts under a random method, every lot sold by the end."""
    method = draw(st.sampled_from(["FIFO", "LIFO", "HIFO", "LOFO"]))
    events: list[dict[str, Any]] = [{"type": "method", "method": method, "from": "2024-01-01"}]
    day = date(2024, 11, 1)
    wallet_to_held = {"ib": 0, "ira": 0}
    for i in range(draw(st.integers(1, 16))):
        day += timedelta(days=draw(st.integers(0, 20)))
        at, wallet = f"{day}T15:{i:02d}:00Z", draw(st.sampled_from(["ib", "ira"]))
        price = draw(st.integers(1, 60))
        held = wallet_to_held[wallet]
        action = draw(st.sampled_from(["buy", "sell", "transfer", "income"]))
        if action == "sell" and held:
            qty = draw(st.integers(1, held))
            events.append(_sell(f"e{i}", at, str(qty), str(qty * price), wallet=wallet))
            wallet_to_held[wallet] -= qty
        elif action == "transfer" and held:
            qty, to = draw(st.integers(1, held)), "ira" if wallet == "ib" else "ib"
            events.append({"type": "transfer", "at": at, "from": wallet, "to": to, "asset": "XYZ",
                           "qty": str(qty)})
            wallet_to_held[wallet] -= qty
            wallet_to_held[to] += qty
        elif action == "income":
            qty = draw(st.integers(1, 5))
            events.append({"type": "income", "id": f"e{i}", "at": at, "wallet": wallet, "asset": "XYZ",
                           "qty": str(qty), "value": str(qty * price), "kind": "other", "class": "stock"})
            wallet_to_held[wallet] += qty
        else:
            qty = draw(st.integers(1, 30))
            cents = draw(st.integers(0, 99))
            events.append(_buy(f"e{i}", at, str(qty), f"{qty * price}.{cents:02d}", wallet=wallet))
            wallet_to_held[wallet] += qty
    day += timedelta(days=draw(st.integers(1, 400)))
    for wallet, held in wallet_to_held.items():
        if held:
            total = str(held * draw(st.integers(1, 60)))
            events.append(_sell(f"end-{wallet}", f"{day}T20:00:00Z", str(held), total, wallet=wallet))
    return events


def _total_gain(slices: tuple[Slice, ...]) -> Decimal:
    """The exact sum of (h) = (d) − (e) + (g)."""
    return total(plus(minus(s.proceeds, s.basis), s.adjustment) for s in slices)


@settings(max_examples=60, deadline=None)
@given(stock_ledgers())
def test_wash_sales_only_move_the_timing_of_gain_through_the_engine(events: list[dict[str, Any]]) -> None:
    # R4.2-R4.3: random stock ledgers fully sold by the end: the unrounded total gain over all years is
    # the same with and without wash sales, exactly
    known = records(events)
    plain: Booked = book(known, tz=UTC)
    washed = project(known, tz=UTC)
    assert plain.open_lots == washed.open_lots == ()
    assert _total_gain(washed.slices) == _total_gain(plain.slices)
    assert all(not s.missing_basis for s in plain.slices)


def test_a_fee_paid_in_crypto_under_the_policy_is_a_loss_sale() -> None:
    # R4.1: every disposal (sale, swap, fee) can be a loss sale; R2.4: a fee is a disposal at `value`;
    # R4.5: crypto under the policy. 0.1 BTC of basis 100 spent as a 40 fee, 1 BTC bought 10 days later:
    # 0.1 of it absorbs the 60 (basis 90 + 60), dated back 28 days
    events = [
        {"type": "policy", "from": "2025-01-01", "wash_sale_crypto": True},
        _buy("b1", "2025-02-01T15:00:00Z", "1", "1000", asset="BTC", class_="crypto"),
        {"type": "fee", "id": "f1", "at": "2025-03-01T15:00:00Z", "wallet": "ib", "asset": "BTC",
         "qty": "0.1", "value": "40"},
        _buy("b2", "2025-03-11T15:00:00Z", "1", "900", asset="BTC", class_="crypto"),
    ]
    booked = project(records(events), tz=UTC)
    assert [(s.kind, s.proceeds, s.basis, s.code, s.adjustment, s.gain) for s in booked.slices] == [
        ("fee", D(40), D(100), "W", D(60), D(0)),
    ]
    assert [(o.lot, o.qty, o.basis, o.date_acquired) for o in booked.open_lots if o.lot == "test:b2"] == [
        ("test:b2", D("0.1"), D(150), date(2025, 2, 11)),
        ("test:b2", D("0.9"), D(810), date(2025, 3, 11)),
    ]


def test_disposals_the_pass_cannot_change_skip_its_bookkeeping(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue #19: crypto without the policy can neither wash nor replace (R4.5), so its disposals never
    # reach the per-disposal bookkeeping (only those with a tracked lot or a coverable loss do) and
    # come back exactly as the lot engine made them
    events = [
        _buy("c1", "2025-01-10T15:00:00Z", "2", "2000", asset="BTC", class_="crypto"),
        _sell("c2", "2025-02-01T15:00:00Z", "1", "500", asset="BTC"),  # a crypto loss
        *r_e6("XYZ", "stock"),
        _sell("c3", "2025-06-21T15:00:00Z", "1", "1500", asset="BTC"),  # a crypto gain
    ]
    known = records(events)
    seen: list[str] = []
    original = WashPass._disposal

    def spy(self: WashPass, disposal: list[Slice]) -> list[Slice]:
        seen.extend(s.event_key for s in disposal)
        return original(self, disposal)

    plain = book(known, tz=UTC)
    monkeypatch.setattr(WashPass, "_disposal", spy)
    washed = project(known, tz=UTC)
    assert seen == ["test:s1", "test:s2"]
    assert [(s.event_key, s.code, s.adjustment) for s in washed.slices] == [
        ("test:c2", "", D(0)), ("test:s1", "W", D(600)), ("test:c3", "", D(0)), ("test:s2", "", D(0)),
    ]
    plain_by_key = {s.event_key: s for s in plain.slices}
    assert all(s == plain_by_key[s.event_key] for s in washed.slices if s.asset == "BTC")


def _deposit(id_: str, at: str, qty: str, *, wallet: str = "ira", asset: str = "XYZ") -> dict[str, Any]:
    return {"type": "deposit", "id": id_, "at": at, "wallet": wallet, "asset": asset, "qty": qty}


def test_an_unpaired_deposit_is_not_a_replacement() -> None:
    # R4.1 (IRC §1091(a): acquired "by purchase or by an exchange"), R2.8: an unpaired deposit is one's
    # own units arriving from a wallet the ledger does not name, booked at zero basis only for want of
    # the other leg: no purchase, so it never washes a loss. R-E6 with the 60 shares deposited.
    events = [*r_e6("XYZ", "stock")[:2], _deposit("d1", "2025-06-20T15:00:00Z", "60")]
    assert [(r["lot"], r["code"], r["adjustment"], r["gain"]) for r in _rows(events)] == [
        ("test:b1", "", D(0), D(-1000)),
    ]
    (lot,) = project(records(events), tz=UTC).open_lots
    assert (lot.lot, lot.basis, lot.date_acquired, lot.wash_adjustment, lot.wash) == (
        "test:d1", D(0), date(2025, 6, 20), D(0), ()
    )


def test_a_purchase_after_an_unpaired_deposit_is_still_a_replacement() -> None:
    # R4.1, R4.2: the deposit is skipped, the next purchase in the window absorbs the loss
    events = [*r_e6("XYZ", "stock")[:2], _deposit("d1", "2025-06-10T15:00:00Z", "60"),
              _buy("b3", "2025-06-25T15:00:00Z", "40", "1600", wallet="ira")]
    assert [(r["lot"], r["code"], r["adjustment"], r["gain"]) for r in _rows(events)] == [
        ("test:b1", "W", D(400), D(-600)),
    ]
