"""`reconcile --year Y FILE` (CONTRACT §4 "Filing outputs", docs/exports.md): a broker's 1099 rows
against the year's 8949 rows, with the Form 8949 code each difference calls for."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "fixtures" / "sample" / "events.jsonl"
BROKER = REPO / "fixtures" / "broker"
GENERIC = ["asset", "qty", "date_acquired", "date_sold", "proceeds", "cost_basis", "wash_sale_disallowed", "box"]

Run = Callable[..., Any]


@pytest.fixture
def sample(gainlog: Run) -> Run:
    assert gainlog("import", str(SAMPLE)).code == 0
    return gainlog


def _broker_rows(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The generic broker layout of 8949 rows: what a broker that agrees with the ledger would file."""
    return [{"asset": r["asset"], "qty": r["qty"], "date_acquired": r["date_acquired"], "date_sold": r["date_sold"],
             "proceeds": r["proceeds"], "cost_basis": r["cost_basis"],
             "wash_sale_disallowed": r["adjustment"] if r["code"] == "W" else "0.00", "box": r["box"]} for r in rows]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=GENERIC)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_one_basis_one_missing_one_extra(sample: Run, tmp_path: Path) -> None:
    """Done-when: a broker file that differs in one basis, one missing row and one extra row reports
    exactly those three, with codes."""
    ledger = sample("report", "8949", "--year", "2025", "--json").json()
    broker = _broker_rows(ledger)
    assert broker[7]["asset"] == "VTI" and broker[7]["cost_basis"] == "1100.00"
    broker[7]["cost_basis"] = "1000.00"  # row 8: the broker's basis is wrong
    missing = broker.pop(3)  # row 4 (1.2 SOL) not on the broker's file
    broker.append({"asset": "MSFT", "qty": "3", "date_acquired": "2024-01-05", "date_sold": "2025-07-01",
                   "proceeds": "1200.00", "cost_basis": "1100.00", "wash_sale_disallowed": "", "box": "A"})
    done = sample("reconcile", "--year", "2025", str(_write(tmp_path / "b.csv", broker)), "--json")
    assert done.code == 0, done.err
    result = json.loads(done.out)
    assert result["year"] == 2025 and result["matched"] == 12
    [difference] = result["differences"]
    assert difference["fields"] == ["cost_basis"] and difference["codes"] == {"cost_basis": "B"}
    assert difference["code"] == "B"
    assert difference["broker"]["cost_basis"] == "1000.00" and difference["broker"]["line"] == 8
    assert difference["ledger"]["cost_basis"] == "1100.00" and difference["ledger"]["row"] == 8
    assert [b["asset"] for b in result["only_broker"]] == ["MSFT"]
    assert result["only_broker"][0]["line"] == 14
    [only_ledger] = result["only_ledger"]
    assert (only_ledger["row"], only_ledger["description"]) == (4, "1.2 SOL")
    assert missing["qty"] == "1.2"


def test_an_agreeing_broker_file_has_no_differences(sample: Run, tmp_path: Path) -> None:
    for year in (2022, 2023, 2024, 2025):
        ledger = sample("report", "8949", "--year", str(year), "--json").json()
        path = _write(tmp_path / f"{year}.csv", _broker_rows(ledger))
        result = sample("reconcile", "--year", str(year), str(path), "--json").json()
        assert result == {"year": year, "matched": len(ledger), "differences": [], "only_broker": [],
                          "only_ledger": [], "matched_by_sale": 0, "sales": []}


def test_codes_for_each_field(sample: Run, tmp_path: Path) -> None:
    """T for the term, W for the wash sale, E/O for proceeds, none for the date acquired or the box."""
    ledger = sample("report", "8949", "--year", "2025", "--json").json()
    broker = _broker_rows(ledger)
    broker[0] = {**broker[0], "box": "C", "date_acquired": "VARIOUS"}  # 0.1 BTC, L: long -> short box
    broker[1] = {**broker[1], "wash_sale_disallowed": "0.00", "proceeds": "1890.00"}  # AAPL: W 170 missing, +10
    broker[2] = {**broker[2], "proceeds": "4800.00", "date_acquired": "2022-11-03"}
    broker[5] = {**broker[5], "box": "F"}  # 0.5635 ETH: L, same term
    result = sample("reconcile", "--year", "2025", str(_write(tmp_path / "b.csv", broker)), "--json").json()
    got = [(d["ledger"]["row"], d["codes"], d["code"]) for d in result["differences"]]
    assert got == [
        (1, {"term": "T"}, "T"),
        (2, {"proceeds": "E", "wash_sale_disallowed": "W"}, "EW"),
        (3, {"date_acquired": "", "proceeds": "O"}, "O"),
        (6, {"box": ""}, ""),
    ]


def test_schwab_composite_fixture(sample: Run) -> None:
    result = sample("reconcile", "--year", "2025", "--format", "schwab", "--wallet", "schwab",
                    str(BROKER / "schwab-1099-composite-2025.csv"), "--json").json()
    assert result == {"year": 2025, "matched": 3, "differences": [], "only_broker": [], "only_ledger": [],
                      "matched_by_sale": 0, "sales": []}


