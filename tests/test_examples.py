"""The worked examples in fixtures/examples as CLI tests: init, import, then each check's command.

Amounts compare as decimals to the cent; a list under `expect` means each listed row must appear
among the output rows (CONTRACT §3; examples/README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import matches

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"
GAINLOG = [sys.executable, "-c", "from gainlog.cli.main import run; run()"]
CASES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "expected.json").exists())


def gainlog(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*GAINLOG, "--db", str(db), *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.parametrize("case", CASES)
def test_example(case: str, tmp_path: Path) -> None:
    folder = EXAMPLES / case
    steps = json.loads((folder / "expected.json").read_text())["steps"]
    db = tmp_path / "ledger.db"
    gainlog(db, "init")
    checks = 0
    for step in steps:
        if "import" in step:
            gainlog(db, "import", str(folder / step["import"]))
        else:
            output = json.loads(gainlog(db, *step["check"], "--json").stdout)
            assert matches(step["expect"], output), (step["check"], output)
            checks += 1
    assert checks > 0


def test_examples_exist() -> None:
    assert set(CASES) >= {
        "crypto_loss_offsets_stock_gain",
        "large_loss_carryforward",
        "net_gain",
        "trade_fees",
    }


def test_matcher_rejects_wrong_values() -> None:
    assert matches({"gain": "-5000", "term": "short"}, {"gain": "-5000.00", "term": "short", "x": 1})
    assert not matches({"gain": "-5000"}, {"gain": "-5000.01"})
    assert not matches([{"asset": "BTC"}], [{"asset": "ETH"}])
    assert not matches({"term": "short"}, {"term": "long"})
