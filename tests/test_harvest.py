"""`gainlog harvest` (CONTRACT §4 "Harvest"): candidates, wash-sale blocks, the plan and its R8 savings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, write_jsonl

Run = Callable[..., Result]


def _trade(kind: str, at: str, asset: str, price: str, *, wallet: str = "broker", qty: str = "1",
           cls: str = "stock", **extra: Any) -> dict[str, Any]:
    line = {"type": kind, "at": at, "wallet": wallet, "asset": asset, "qty": qty, "price": price, **extra}
    if kind == "buy":
        line["class"] = cls
    return line


def _import(run: Run, tmp_path: Path, lines: list[dict[str, Any]], name: str = "events.jsonl") -> None:
    result = run("import", str(write_jsonl(tmp_path / name, lines)))
    assert result.code == 0, result.err


R_E12_REALIZED = [
    {"type": "profile", "year": 2025, "filing_status": "single", "other_income": "115000"},
    _trade("buy", "2025-01-10", "ST", "10000"), _trade("sell", "2025-06-10", "ST", "25000"),
    _trade("buy", "2023-01-10", "LT", "10000"), _trade("sell", "2025-06-10", "LT", "30000"),
]


@pytest.mark.parametrize(("bought", "term", "after"), [("2025-03-03", "short", "23447.00"),
                                                       ("2023-03-03", "long", "24797.00")])
def test_r_e12_through_harvest_json(gainlog: Run, tmp_path: Path, bought: str, term: str, after: str) -> None:
    """R8.3: a 15,000 loss harvested on 2025-12-05 from R-E12's year saves 3,600.00 (short-term) or 2,250.00."""
    _import(gainlog, tmp_path, [
        *R_E12_REALIZED,
        _trade("buy", bought, "DOWN", "20000", id="down"),
        {"type": "price", "at": "2025-12-01", "asset": "DOWN", "usd": "5000"},
    ])
    result = gainlog("harvest", "--on", "2025-12-05", "--json")
    assert result.code == 0, result.err
    value = result.json()
    assert (value["on"], value["year"], value["unpriced"]) == ("2025-12-05", 2025, [])
    assert value["lots"] == [{
        "asset": "DOWN", "wallet": "broker", "lot": "events.jsonl:down", "qty": "1", "cost_basis": "20000.00",
        "price": "5000", "value": "5000.00", "unrealized": "-15000.00", "term": term,
        "long_term_on": "2026-03-04" if term == "short" else "2024-03-04", "class": "stock",
        "date_acquired": bought,
    }]
    assert [c["lot"] for c in value["candidates"]] == ["events.jsonl:down"]
    assert value["candidates"][0]["wash_sale"] is None
    assert value["plan"]["sell"] == [{
        "lot": "events.jsonl:down", "qty": "1", "proceeds": "5000.00", "gain": "-15000.00", "term": term,
        "asset": "DOWN", "wallet": "broker", "rebuy_after": "2026-01-05",
    }]
    saved = {"short": "3600.00", "long": "2250.00"}[term]
    assert value["tax"] == {"before": "27047.00", "after": after, "savings": saved}
    sd = value["plan"]["schedule_d"]
    assert (sd["year"], sd["net"], sd["deduction"]) == (2025, "20000.00", "0.00")
    assert value["plan"]["carryover"] == {"short_term": "0.00", "long_term": "0.00"}
    assert any("buying it back in any wallet before 2026-01-05 would wash the loss" in w for w in value["warnings"])
    # the plan is never written: the log's own Schedule D is unchanged
    assert gainlog("report", "schedule-d", "--year", "2025", "--json").json()["net"] == "35000.00"


