"""R4.6 The broker's wash-sale figure: a sell's `wash_disallowed` (Form 1099-B box 1g) is reported on
Form 8949 with code W and that amount, and R4 never washes that sale again against replacements in its
own wallet (the broker applied §1091 there); purchases in other wallets wash the rest of the loss
(docs/wash-sales.md "The broker's figure", docs/formats.md "1099-b").

The fixture `fixtures/broker/1099b-partial-wash-2025.csv` (a consolidated 1099's box captions): 100 XYZ
bought 2025-01-10 for 5,000, sold 2025-06-02 for 4,000, box 1g 400 (40 of the 100 shares were bought
back in the account on 2025-06-20: 1,000 x 40 / 100); the 40 replacement shares sold 2025-09-10 for 2,000
with the basis the broker raised by 400 (1,680 + 400 = 2,080); 10 ABC, a gain of 250."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import Result, write_jsonl
from gainlog.ledger import codec, formats

REPO = Path(__file__).resolve().parent.parent
PARTIAL = REPO / "fixtures" / "broker" / "1099b-partial-wash-2025.csv"
UTC = ZoneInfo("UTC")
Run = Callable[..., Result]
SOURCE = PARTIAL.name


def _rows(gainlog: Run, year: int = 2025) -> list[tuple[str, ...]]:
    rows = gainlog("report", "8949", "--year", str(year), "--json").json()
    return [(r["description"], r["wallet"], r["date_acquired"], r["proceeds"], r["cost_basis"], r["code"],
             r["adjustment"], r["gain"]) for r in rows]


def _short(gainlog: Run, year: int = 2025) -> dict[str, str]:
    return gainlog("report", "schedule-d", "--year", str(year), "--json").json()["short_term"]  # type: ignore[no-any-return]


def _import_partial(gainlog: Run) -> None:
    result = gainlog("import", str(PARTIAL), "--format", "1099-b")
    assert result.code == 0, result.err


def _buy(id_: str, at: str, wallet: str, qty: str, total: str, asset: str = "XYZ") -> dict[str, Any]:
    return {"type": "buy", "id": id_, "at": at, "wallet": wallet, "asset": asset, "qty": qty, "total": total,
            "class": "stock"}


def _sell(id_: str, at: str, wallet: str, qty: str, total: str, **more: Any) -> dict[str, Any]:
    return {"type": "sell", "id": id_, "at": at, "wallet": wallet, "asset": "XYZ", "qty": qty, "total": total,
            **more}


# -- the 1099-B import -------------------------------------------------------------------------------


def test_the_import_records_the_cost_basis_and_the_wash_sale_on_the_sale() -> None:
    conversion = formats.convert("1099-b", PARTIAL, tz=UTC)
    events = [codec.canonical(p.event) for p in conversion.events]
    assert [(e["type"], e["asset"], e["qty"], e["at"][:10], e["total"], e.get("wash_disallowed")) for e in events] == [
        ("buy", "XYZ", "100", "2025-01-10", "5000", None), ("sell", "XYZ", "100", "2025-06-02", "4000", "400"),
        ("buy", "XYZ", "40", "2025-06-20", "2080", None), ("sell", "XYZ", "40", "2025-09-10", "2000", None),
        ("buy", "ABC", "10", "2025-03-03", "1000", None), ("sell", "ABC", "10", "2025-11-14", "1250", None),
    ]
    assert conversion.warnings == [
        f"{PARTIAL}: 1 row(s) with a wash sale loss disallowed (box 1g): recorded on the sale (`wash_disallowed`), "
        "so Form 8949 shows the cost basis, code W and the amount as the 1099-B does; gainlog washes the rest of a "
        "loss only against purchases in other wallets: check `gainlog report 8949` (line 5)"]


def test_a_partial_wash_sale_is_reported_as_the_broker_did_and_not_disallowed_twice(gainlog: Run) -> None:
    # R4.6: basis 5,000 as reported, code W, 400, gain 4,000 - 5,000 + 400 = -600; the 40 shares bought back
    # on 2025-06-20 in the same account are inside the window but carry the 400 already: nothing more
    # (the import of before this change showed basis 4,600 and washed 600 x 40 / 100 = 240 more: gain -360)
    _import_partial(gainlog)
    assert _rows(gainlog) == [
        ("100 XYZ", "1099-b", "2025-01-10", "4000.00", "5000.00", "W", "400.00", "-600.00"),
        ("40 XYZ", "1099-b", "2025-06-20", "2000.00", "2080.00", "", "0.00", "-80.00"),
        ("10 ABC", "1099-b", "2025-03-03", "1250.00", "1000.00", "", "0.00", "250.00"),
    ]
    assert _short(gainlog) == {"proceeds": "7250.00", "cost_basis": "8080.00", "adjustments": "400.00",
                               "gain": "-430.00"}
    csv_lines = gainlog("report", "8949", "--year", "2025", "--csv").out.splitlines()
    assert "I,A,100 XYZ,2025-01-10,2025-06-02,4000.00,5000.00,W,400.00,-600.00" in csv_lines
    assert gainlog("lots", "--json").json() == []


def test_reconcile_matches_the_rows_exactly(gainlog: Run) -> None:
    _import_partial(gainlog)
    result = gainlog("reconcile", "--year", "2025", "--format", "1099-b", "--wallet", "1099-b", str(PARTIAL),
                     "--json").json()
    assert (result["matched"], result["differences"], result["only_broker"], result["only_ledger"]) == (3, [], [], [])


def test_rows_imported_the_old_way_still_wash_as_before_and_a_new_import_names_replace(
        gainlog: Run, tmp_path: Path) -> None:
    # the events the import wrote before (same source and ids): basis C - W, no `wash_disallowed`; they stay as
    # they are: R4 washes the rest of the loss against the 40 shares (600 x 40 / 100 = 240) as it always did
    conversion = formats.convert("1099-b", PARTIAL, tz=UTC)
    old = [codec.canonical(p.event) for p in conversion.events]
    old[0]["total"] = "4600"
    del old[1]["wash_disallowed"]
    path = write_jsonl(tmp_path / "old.jsonl", old)
    assert gainlog("import", str(path), "--source", SOURCE).code == 0
    assert _rows(gainlog)[:2] == [
        ("100 XYZ", "1099-b", "2025-01-10", "4000.00", "4600.00", "W", "240.00", "-360.00"),
        ("40 XYZ", "1099-b", "2025-01-28", "2000.00", "2320.00", "", "0.00", "-320.00"),
    ]
    again = gainlog("import", str(PARTIAL), "--format", "1099-b")
    assert again.code == 2
    assert again.err.endswith(
        f"gainlog: {PARTIAL}:5: field 'id': key '{SOURCE}:{old[0]['id']}' is already live (seq 1) with a different "
        "body; pass --replace to retract it and append this one\n")
    replaced = gainlog("import", str(PARTIAL), "--format", "1099-b", "--replace", "--json").json()
    assert (replaced["added"], replaced["duplicates"], replaced["retracted"]) == (2, 4, 2)
    assert _rows(gainlog)[0] == ("100 XYZ", "1099-b", "2025-01-10", "4000.00", "5000.00", "W", "400.00", "-600.00")


# -- R4 around the broker's figure ---------------------------------------------------------------------


def test_a_replacement_in_another_wallet_washes_the_rest_of_the_loss(gainlog: Run, tmp_path: Path) -> None:
    # R4.6 + R4.2: the broker's 400 stands for 40 of the 100 shares; 30 bought in the IRA on 2025-06-25 wash
    # 1,000 x 30 / 100 = 300 more (W 700, gain -300); their basis 1,200 + 300, date back 143 days (R4.3)
    _import_partial(gainlog)
    assert gainlog("import", str(write_jsonl(tmp_path / "ira.jsonl", [
        _buy("ira-1", "2025-06-25", "ira", "30", "1200")]))).code == 0
    assert _rows(gainlog)[0] == ("100 XYZ", "1099-b", "2025-01-10", "4000.00", "5000.00", "W", "700.00", "-300.00")
    [lot] = gainlog("lots", "--json").json()
    assert (lot["wallet"], lot["qty"], lot["cost_basis"], lot["date_acquired"], lot["wash_adjustment"]) == (
        "ira", "30", "1500.00", "2025-02-02", "300.00")


def test_another_wallet_washes_at_most_the_units_the_broker_left(gainlog: Run, tmp_path: Path) -> None:
    # 80 bought in the IRA: only 60 units are left to match (100 - 40): 600 more, the whole loss disallowed;
    # the IRA lot splits into 60 washed units (2,400 + 600, date moved back) and 20 as bought
    _import_partial(gainlog)
    assert gainlog("import", str(write_jsonl(tmp_path / "ira.jsonl", [
        _buy("ira-1", "2025-06-25", "ira", "80", "3200")]))).code == 0
    assert _rows(gainlog)[0] == ("100 XYZ", "1099-b", "2025-01-10", "4000.00", "5000.00", "W", "1000.00", "0.00")
    lots = gainlog("lots", "--json").json()
    assert [(r["qty"], r["cost_basis"], r["date_acquired"], r.get("wash_adjustment")) for r in lots] == [
        ("60", "3000.00", "2025-02-02", "600.00"), ("20", "800.00", "2025-06-25", "0.00")]


def test_the_units_the_figure_stands_for_absorb_no_other_loss(gainlog: Run, tmp_path: Path) -> None:
    # R4.2, each replacement unit absorbs one loss: the 40 shares bought back in the broker's account took
    # its 400; an IRA loss sale on 2025-06-30 finds no replacement left (the 100 in `1099-b` were sold)
    _import_partial(gainlog)
    assert gainlog("import", str(write_jsonl(tmp_path / "ira.jsonl", [
        _buy("ira-1", "2025-01-02", "ira", "10", "600"),
        _sell("ira-s", "2025-06-30", "ira", "10", "450")]))).code == 0
    assert _rows(gainlog)[1] == ("10 XYZ", "ira", "2025-01-02", "450.00", "600.00", "", "0.00", "-150.00")


def test_the_same_sale_without_the_figure_washes_in_its_own_wallet(gainlog: Run, tmp_path: Path) -> None:
    # a sale without `wash_disallowed` behaves exactly as before: R4 over every wallet (R-E6: 600 of 1,000)
    events = [_buy("b1", "2025-01-10", "fid", "100", "5000"), _sell("s1", "2025-06-02", "fid", "100", "4000"),
              _buy("b2", "2025-06-20", "fid", "60", "2520")]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", events))).code == 0
    assert _rows(gainlog) == [("100 XYZ", "fid", "2025-01-10", "4000.00", "5000.00", "W", "600.00", "-400.00")]


def test_a_zero_figure_leaves_the_own_wallet_to_the_broker(gainlog: Run, tmp_path: Path) -> None:
    # `wash_disallowed: 0`: the broker applied §1091 in the account and disallowed nothing; no code W, and the
    # 60 shares bought back there are not washed (R4.6); 20 bought in the IRA wash 1,000 x 20 / 100 = 200
    events = [_buy("b1", "2025-01-10", "fid", "100", "5000"),
              _sell("s1", "2025-06-02", "fid", "100", "4000", wash_disallowed="0"),
              _buy("b2", "2025-06-20", "fid", "60", "2520")]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", events))).code == 0
    assert _rows(gainlog) == [("100 XYZ", "fid", "2025-01-10", "4000.00", "5000.00", "", "0.00", "-1000.00")]
    assert gainlog("import", str(write_jsonl(tmp_path / "ira.jsonl", [
        _buy("ira-1", "2025-06-21", "ira", "20", "840")]))).code == 0
    assert _rows(gainlog) == [("100 XYZ", "fid", "2025-01-10", "4000.00", "5000.00", "W", "200.00", "-800.00")]


def test_the_figure_is_spread_over_the_loss_slices_and_capped_at_the_loss(gainlog: Run, tmp_path: Path) -> None:
    # two lots with losses 1,000 and 500: a figure of 600 splits 400 / 200 (in proportion to the losses)
    events = [_buy("a", "2025-01-10", "fid", "50", "3000"), _buy("b", "2025-01-11", "fid", "50", "2500"),
              _sell("s1", "2025-06-02", "fid", "100", "4000", wash_disallowed="600")]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", events))).code == 0
    assert _rows(gainlog) == [
        ("50 XYZ", "fid", "2025-01-10", "2000.00", "3000.00", "W", "400.00", "-600.00"),
        ("50 XYZ", "fid", "2025-01-11", "2000.00", "2500.00", "W", "200.00", "-300.00")]
    # above the sale's loss (1,500): Form 8949 shows the loss, and every report says so
    assert gainlog("import", str(write_jsonl(tmp_path / "f.jsonl", [
        _buy("c", "2025-07-01", "fid", "10", "1000"),
        _sell("s2", "2025-07-02", "fid", "10", "900", wash_disallowed="150.5")]))).code == 0
    assert _rows(gainlog)[2] == ("10 XYZ", "fid", "2025-07-01", "900.00", "1000.00", "W", "100.00", "0.00")
    warnings = gainlog("report", "schedule-d", "--year", "2025", "--json").json()["warnings"]
    assert warnings == [
        "f.jsonl:s2: the wash sale loss disallowed it carries (150.50) is more than the loss of the sale on "
        "2025-07-02 (100.00); Form 8949 shows 100.00 (a disallowed loss never makes a gain, R4.6)"]


def test_the_figure_follows_a_slice_split_by_the_units_it_carries(gainlog: Run, tmp_path: Path) -> None:
    # R4.3 + R4.6: an IRA loss of 200 washed into 10 of the 20 `fid` shares (moved back 58 days); the `fid` sale
    # of all 20 with a broker's figure of 100 (its loss as recorded: 1,700 - 1,400 = 300) becomes two rows, one
    # per date acquired, and the figure is shared pro rata like proceeds and basis: 50 and 50
    events = [_buy("i1", "2025-01-02", "ira", "10", "1000"), _sell("i-s", "2025-03-01", "ira", "10", "800"),
              _buy("f1", "2025-03-05", "fid", "20", "1700"),
              _sell("f-s", "2025-04-01", "fid", "20", "1400", wash_disallowed="100")]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", events))).code == 0
    assert _rows(gainlog) == [
        ("10 XYZ", "ira", "2025-01-02", "800.00", "1000.00", "W", "200.00", "0.00"),
        ("10 XYZ", "fid", "2025-01-06", "700.00", "1050.00", "W", "50.00", "-300.00"),
        ("10 XYZ", "fid", "2025-03-05", "700.00", "850.00", "W", "50.00", "-100.00")]


# -- the event, the CLI and the readers ----------------------------------------------------------------


def test_events_without_the_field_keep_their_bytes_and_keys(gainlog: Run, tmp_path: Path) -> None:
    # the canonical body and key of a sell without `wash_disallowed` are those of before the field existed
    # (keys computed with the code before it); with it, the body holds it as a normalized decimal
    raw = {"type": "sell", "at": "2025-06-02", "wallet": "fid", "asset": "XYZ", "qty": "100", "price": "40.00",
           "fee": "0"}
    body = codec.canonical_body(codec.parse_event(raw, tz=UTC, where="t"))
    assert body == (b'{"asset":"XYZ","at":"2025-06-02T12:00:00Z","fee":"0","price":"40","qty":"100","type":"sell",'
                    b'"wallet":"fid"}')
    with_figure = codec.canonical_body(codec.parse_event({**raw, "wash_disallowed": "400.00"}, tz=UTC, where="t"))
    assert with_figure == body.replace(b'"wallet":"fid"}', b'"wallet":"fid","wash_disallowed":"400"}')
    path = write_jsonl(tmp_path / "h.jsonl", [
        {"type": "buy", "at": "2025-01-10", "wallet": "fid", "asset": "XYZ", "qty": "100", "total": "5000",
         "class": "stock"}, raw, {"type": "sell", "at": "2025-06-03", "wallet": "fid", "asset": "XYZ", "qty": "1",
                                  "total": "40"}])
    assert gainlog("import", str(path)).code == 0
    assert [e["key"] for e in gainlog("log", "--json").json()] == [
        "h.jsonl:0bed06acd729b14b2acedb9545c003e69c2a224ae785933dcfb6e3bdc26c4a29#1",
        "h.jsonl:9fea4647c1e6c4ab52fd3294d10f282bb21bc449cc971ef742123f17f3e957f3#1",
        "h.jsonl:24360c8b298de2719b7cc3481a90d52b362a596c87d4e81fac55a8d988030a5f#1"]
    assert gainlog("verify").code == 0


def test_add_sell_takes_the_figure_and_refuses_a_negative_one(gainlog: Run) -> None:
    assert gainlog("add", "buy", "--at", "2025-01-10", "--wallet", "fid", "--asset", "XYZ", "--qty", "100",
                   "--total", "5000", "--class", "stock").code == 0
    bad = gainlog("add", "sell", "--at", "2025-06-02", "--wallet", "fid", "--asset", "XYZ", "--qty", "100",
                  "--total", "4000", "--wash-disallowed=-400")
    assert (bad.code, bad.err) == (2, "gainlog: add: field 'wash_disallowed': '-400' is not a plain decimal (up to "
                                      "15 digits, optionally '.' and up to 18 decimals; no sign, exponent, comma, NaN "
                                      "or Infinity)\n")
    done = gainlog("add", "sell", "--at", "2025-06-02", "--wallet", "fid", "--asset", "XYZ", "--qty", "100",
                   "--total", "4000", "--wash-disallowed", "400.00", "--id", "s1")
    assert done.code == 0, done.err
    assert gainlog("log", "--json").json()[1]["wash_disallowed"] == "400"
    assert _rows(gainlog) == [("100 XYZ", "fid", "2025-01-10", "4000.00", "5000.00", "W", "400.00", "-600.00")]


def test_explain_names_the_brokers_figure(gainlog: Run, tmp_path: Path) -> None:
    _import_partial(gainlog)
    assert gainlog("import", str(write_jsonl(tmp_path / "ira.jsonl", [
        _buy("ira-1", "2025-06-25", "ira", "30", "1200")]))).code == 0
    [trail] = gainlog("explain", "--year", "2025", "--row", "1", "--json").json()["rows"]
    sell_key = trail["disposal"]
    assert trail["wash_reported"] == {"event": sell_key, "wash_disallowed": "400", "amount": "400"}
    assert [(w["replacement_lot"], w["amount"]) for w in trail["wash_sale"]] == [("ira.jsonl:ira-1", "300")]
    human = gainlog("explain", "--year", "2025", "--row", "1").out
    assert ("  wash sale reported by the broker: 400 (the sell's wash_disallowed 400; not washed again in its own "
            "wallet)\n") in human


def test_whatif_follows_the_figure(gainlog: Run, tmp_path: Path) -> None:
    # what if 30 more were bought in the IRA: the 1099-B row's W goes from 400 to 700, not to 400 + 240 + 300
    _import_partial(gainlog)
    plan = write_jsonl(tmp_path / "plan.jsonl", [_buy("ira-1", "2025-06-25", "ira", "30", "1200")])
    result = gainlog("whatif", "--year", "2025", "--add", str(plan), "--json").json()
    assert result["schedule_d"]["short_term"]["adjustments"] == {"from": "400.00", "to": "700.00", "delta": "300.00"}
    assert [(r["adjustment"], r["gain"]) for r in result["rows"]["removed"]] == [("400.00", "-600.00")]
    assert [(r["adjustment"], r["gain"]) for r in result["rows"]["added"]] == [("700.00", "-300.00")]


def test_harvest_values_the_replacement_at_the_brokers_basis(gainlog: Run, tmp_path: Path) -> None:
    # the 40 shares bought back are held on 2025-07-01 with the basis the broker gives them (1,680 + 400);
    # before R4.6 gainlog added its own 240 on top (2,320, unrealized -520)
    events = [_buy("b1", "2025-01-10", "fid", "100", "5000"),
              _sell("s1", "2025-06-02", "fid", "100", "4000", wash_disallowed="400"),
              _buy("b2", "2025-06-20", "fid", "40", "2080")]
    assert gainlog("import", str(write_jsonl(tmp_path / "e.jsonl", events))).code == 0
    result = gainlog("harvest", "--on", "2025-07-01", "--price", "XYZ=45", "--json").json()
    [candidate] = result["candidates"]
    assert (candidate["cost_basis"], candidate["value"], candidate["unrealized"], candidate["wash_sale"]) == (
        "2080.00", "1800.00", "-280.00", None)
    assert result["plan"]["schedule_d"]["short_term"] == {
        "proceeds": "5800.00", "cost_basis": "7080.00", "adjustments": "400.00", "gain": "-880.00"}


def test_exports_carry_the_figure(gainlog: Run, tmp_path: Path) -> None:
    _import_partial(gainlog)
    txf = tmp_path / "out.txf"
    assert gainlog("export", "--year", "2025", "--format", "txf", "--out", str(txf)).code == 0
    lines = txf.read_bytes().decode("utf-8").split("\r\n")
    start = lines.index("P100 XYZ")
    assert lines[start:start + 7] == ["P100 XYZ", "D01/10/2025", "D06/02/2025", "$5000.00", "$4000.00", "$400.00", "^"]
    taxact = tmp_path / "out.csv"
    assert gainlog("export", "--year", "2025", "--format", "taxact", "--out", str(taxact)).code == 0
    assert "100 XYZ,01/10/2025,06/02/2025,4000.00,5000.00,W,W,400.00,A" in taxact.read_text(encoding="utf-8")


def test_a_sharded_report_all_gives_the_same_rows(
        gainlog: Run, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `report all` in one process and in two (XYZ and ABC in their own shards): the same bytes
    from gainlog.api import parallel

    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)
    _import_partial(gainlog)
    assert gainlog("import", str(write_jsonl(tmp_path / "ira.jsonl", [
        _buy("ira-1", "2025-06-25", "ira", "30", "1200")]))).code == 0
    assert parallel.stream_sharded(db, jobs=2)[1].shards == [["XYZ"], ["ABC"]]
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        assert gainlog("report", "all", "--out", str(out), "--jobs", jobs).code == 0
        outs.append((out / "2025" / "form8949.json").read_bytes())
    assert outs[0] == outs[1]
    assert [(r["code"], r["adjustment"]) for r in json.loads(outs[0])][:1] == [("W", "700.00")]
