"""`gainlog report 8949 | schedule-d | income | all` end to end (CONTRACT §1, §3)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import matches

GAINLOG = [sys.executable, "-c", "from gainlog.cli.main import run; run()"]
ROW_KEYS = [
    "description",
    "asset",
    "qty",
    "wallet",
    "lot",
    "date_acquired",
    "date_sold",
    "proceeds",
    "cost_basis",
    "code",
    "adjustment",
    "gain",
    "term",
    "box",
]
SCHEDULE_D_KEYS = [
    "year",
    "filing_status",
    "short_term",
    "long_term",
    "carryover_in",
    "net_short_term",
    "net_long_term",
    "net",
    "deduction",
    "carryover_out",
    "warnings",
]
LEDGER = [
    {"type": "profile", "year": 2024, "filing_status": "single", "taxable_income": "-1200"},
    {
        "type": "buy",
        "id": "b1",
        "at": "2023-01-10",
        "wallet": "schwab",
        "asset": "ACME",
        "class": "stock",
        "qty": "100",
        "price": "100",
    },
    {
        "type": "buy",
        "id": "b2",
        "at": "2024-01-10",
        "wallet": "cb",
        "asset": "BTC",
        "qty": "1",
        "price": "3000",
    },
    # R-E8 b through the ledger: line 7 = -1,000, line 15 = -9,000, taxable income -1,200
    {
        "type": "sell",
        "id": "s1",
        "at": "2024-03-01",
        "wallet": "cb",
        "asset": "BTC",
        "qty": "1",
        "price": "2000",
    },
    {
        "type": "sell",
        "id": "s2",
        "at": "2024-06-03",
        "wallet": "schwab",
        "asset": "ACME",
        "qty": "100",
        "price": "10",
    },
    {
        "type": "income",
        "id": "i1",
        "at": "2025-02-01",
        "wallet": "cb",
        "asset": "ETH",
        "qty": "0.1",
        "value": "300.005",
        "kind": "staking",
    },
    {
        "type": "income",
        "id": "i2",
        "at": "2025-03-01",
        "wallet": "cb",
        "asset": "ETH",
        "qty": "0.05",
        "value": "100",
        "kind": "airdrop",
    },
    {"type": "wallet", "wallet": "cb", "reports": "1099-DA", "from": "2025-01-01"},
    {
        "type": "sell",
        "id": "s3",
        "at": "2025-05-01",
        "wallet": "cb",
        "asset": "ETH",
        "qty": "0.15",
        "price": "3000.333",
    },
]


def gainlog(db: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*GAINLOG, "--db", str(db), *args], capture_output=True, text=True, check=False)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def as_json(db: Path, *args: str) -> Any:
    return json.loads(gainlog(db, *args, "--json").stdout)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    path = folder / "ledger.db"
    events = folder / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in LEDGER))
    gainlog(path, "init")
    gainlog(path, "import", str(events))
    return path


def test_schedule_d_json_is_the_contract(db: Path) -> None:
    # R-E8 b: L4 = 1,800, short 0, long 8,200; CONTRACT §3 keys in order
    sd = as_json(db, "report", "schedule-d", "--year", "2024")
    assert list(sd) == SCHEDULE_D_KEYS
    assert sd["short_term"] == {
        "proceeds": "2000.00",
        "cost_basis": "3000.00",
        "adjustments": "0.00",
        "gain": "-1000.00",
    }
    assert (sd["net"], sd["deduction"], sd["carryover_out"]) == (
        "-10000.00",
        "3000.00",
        {"short_term": "0.00", "long_term": "8200.00"},
    )


def test_next_year_takes_the_carryover(db: Path) -> None:
    # R5.4: carryover_out(2024) == carryover_in(2025)
    sd = as_json(db, "report", "schedule-d", "--year", "2025")
    assert sd["carryover_in"] == {"short_term": "0.00", "long_term": "8200.00"}
    # sums of the rounded rows: 300.03 + 150.02 proceeds, 300.01 + 100.00 basis
    assert matches(
        {
            "short_term": {"proceeds": "450.05", "cost_basis": "400.01", "gain": "50.04"},
            "net": "-8149.96",
            "deduction": "3000.00",
            "carryover_out": {"short_term": "0", "long_term": "5149.96"},
        },
        sd,
    )


def test_8949_rows_and_boxes(db: Path) -> None:
    # R6.1-R6.2: 2024 stock covered -> D, 2024 crypto -> C; 2025 crypto with 1099-DA, noncovered -> H
    rows_2024 = as_json(db, "report", "8949", "--year", "2024")
    assert [r["box"] for r in rows_2024] == ["C", "D"]
    assert [list(r)[:14] for r in rows_2024] == [ROW_KEYS, ROW_KEYS]
    assert rows_2024[1]["lot"].endswith(":b1") and rows_2024[1]["description"] == "100 ACME"
    rows_2025 = as_json(db, "report", "8949", "--year", "2025")
    assert [(r["qty"], r["box"], r["proceeds"], r["cost_basis"], r["gain"]) for r in rows_2025] == [
        ("0.1", "H", "300.03", "300.01", "0.02"),
        ("0.05", "H", "150.02", "100.00", "50.02"),
    ]


def test_8949_csv_and_whole_dollars(db: Path) -> None:
    # R6.3-R6.4
    table = list(csv.reader(io.StringIO(gainlog(db, "report", "8949", "--year", "2025", "--csv").stdout)))
    assert table[1] == [
        "I",
        "H",
        "0.1 ETH",
        "2025-02-01",
        "2025-05-01",
        "300.03",
        "300.01",
        "",
        "0.00",
        "0.02",
    ]
    whole = gainlog(db, "report", "8949", "--year", "2025", "--csv", "--whole-dollars").stdout
    assert list(csv.reader(io.StringIO(whole)))[1][5:] == ["300", "300", "", "0", "0"]


def test_income_report(db: Path) -> None:
    # R7.1: ordinary income at fair market value; rows rounded, totals of rounded rows
    report = as_json(db, "report", "income", "--year", "2025")
    assert (report["year"], report["total"], report["by_kind"]) == (
        2025,
        "400.01",
        {"airdrop": "100.00", "staking": "300.01"},
    )
    assert matches(
        [
            {
                "date": "2025-02-01",
                "asset": "ETH",
                "qty": "0.1",
                "value": "300.01",
                "kind": "staking",
                "wallet": "cb",
            }
        ],
        report["rows"],
    )
    assert as_json(db, "report", "income", "--year", "2024")["total"] == "0.00"


def test_as_of_replays_what_was_known(db: Path) -> None:
    # CONTRACT §1: --as-of 4 knows only the profile, both buys and the BTC sale.
    # R5.3 with taxable income -1,200: L3 = max(0, -1,200 + 1,000) = 0 = L4 -> the whole 1,000 carries
    sd = as_json(db, "report", "schedule-d", "--year", "2024", "--as-of", "4")
    assert (sd["net"], sd["deduction"], sd["carryover_out"]) == (
        "-1000.00",
        "1000.00",
        {"short_term": "1000.00", "long_term": "0.00"},
    )


def test_report_all_writes_every_year(db: Path, tmp_path: Path) -> None:
    # CONTRACT §1: DIR/YEAR/... from the first event's year on, in one run
    gainlog(db, "report", "all", "--out", str(tmp_path))
    years = sorted(p.name for p in tmp_path.iterdir() if p.name != "manifest.json")  # issue #18 adds it
    assert years == ["2023", "2024", "2025", "2026"]  # 2025 carries a loss out: 2026 shows it landing
    for year in years:
        assert sorted(p.name for p in (tmp_path / year).iterdir()) == [
            "form8949.csv",
            "form8949.json",
            "income.json",
            "report.html",  # issue #15: the year at a glance
            "schedule_d.json",
        ]
    assert json.loads((tmp_path / "2024" / "schedule_d.json").read_text()) == as_json(
        db, "report", "schedule-d", "--year", "2024"
    )
    assert json.loads((tmp_path / "2025" / "form8949.json").read_text()) == as_json(
        db, "report", "8949", "--year", "2025"
    )


def test_human_output_and_errors(db: Path, tmp_path: Path) -> None:
    text = gainlog(db, "report", "schedule-d", "--year", "2024").stdout
    assert "Capital Loss Carryover Worksheet" in text and "8200.00" in text
    assert "Total" in gainlog(db, "report", "8949", "--year", "2024").stdout
    missing = gainlog(tmp_path / "none.db", "report", "schedule-d", "--year", "2024", ok=False)
    assert missing.returncode != 0 and "Traceback" not in missing.stderr


def test_report_all_json_summarises_what_it_wrote(tmp_path: Path) -> None:
    """CONTRACT §1: every reporting command takes --json; `report all --json` says what went where."""
    db = tmp_path / "x.db"
    gainlog(db, "init")
    events = tmp_path / "e.jsonl"
    events.write_text(
        '{"type":"buy","at":"2023-03-01T12:00:00Z","wallet":"k","asset":"ETH","qty":"10","price":"6000"}\n'
        '{"type":"sell","at":"2024-05-01T12:00:00Z","wallet":"k","asset":"ETH","qty":"10","price":"1000"}\n'
    )
    gainlog(db, "import", str(events))
    summary = as_json(db, "report", "all", "--out", str(tmp_path / "out"), "--json")
    assert [y["year"] for y in summary["years"]] == [2023, 2024, 2025]
    assert summary["years"][1]["net"] == "-50000.00"
    assert summary["years"][1]["carryover_out"] == {"short_term": "0.00", "long_term": "47000.00"}
    assert all(Path(f).is_file() for y in summary["years"] for f in y["files"])
