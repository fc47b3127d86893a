"""Wash sales in broker 1099-B files (box 1g, or Form 8949's code W with its adjustment): read by
`import --format 1099-b` and by `reconcile --format 1099-b`, which compares the broker's disallowed
loss with the ledger's per row (R4.4, docs/formats.md "1099-b", docs/exports.md "Reconciliation").

The fixture `fixtures/broker/fidelity-1099-2025.csv` is written in the layout of Fidelity's 1099 CSV
download (every line labelled by its section, `1099-B-Detail` for the sales; columns named
`1099-B-1b Date Acquired` ... `1099-B-1g-Wash sale loss Disallowed`, `Term`, `Covered/Uncovered`; lines
ended by CR, dates MM/DD/YY, amounts zero-padded, box 1a as `NAME, SYMBOL, CUSIP`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from conftest import Result, write_jsonl
from gainlog.ledger import codec, formats

REPO = Path(__file__).resolve().parent.parent
FIDELITY = REPO / "fixtures" / "broker" / "fidelity-1099-2025.csv"
UTC = ZoneInfo("UTC")
Run = Callable[..., Result]


def _buy(id_: str, at: str, wallet: str, asset: str, qty: str, total: str) -> dict[str, Any]:
    return {"type": "buy", "id": id_, "at": at, "wallet": wallet, "asset": asset, "qty": qty, "total": total,
            "class": "stock"}


def _sell(id_: str, at: str, wallet: str, asset: str, qty: str, total: str) -> dict[str, Any]:
    return {"type": "sell", "id": id_, "at": at, "wallet": wallet, "asset": asset, "qty": qty, "total": total}


# R4.1: 100 XYZ sold at a loss of 1,000 on 2025-06-02; 60 bought back on 06-20, 40 in the Fidelity account
# and 20 in an IRA. gainlog disallows 600 (any wallet of the ledger); Fidelity's 1099-B reports 400 (box 1g
# covers the same account only; Pub 550: the loss is disallowed even when the 1099-B does not show it).
LEDGER = [
    _buy("abc", "2024-03-01", "fidelity", "ABC", "10", "1000"),
    _sell("abc-s", "2025-04-01", "fidelity", "ABC", "10", "1500"),
    _buy("b1", "2025-01-10", "fidelity", "XYZ", "100", "5000"),
    _sell("s1", "2025-06-02", "fidelity", "XYZ", "100", "4000"),
    _buy("b2", "2025-06-20", "fidelity", "XYZ", "40", "1680"),
    _buy("b3", "2025-06-20", "ira", "XYZ", "20", "840"),
    _sell("s2", "2025-09-10", "fidelity", "XYZ", "40", "2080"),
]


def test_the_fidelity_layout_is_imported_with_its_wash_sale(gainlog: Run) -> None:
    # the 1099-B-Detail lines only (the summary, dividend and interest lines are other sections); box 1g
    # on the sale as the broker's figure (R4.6), the basis as reported, so the row's gain is the broker's
    # (P - C + W) with code W
    conversion = formats.convert("1099-b", FIDELITY, tz=UTC)
    events = [codec.canonical(p.event) for p in conversion.events]
    assert [(e["type"], e["asset"], e["qty"], e["at"][:10], e["total"], e.get("wash_disallowed"))
            for e in events] == [
        ("buy", "XYZ", "100", "2025-01-10", "5000", None), ("sell", "XYZ", "100", "2025-06-02", "4000", "400"),
        ("buy", "XYZ", "40", "2025-01-28", "2080", None), ("sell", "XYZ", "40", "2025-09-10", "2080", None),
        ("buy", "ABC", "10", "2024-03-01", "1000", None), ("sell", "ABC", "10", "2025-04-01", "1500", None),
    ]
    assert [p.where.rsplit(":", 1)[1] for p in conversion.events] == ["4", "4", "5", "5", "7", "7"]
    result = gainlog("import", str(FIDELITY), "--json")
    assert result.code == 0, result.err
    assert "read as --format 1099-b (detected from its header, line 2)" in result.err
    rows = gainlog("report", "8949", "--year", "2025", "--json").json()
    assert [(r["asset"], r["cost_basis"], r["code"], r["adjustment"], r["gain"], r["term"], r["box"])
            for r in rows] == [
        ("ABC", "1000.00", "", "0.00", "500.00", "long", "D"),
        ("XYZ", "5000.00", "W", "400.00", "-600.00", "short", "A"),
        ("XYZ", "2080.00", "", "0.00", "0.00", "short", "A")]


ADJUSTMENT_LAYOUT = (
    "Description,Date Acquired,Date Sold,Proceeds,Cost Basis,Adjustment Code,Adjustment Amount\n"
    "100 SH XYZ,01/10/2025,06/02/2025,4000.00,5000.00,W,600.00\n"
    "10 SH ABC,03/01/2024,04/01/2025,1500.00,1000.00,,\n"
    "5 SH DEF,03/01/2024,04/01/2025,500.00,400.00,B,-50.00\n"
)


def test_form_8949_adjustment_columns_code_w_are_the_wash_sale(tmp_path: Path) -> None:
    # a tax tool's 8949-style layout: code W in column (f), the disallowed loss in (g); not read, the row
    # went in with a loss of 1,000 where the broker has 400 without a word; the 600 is the sale's figure (R4.6)
    path = tmp_path / "form8949.csv"
    path.write_text(ADJUSTMENT_LAYOUT, encoding="utf-8")
    conversion = formats.convert("1099-b", path, tz=UTC)
    events = [codec.canonical(p.event) for p in conversion.events]
    assert [(e["type"], e["asset"], e["total"], e.get("wash_disallowed")) for e in events] == [
        ("buy", "XYZ", "5000", None), ("sell", "XYZ", "4000", "600"), ("buy", "ABC", "1000", None),
        ("sell", "ABC", "1500", None), ("buy", "DEF", "400", None), ("sell", "DEF", "500", None)]
    assert conversion.warnings[1] == (
        f"{path}: 1 row(s) with a Form 8949 adjustment other than a wash sale (code W): gainlog records the "
        "proceeds and the cost basis without it; add the adjustment when you file (line 4)")


def test_reconcile_compares_the_brokers_wash_sale_with_the_ledgers(gainlog: Run, tmp_path: Path) -> None:
    # R4.4: the ledger's row has code W and 600.00; the broker's box 1g says 400.00 -> one difference, code W
    assert gainlog("import", str(write_jsonl(tmp_path / "ledger.jsonl", LEDGER))).code == 0
    done = gainlog("reconcile", "--year", "2025", "--format", "1099-b", "--wallet", "fidelity", str(FIDELITY),
                   "--json")
    assert done.code == 0, done.err
    result = json.loads(done.out)
    assert (result["matched"], result["only_broker"], result["only_ledger"]) == (3, [], [])
    [difference] = result["differences"]
    assert difference["broker"] == {
        "line": 4, "asset": "XYZ", "qty": "100", "date_acquired": "2025-01-10", "date_sold": "2025-06-02",
        "proceeds": "4000.00", "cost_basis": "5000.00", "wash_sale_disallowed": "400.00", "term": "short",
        "box": "A"}
    assert (difference["ledger"]["code"], difference["ledger"]["adjustment"], difference["ledger"]["row"]) == (
        "W", "600.00", 2)
    assert (difference["fields"], difference["codes"], difference["code"]) == (
        ["wash_sale_disallowed"], {"wash_sale_disallowed": "W"}, "W")
    human = gainlog("reconcile", "--year", "2025", "--format", "1099-b", "--wallet", "fidelity", str(FIDELITY))
    assert human.out.startswith("3 broker rows matched, 1 with differences, 0 only at the broker, 0 only in the "
                                "ledger\n")
    assert "wash_sale_disallowed" in human.out and "400.00" in human.out and "600.00" in human.out


def test_reconcile_reads_the_8949_adjustment_layout(gainlog: Run, tmp_path: Path) -> None:
    # the same comparison from a code W / adjustment pair: the broker's 600.00 agrees with the ledger's
    assert gainlog("import", str(write_jsonl(tmp_path / "ledger.jsonl", LEDGER))).code == 0
    path = tmp_path / "form8949.csv"
    path.write_text(ADJUSTMENT_LAYOUT.rsplit("5 SH DEF", 1)[0], encoding="utf-8")
    result = gainlog("reconcile", "--year", "2025", "--format", "1099-b", "--wallet", "fidelity", str(path),
                     "--json").json()
    assert (result["matched"], result["differences"], result["only_broker"]) == (2, [], [])
    assert [r["asset"] for r in result["only_ledger"]] == ["XYZ"]  # the replacement's sale: not in that file


def test_a_various_row_is_matched_per_sale_and_its_wash_sale_compared(gainlog: Run, tmp_path: Path) -> None:
    # a broker that reports one sale of two lots as one row (date acquired VARIOUS): no row matches it one
    # to one, so the sale's totals are compared: the ledger's W 500 + 100 against the broker's 400
    events = [_buy("b1", "2025-01-10", "fidelity", "XYZ", "50", "2500"),
              _buy("b2", "2025-01-15", "fidelity", "XYZ", "50", "2500"),
              _sell("s1", "2025-06-02", "fidelity", "XYZ", "100", "4000"),
              _buy("b3", "2025-06-20", "fidelity", "XYZ", "60", "2520")]
    assert gainlog("import", str(write_jsonl(tmp_path / "ledger.jsonl", events))).code == 0
    path = tmp_path / "broker.csv"
    path.write_text("asset,qty,date_acquired,date_sold,proceeds,cost_basis,wash_sale_disallowed,box\n"
                    "XYZ,100,VARIOUS,2025-06-02,4000.00,5000.00,400.00,A\n", encoding="utf-8")
    result = gainlog("reconcile", "--year", "2025", str(path), "--json").json()
    assert (result["matched"], result["differences"], result["only_broker"], result["only_ledger"]) == (1, [], [], [])
    assert result["sales"] == [{
        "asset": "XYZ", "date_sold": "2025-06-02", "qty": "100", "broker_lines": [2], "ledger_rows": [1, 2],
        "broker": {"proceeds": "4000.00", "cost_basis": "5000.00", "wash_sale_disallowed": "400.00"},
        "ledger": {"proceeds": "4000.00", "cost_basis": "5000.00", "wash_sale_disallowed": "600.00"},
        "fields": ["wash_sale_disallowed"], "codes": {"wash_sale_disallowed": "W"}, "code": "W"}]
    human = gainlog("reconcile", "--year", "2025", str(path))
    assert human.out.startswith("1 broker rows matched (1 per sale), 0 with differences, 1 sale with differences, "
                                "0 only at the broker, 0 only in the ledger\n"), human.out
    assert ("sale of 100 XYZ on 2025-06-02 (broker line 2; 8949 rows 1, 2): wash_sale_disallowed broker 400.00, "
            "ledger 600.00 (code W)") in " ".join(human.out.split())
