"""`gainlog lots` (CONTRACT §1, §3): open lots at the end of a date, JSON rows, the human table, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

GAINLOG = str(Path(sys.executable).parent / "gainlog")
LEDGER = """\
{"type":"method","method":"HIFO","from":"2019-01-01"}
{"type":"buy","id":"l2019","at":"2019-05-01","wallet":"GHI","asset":"XYZ","qty":"10","price":"1"}
{"type":"buy","id":"l2020","at":"2020-05-01","wallet":"GHI","asset":"XYZ","qty":"14","price":"5"}
{"type":"transfer","at":"2024-06-01","from":"GHI","to":"XYZ","asset":"XYZ","qty":"4"}
{"type":"buy","at":"2025-01-10","wallet":"schwab","asset":"ACME","class":"stock","qty":"100","price":"50"}
{"type":"sell","at":"2025-06-02","wallet":"schwab","asset":"ACME","qty":"100","price":"40"}
{"type":"buy","id":"rep","at":"2025-06-20","wallet":"schwab","asset":"ACME","qty":"60","total":"2520"}
"""


def _run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GAINLOG, "--db", str(db), *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lots")
    (folder / "l.jsonl").write_text(LEDGER)
    path = folder / "t.db"
    assert _run(path, "init").returncode == 0
    assert _run(path, "import", str(folder / "l.jsonl")).returncode == 0
    return path


def test_year_end_2024_shows_the_universal_pool(db: Path) -> None:
    # R3.3: before the 2025 allocation the pool is shown with wallet `*`
    out = _run(db, "lots", "--year-end", "2024", "--json")
    rows = json.loads(out.stdout)
    assert [(r["wallet"], r["qty"], r["cost_basis"], r["date_acquired"]) for r in rows] == [
        ("*", "10", "10.00", "2019-05-01"),
        ("*", "14", "70.00", "2020-05-01"),
    ]
    assert set(rows[0]) >= {"asset", "wallet", "qty", "cost_basis", "date_acquired", "lot", "class"}
    assert rows[0]["lot"] == "l.jsonl:l2019" and rows[0]["class"] == "crypto"


def test_after_allocation_and_wash_sale(db: Path) -> None:
    # R-E5 allocation and R-E6 replacement lot: basis 3,120, date 2025-01-28, adjustment 600
    rows = json.loads(_run(db, "lots", "--on", "2025-12-31", "--json").stdout)
    assert [(r["asset"], r["wallet"], r["qty"], r["cost_basis"], r["date_acquired"]) for r in rows] == [
        ("ACME", "schwab", "60", "3120.00", "2025-01-28"),
        ("XYZ", "GHI", "10", "10.00", "2019-05-01"),
        ("XYZ", "GHI", "10", "50.00", "2020-05-01"),
        ("XYZ", "XYZ", "4", "20.00", "2020-05-01"),
    ]
    assert rows[0]["wash_adjustment"] == "600.00" and rows[0]["class"] == "stock"


def test_human_table_has_totals(db: Path) -> None:
    out = _run(db, "lots", "--on", "2025-12-31")
    assert out.returncode == 0
    assert "XYZ total" in out.stdout and "3200.00" in out.stdout


def test_on_and_year_end_together_is_a_usage_error(db: Path) -> None:
    out = _run(db, "lots", "--on", "2025-01-01", "--year-end", "2024")
    assert out.returncode != 0 and "either --on" in out.stderr and "Traceback" not in out.stderr