def test_schwab_rows_are_read_field_by_field(tmp_path: Path) -> None:
    from gainlog.api.broker_files import read_broker_file

    rows = read_broker_file(BROKER / "schwab-1099-composite-2025.csv", "schwab")
    assert [(r.line, r.asset, r.qty, r.date_acquired, r.date_sold, r.proceeds, r.cost_basis,
             r.wash_sale_disallowed, r.term) for r in rows][0] == (
        10, "AAPL", Decimal(10), date(2024, 8, 5), date(2025, 4, 3), Decimal("1880.00"), Decimal("2050.00"),
        Decimal("170.00"), "short")
    assert len(rows) == 3
    assert [r.box for r in rows] == ["A", "D", "D"]  # Form 8949 Code, the box column of Schwab's CSV


def test_1099da_fixture(sample: Run) -> None:
    """The 2025 Coinbase 1099-DA: gross proceeds, no basis (box H/K); one sale's proceeds include the fee."""
    result = sample("reconcile", "--year", "2025", "--format", "1099da", "--wallet", "coinbase",
                    str(BROKER / "coinbase-1099da-2025.csv"), "--json").json()
    assert result["matched"] == 6 and result["only_broker"] == [] and result["only_ledger"] == []
    [d] = result["differences"]
    assert (d["broker"]["line"], d["broker"]["box"], d["broker"]["cost_basis"]) == (4, "K", "")
    assert (d["fields"], d["code"], d["ledger"]["proceeds"]) == (["proceeds"], "E", "4876.00")


def test_human_output(sample: Run) -> None:
    done = sample("reconcile", "--year", "2025", "--format", "1099da", "--wallet", "coinbase",
                  str(BROKER / "coinbase-1099da-2025.csv"))
    assert done.code == 0
    assert done.out.startswith("6 broker rows matched, 1 with differences, 0 only at the broker, "
                               "0 only in the ledger\n")
    assert "4880.00" in done.out and "4876.00" in done.out


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("asset,qty\nBTC,1\n", "generic",
         "the header of this generic file has no column date_acquired, date_sold, proceeds, cost_basis"),
        (",".join(GENERIC) + "\nBTC,1,2024-01-01,2025-13-01,10,5,,\n", "generic",
         ":2: column 'date_sold': '2025-13-01' is not a date (YYYY-MM-DD or MM/DD/YYYY)"),
        (",".join(GENERIC) + "\nBTC,-1,2024-01-01,2025-01-01,10,5,,\n", "generic",
         ":2: column 'qty': '-1' is not a quantity above zero"),
        (",".join(GENERIC) + "\nBTC,1,2024-01-01,2025-01-01,ten,5,,\n", "generic",
         ":2: column 'proceeds': 'ten' is not an amount"),
        (",".join(GENERIC) + "\nBTC,1,2024-01-01,2025-01-01,10,5,,Z\n", "generic",
         ":2: column 'box': 'Z' is not a Form 8949 box (A to L)"),
        ("a,b\n1,2\n", "schwab", "no line \"Form 1099 B\": not the CSV of a Schwab 1099 Composite"),
    ],
)
def test_bad_broker_files(sample: Run, tmp_path: Path, text: str, fmt: str, message: str) -> None:
    path = tmp_path / "b.csv"
    path.write_text(text, encoding="utf-8")
    done = sample("reconcile", "--year", "2025", "--format", fmt, str(path))
    assert done.code == 2 and done.err.count("\n") == 1
    assert done.err.startswith(f"gainlog: {path}") and message in done.err, done.err


def test_unknown_layout(sample: Run, tmp_path: Path) -> None:
    done = sample("reconcile", "--year", "2025", "--format", "fidelity", str(BROKER / "coinbase-1099da-2025.csv"))
    assert (done.code, done.err) == (2, "gainlog: --format 'fidelity': give one of generic, schwab, 1099da, 1099-b\n")


def test_human_output_lines_without_rich_per_line(sample: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #19: a year's rows the broker lacks are one line each, written off a terminal without rich
    (a 200,000-event ledger's 24,758 lines took 4.7 s, 2.7 s without), in the same text as before."""
    from rich.console import Console

    json_out = sample("reconcile", "--year", "2025", "--format", "1099da", str(BROKER / "coinbase-1099da-2025.csv"),
                      "--json").json()
    calls: list[object] = []
    original = Console.print
    monkeypatch.setattr(Console, "print", lambda self, *a, **k: (calls.append(a), original(self, *a, **k)))
    done = sample("reconcile", "--year", "2025", "--format", "1099da", str(BROKER / "coinbase-1099da-2025.csv"))
    assert done.code == 0 and len(calls) == 1  # the summary line; the table and the lines written plain
    only = [line for line in done.out.splitlines() if line.startswith("only in the ledger: ")]
    assert len(only) == len(json_out["only_ledger"]) > 0
    first = json_out["only_ledger"][0]
    assert only[0] == (f"only in the ledger: 8949 row {first['row']}: {first['description']} sold "
                       f"{first['date_sold']}, proceeds {first['proceeds']} (box {first['box']})")
