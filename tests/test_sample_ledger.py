"""The bundled sample ledger (fixtures/sample/events.jsonl) is valid, realistic and imports.

Every line validates exactly as `import` does; ids are unique; no wallet ever goes below zero in
any asset (R3.5: a valid ledger never oversells, so it means the same under the universal pool
before 2025, R3.3, and per wallet from 2025-01-01, R3.4); and it covers what the demo shows.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from gainlog.ledger.codec import decode_line
from gainlog.ledger.events import Buy, Event, Income, Profile, Sell, Transfer, WalletInfo, tag_of
from helpers import negative_balances

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample" / "events.jsonl"
UTC = ZoneInfo("UTC")


def sample_events() -> list[Event]:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    return [decode_line(line, tz=UTC, where=f"{SAMPLE.name}:{n}") for n, line in enumerate(lines, 1)]


def test_every_line_validates_and_ids_are_unique() -> None:
    events = sample_events()
    assert 40 <= len(events) <= 60
    ids = Counter(e.id for e in events)
    assert None not in ids
    assert [i for i, n in ids.items() if n > 1] == []
    assert sum(e.note is not None for e in events) > len(events) / 2


def test_no_wallet_ever_holds_less_than_zero() -> None:  # R3.3, R3.4, R3.5
    assert negative_balances(sample_events()) == []


def test_covers_what_the_demo_shows() -> None:
    events = sample_events()
    tags = Counter(tag_of(e) for e in events)
    assert {"buy", "sell", "swap", "transfer", "fee", "income", "profile", "wallet", "method"} <= tags.keys()
    assets = {e.asset for e in events if isinstance(e, Buy)}
    assert {"BTC", "ETH", "SOL", "AAPL", "VTI"} <= assets
    classes = {e.asset: e.class_ for e in events if isinstance(e, Buy) and e.class_}
    assert classes["AAPL"] == classes["VTI"] == "stock"
    assert classes["BTC"] == classes["ETH"] == classes["SOL"] == "crypto"
    assert any(isinstance(e, Transfer) and e.fee_qty and e.fee_value for e in events)  # R2.6
    assert any(isinstance(e, Income) and e.kind == "staking" for e in events)  # R7.1
    assert any(isinstance(e, WalletInfo) and e.wallet == "schwab" and e.reports == "1099-B" for e in events)
    assert {e.year for e in events if isinstance(e, Profile)} >= {2022, 2023}
    assert any(isinstance(e, Sell) and e.lots for e in events)  # R3.1 specific identification


def test_has_a_stock_wash_sale() -> None:  # R4.1: a stock loss sale, then a repurchase within 30 days
    events = sample_events()
    buys = [e for e in events if isinstance(e, Buy) and e.asset == "AAPL"]
    sale = next(e for e in events if isinstance(e, Sell) and e.id == "aapl-sell-2022-09")
    assert sale.price is not None and sale.price < Decimal(170)  # bought at 170: a loss
    assert any(0 < (b.at - sale.at).days <= 30 for b in buys)


def test_imports_with_the_cli(tmp_path: Path) -> None:
    gainlog = [str(Path(sys.executable).parent / "gainlog"), "--db", str(tmp_path / "sample.db")]
    subprocess.run([*gainlog, "init"], check=True, capture_output=True)
    done = subprocess.run([*gainlog, "import", str(SAMPLE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