def test_r_e13_through_harvest_json(gainlog: Run, tmp_path: Path) -> None:
    """R-E13: O 50,000 and a 10,000 short-term loss -> 5,401.50; the 7,000 beyond the deduction carries over."""
    _import(gainlog, tmp_path, [
        {"type": "profile", "year": 2025, "other_income": "50000"},
        _trade("buy", "2025-02-03", "DOWN", "20000", id="down"),
        {"type": "price", "at": "2025-12-04T20:00:00Z", "asset": "DOWN", "usd": "10000"},
    ])
    value = gainlog("harvest", "--on", "2025-12-05", "--json").json()
    assert value["tax"] == {"before": "5914.00", "after": "5401.50", "savings": "512.50"}
    assert value["plan"]["schedule_d"]["deduction"] == "3000.00"
    assert value["plan"]["carryover"] == {"short_term": "7000.00", "long_term": "0.00"}
    assert value["harvestable"] == {"short_term": "-10000.00", "long_term": "0.00"}


def test_r_e13_long_term_gain_and_nothing_to_harvest(gainlog: Run, tmp_path: Path) -> None:
    _import(gainlog, tmp_path, [
        {"type": "profile", "year": 2025, "other_income": "30000"},
        _trade("buy", "2020-03-01", "LT", "10000"), _trade("sell", "2025-03-01", "LT", "40000"),
    ])
    value = gainlog("harvest", "--on", "2025-12-05", "--json").json()
    assert (value["lots"], value["candidates"], value["plan"]["sell"]) == ([], [], [])
    assert value["tax"] == {"before": "5109.00", "after": "5109.00", "savings": "0.00"}


def test_a_stock_bought_10_days_earlier_in_another_wallet_blocks_the_loss(gainlog: Run, tmp_path: Path) -> None:
    """R4.1: a purchase 10 days before DATE in any wallet washes the loss: listed with rebuy_after = DATE + 31,
    left out of the plan."""
    _import(gainlog, tmp_path, [
        _trade("buy", "2025-02-03", "XYZ", "120", qty="50", id="old"),
        _trade("buy", "2026-11-25", "XYZ", "75", qty="10", wallet="ira", id="recent"),
        _trade("buy", "2026-01-05", "BTC", "90000", cls="crypto", qty="0.1", wallet="coinbase", id="btc"),
        {"type": "price", "at": "2026-12-05", "asset": "XYZ", "usd": "80"},
        {"type": "price", "at": "2026-12-05", "asset": "BTC", "usd": "85000"},
    ])
    value = gainlog("harvest", "--on", "2026-12-05", "--json").json()
    by_lot = {c["lot"]: c for c in value["candidates"]}
    assert set(by_lot) == {"events.jsonl:old", "events.jsonl:btc"}
    assert by_lot["events.jsonl:old"]["wash_sale"] == {"replacements": ["events.jsonl:recent"],
                                                       "rebuy_after": "2027-01-05"}
    assert by_lot["events.jsonl:old"]["unrealized"] == "-2000.00"
    assert by_lot["events.jsonl:btc"]["wash_sale"] is None  # crypto: no wash-sale rule without a policy (R4.5)
    assert [s["lot"] for s in value["plan"]["sell"]] == ["events.jsonl:btc"]
    assert value["harvestable"] == {"short_term": "-500.00", "long_term": "0.00"}
    assert any(w.startswith("wash sale: XYZ lot events.jsonl:old (broker, loss 2000.00) would be washed by "
                            "events.jsonl:recent") for w in value["warnings"])
    assert any("BTC: a lot bought back right away starts a new holding period: short-term until 2027-12-06"
               in w for w in value["warnings"])


def test_an_unpaired_deposit_10_days_earlier_does_not_block_the_loss(gainlog: Run, tmp_path: Path) -> None:
    """R4.1, R2.8: an unpaired deposit is one's own shares moved in, not a purchase: no replacement,
    so the loss is a candidate without `wash_sale` and the plan sells it."""
    _import(gainlog, tmp_path, [
        _trade("buy", "2025-02-03", "XYZ", "120", qty="50", id="old"),
        {"type": "deposit", "id": "moved", "at": "2026-11-25", "wallet": "ira", "asset": "XYZ", "qty": "10"},
        {"type": "price", "at": "2026-12-05", "asset": "XYZ", "usd": "80"},
    ])
    value = gainlog("harvest", "--on", "2026-12-05", "--json").json()
    assert [(c["lot"], c["unrealized"], c["wash_sale"]) for c in value["candidates"]] == [
        ("events.jsonl:old", "-2000.00", None)
    ]
    assert [(s["lot"], s["gain"]) for s in value["plan"]["sell"]] == [("events.jsonl:old", "-2000.00")]


def test_crypto_under_a_wash_sale_policy_is_blocked_too(gainlog: Run, tmp_path: Path) -> None:  # R4.5
    _import(gainlog, tmp_path, [
        {"type": "policy", "from": "2026-01-01", "wash_sale_crypto": True},
        _trade("buy", "2026-01-05", "BTC", "90000", cls="crypto", qty="0.1", wallet="coinbase", id="btc"),
        _trade("buy", "2026-11-30", "BTC", "88000", cls="crypto", qty="0.01", wallet="kraken", id="dip"),
        {"type": "price", "at": "2026-12-05", "asset": "BTC", "usd": "85000"},
    ])
    value = gainlog("harvest", "--on", "2026-12-05", "--json").json()
    washed = {c["lot"]: c["wash_sale"] for c in value["candidates"]}
    assert washed["events.jsonl:btc"] == {"replacements": ["events.jsonl:dip"], "rebuy_after": "2027-01-05"}
    assert [s["lot"] for s in value["plan"]["sell"]] == ["events.jsonl:dip"]


def test_harvest_without_on_uses_today_in_the_ledger_time_zone(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from freezegun import freeze_time
    from gainlog.cli.main import main
    from gainlog.ledger.store import Store

    db = tmp_path / "ny.db"
    Store.create(db, timezone="America/New_York").close()
    write_jsonl(tmp_path / "eth.jsonl", [
        _trade("buy", "2025-12-05", "ETH", "3500", cls="crypto", qty="3", wallet="coinbase", id="eth"),
        {"type": "price", "at": "2026-12-04", "asset": "ETH", "usd": "2600"},
    ])
    assert main(["--db", str(db), "import", str(tmp_path / "eth.jsonl")]) == 0
    capsys.readouterr()
    with freeze_time("2026-12-06T03:00:00Z"):  # still December 5 in New York (December 6 in UTC)
        assert main(["--db", str(db), "harvest", "--json"]) == 0
    value = json.loads(capsys.readouterr().out)
    assert (value["on"], value["year"]) == ("2026-12-05", 2026)
    # sold on the New York day the lot is still short-term (long-term from 2026-12-06, R1.2)
    assert [(s["lot"], s["term"], s["gain"]) for s in value["plan"]["sell"]] == [("eth.jsonl:eth", "short",
                                                                                   "-2700.00")]
    assert value["lots"][0]["long_term_on"] == "2026-12-06"


def test_write_plan_writes_canonical_sells_whose_import_gives_the_plans_schedule_d(gainlog: Run,
                                                                                   tmp_path: Path) -> None:
    _import(gainlog, tmp_path, [
        *R_E12_REALIZED,
        _trade("buy", "2025-03-03", "DOWN", "20000", id="down"),
        _trade("buy", "2025-04-03", "FLAT", "100", qty="3", id="flat"),
    ])
    plan_file = tmp_path / "plan.jsonl"
    result = gainlog("harvest", "--on", "2025-12-05", "--price", "DOWN=5000", "--price", "FLAT=90",
                     "--write-plan", str(plan_file), "--json")
    assert result.code == 0, result.err
    value = result.json()
    assert result.err == (f"Plan written to {plan_file}: 2 sell event(s); edit them as executed, "
                          f"then gainlog import {plan_file}\n")
    lines = [json.loads(line) for line in plan_file.read_text().splitlines()]
    assert [(x["type"], x["asset"], x["qty"], x["price"], x["lots"]) for x in lines] == [
        ("sell", "DOWN", "1", "5000", [{"lot": "events.jsonl:down", "qty": "1"}]),
        ("sell", "FLAT", "3", "90", [{"lot": "events.jsonl:flat", "qty": "3"}]),
    ]
    assert lines[0]["at"] == "2025-12-05T23:59:59Z"
    assert plan_file.read_text().splitlines()[0] == json.dumps(lines[0], sort_keys=True, separators=(",", ":"))
    assert gainlog("import", str(plan_file)).code == 0
    real = gainlog("report", "schedule-d", "--year", "2025", "--json").json()
    assert real == value["plan"]["schedule_d"]
    assert gainlog("report", "tax", "--year", "2025", "--json").json()["tax"] == value["tax"]["after"]


def test_max_loss_and_unpriced_assets(gainlog: Run, tmp_path: Path) -> None:
    _import(gainlog, tmp_path, [
        _trade("buy", "2026-03-03", "BIG", "20000", id="big"),
        _trade("buy", "2026-03-04", "SMALL", "6000", id="small"),
        _trade("buy", "2026-03-05", "DARK", "100", cls="crypto", id="dark"),
        {"type": "price", "at": "2026-11-01", "asset": "BIG", "usd": "5000"},
        {"type": "price", "at": "2026-11-01", "asset": "SMALL", "usd": "1000"},
    ])
    value = gainlog("harvest", "--on", "2026-12-05", "--max-loss", "6000", "--json").json()
    assert [c["lot"] for c in value["candidates"]] == ["events.jsonl:big", "events.jsonl:small"]
    assert [s["lot"] for s in value["plan"]["sell"]] == ["events.jsonl:small"]  # 15,000 would pass 6,000
    assert value["unpriced"] == ["DARK"]
    dark = next(x for x in value["lots"] if x["asset"] == "DARK")
    assert (dark["price"], dark["value"], dark["unrealized"]) == (None, None, None)
    assert ("no price for DARK at or before 2026-12-05: its lots are not valued (give --price DARK=USD or import "
            "a price)") in value["warnings"]
    assert value["tax"] is None
    assert ("tax not estimated: no other income for 2026: record it with a profile event (gainlog add profile "
            "--year 2026 --other-income AMOUNT)") in value["warnings"]


@pytest.mark.parametrize(("args", "message"), [
    (("--price", "BTC"), "gainlog: harvest: --price 'BTC': give ASSET=USD (e.g. --price BTC=43000)\n"),
    (("--price", "BTC=-5"), "gainlog: harvest: --price BTC= '-5': give a positive amount in plain notation "
                            "(e.g. 43000.12)\n"),
    (("--max-loss", "lots"), "gainlog: harvest: --max-loss 'lots': give a positive amount in plain notation "
                             "(e.g. 43000.12)\n"),
    (("--on", "2026-13-01"), "gainlog: harvest: --on '2026-13-01' is not a date YYYY-MM-DD\n"),
])
def test_bad_options_exit_2(gainlog: Run, args: tuple[str, ...], message: str) -> None:
    result = gainlog("harvest", *args)
    assert (result.code, result.err) == (2, message)


def test_human_output_lists_candidates_totals_plan_tax_and_warnings(gainlog: Run, tmp_path: Path) -> None:
    _import(gainlog, tmp_path, [
        *R_E12_REALIZED,
        _trade("buy", "2025-03-03", "DOWN", "20000", id="down"),
        _trade("buy", "2025-11-28", "DOWN", "4000", wallet="ira", id="again"),
        _trade("buy", "2025-03-03", "ETH", "4000", cls="crypto", wallet="coinbase", id="eth"),
    ])
    out = gainlog("harvest", "--on", "2025-12-05", "--price", "DOWN=5000", "--price", "ETH=3000").out
    assert "Harvest candidates on 2025-12-05" in out
    assert "by events.jsonl:again; rebuy after 2026-01-05" in out
    assert "Harvestable loss (not washed): short-term -1000.00, long-term 0.00" in out
    assert "Plan: sell on 2025-12-05 by specific identification, no fee" in out
    assert "Tax 2025 (estimate): before 27047.00, after 26807.00, savings 240.00" in out
    assert "warning: wash sale: DOWN lot events.jsonl:down" in out
    assert "warning: ETH: a lot bought back right away starts a new holding period" in out


def test_a_sale_the_log_plus_the_plan_washes_is_left_out(gainlog: Run, tmp_path: Path) -> None:
    """R4 on the log plus the plan: a repurchase already in the log 10 days after DATE washes the planned sale."""
    _import(gainlog, tmp_path, [
        _trade("buy", "2025-02-03", "XYZ", "120", qty="50", id="old"),
        _trade("buy", "2026-11-11", "XYZ", "70", qty="5", wallet="ira", id="later"),
        _trade("buy", "2026-03-03", "ABC", "100", qty="10", id="abc"),
        {"type": "price", "at": "2026-11-01", "asset": "XYZ", "usd": "80"},
        {"type": "price", "at": "2026-11-01", "asset": "ABC", "usd": "90"},
    ])
    value = gainlog("harvest", "--on", "2026-11-01", "--json").json()
    washed = {c["lot"]: c["wash_sale"] for c in value["candidates"]}
    assert washed == {"events.jsonl:old": {"replacements": ["events.jsonl:later"], "rebuy_after": "2026-12-02"},
                      "events.jsonl:abc": None}
    assert [s["lot"] for s in value["plan"]["sell"]] == ["events.jsonl:abc"]
    assert value["plan"]["schedule_d"]["short_term"]["adjustments"] == "0.00"  # no washed row in the plan


def test_a_stale_recorded_price_is_named(gainlog: Run, tmp_path: Path) -> None:
    _import(gainlog, tmp_path, [
        _trade("buy", "2026-03-03", "ABC", "100", id="abc"),
        _trade("buy", "2026-03-03", "NEW", "100", id="new"),
        {"type": "price", "at": "2026-11-20", "asset": "ABC", "usd": "90"},
        {"type": "price", "at": "2026-12-01", "asset": "NEW", "usd": "90"},
    ])
    value = gainlog("harvest", "--on", "2026-12-05", "--json").json()
    assert [x["price"] for x in value["lots"]] == ["90", "90"]
    stale = [w for w in value["warnings"] if w.startswith("the latest price")]
    assert stale == ["the latest price of ABC is from 2026-11-20, 15 days before 2026-12-05 (give --price ABC=USD "
                     "or import a newer price)"]
    fresh = gainlog("harvest", "--on", "2026-12-05", "--price", "ABC=91", "--json").json()
    assert not [w for w in fresh["warnings"] if w.startswith("the latest price")]


def test_the_years_schedule_d_before_and_after_the_plan_are_streamed(gainlog: Run, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #19: no whole projection and no log held in memory: the lots on DATE, the year's Schedule D of
    the log and of the log plus the plan (once more for each plan a wash sale changes) are each a replay
    streamed from the store that keeps only what it answers (the open lots; the year's slices,
    `audit.year_of`): 1M events, 3.0 GB -> 2.0 GB -> under 1 GB, with the same plan as before."""
    from gainlog.ledger.store import Store
    from gainlog.projections import pipeline

    test_a_sale_the_log_plus_the_plan_washes_is_left_out(gainlog, tmp_path)

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("held the whole log or projection")

    monkeypatch.setattr(pipeline, "project", refuse)
    monkeypatch.setattr(pipeline, "materialise", refuse)
    monkeypatch.setattr(Store, "read", refuse)
    value = gainlog("harvest", "--on", "2026-11-01", "--json").json()
    assert [s["lot"] for s in value["plan"]["sell"]] == ["events.jsonl:abc"]
    assert value["plan"]["schedule_d"]["short_term"]["gain"] == "-100.00"


def test_the_logs_schedule_d_comes_from_a_checkpoint_where_one_serves(
    gainlog: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #19: the year's Schedule D before the plan is `report schedule-d`'s, from the stored totals
    when a checkpoint serves (no third replay); the same JSON as without the checkpoint."""
    from helpers import served_by_checkpoint

    test_a_sale_the_log_plus_the_plan_washes_is_left_out(gainlog, tmp_path)
    assert gainlog("checkpoint").code == 0
    served = served_by_checkpoint(monkeypatch)
    value = gainlog("harvest", "--on", "2026-11-01", "--json").json()
    assert served == [True]
    assert gainlog("checkpoint", "--clear").code == 0
    assert gainlog("harvest", "--on", "2026-11-01", "--json").json() == value
