"""The synthetic ledger generator (fixtures/generate.py, issue #7) makes valid, realistic ledgers.

Deterministic per seed; every line is a canonical event (CONTRACT §2) that validates exactly as
`import` does; no wallet ever sells, swaps, transfers or spends more than it holds (R3.5); at most
50 assets and 10 wallets; stocks only in broker accounts, each asset classed on its first buy.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from gainlog.fixtures.generate import BROKERS, generate, rp2_oracle_events
from gainlog.ledger.codec import canonical_body, decode_line
from gainlog.ledger.events import Buy, Event, Fee, Income, Sell, Swap, Transfer, WalletInfo, assets_of, tag_of
from helpers import negative_balances

UTC = ZoneInfo("UTC")
N = 3000


def decoded(lines: list[bytes]) -> list[Event]:
    return [decode_line(line, tz=UTC, where=f"generated:{n}") for n, line in enumerate(lines, 1)]


@pytest.fixture(scope="module")
def lines() -> list[bytes]:
    return list(generate(N, seed=7))


@pytest.fixture(scope="module")
def events(lines: list[bytes]) -> list[Event]:
    return decoded(lines)


def test_same_seed_same_bytes_other_seed_other_bytes(lines: list[bytes]) -> None:
    assert list(generate(N, seed=7)) == lines
    assert list(generate(N, seed=8)) != lines
    assert list(generate(500, seed=7, one_asset=True)) == list(generate(500, seed=7, one_asset=True))


def test_exact_count_and_every_line_is_canonical(lines: list[bytes], events: list[Event]) -> None:
    assert len(lines) == N
    assert all(canonical_body(e) == line for e, line in zip(events, lines, strict=True))


def test_no_wallet_ever_goes_negative(events: list[Event]) -> None:  # R3.5
    assert negative_balances(events) == []


def test_every_event_type_listed(events: list[Event]) -> None:
    tags = Counter(tag_of(e) for e in events)
    assert {"buy", "sell", "swap", "transfer", "income", "fee", "method", "profile", "wallet"} <= tags.keys()
    assert tags["buy"] > N / 5 and tags["sell"] > N / 5
    assert any(isinstance(e, Transfer) and e.fee_qty is not None for e in events)  # R2.6
    assert {e.kind for e in events if isinstance(e, Income)} >= {"staking", "mining", "airdrop"}


def test_at_most_50_assets_and_10_wallets(events: list[Event]) -> None:
    assets = {a for e in events for a in assets_of(e)}
    wallets: set[str] = set()
    for e in events:
        match e:
            case Transfer():
                wallets |= {e.from_, e.to}
            case Buy() | Sell() | Swap() | Income() | WalletInfo():
                wallets.add(e.wallet)
    assert 30 <= len(assets) <= 50
    assert len(wallets) <= 10


def test_stocks_stay_at_brokers_and_each_asset_is_classed_first(events: list[Event]) -> None:
    first: dict[str, Event] = {}
    for e in events:
        if isinstance(e, Buy | Sell | Swap | Transfer | Income | Fee):  # trades: settings have no time
            for a in assets_of(e):
                first.setdefault(a, e)
    for asset, e in first.items():
        assert isinstance(e, Buy) and e.class_ == ("stock" if asset.startswith("S") else "crypto"), e
    for e in events:
        if isinstance(e, Buy | Sell) and e.asset.startswith("S"):
            assert e.wallet in BROKERS


def test_times_strictly_increase_within_the_span(events: list[Event]) -> None:
    times = [e.at for e in events if isinstance(e, Buy | Sell | Swap | Transfer | Income)]
    assert all(a < b for a, b in zip(times, times[1:], strict=False))
    assert date(2018, 1, 1) <= times[0].date() and times[-1].date() <= date(2026, 6, 30)


def test_amounts_have_at_most_8_decimals_and_prices_2(events: list[Event]) -> None:
    for e in events:
        if isinstance(e, Buy | Sell):
            assert -e.qty.as_tuple().exponent <= 8  # type: ignore[operator]
            assert e.price is not None and -e.price.as_tuple().exponent <= 2  # type: ignore[operator]


def test_one_asset_case_is_buys_and_fee_less_sells_in_one_wallet() -> None:
    lines = list(generate(2000, seed=1, one_asset=True))
    events = decoded(lines)
    assert {tag_of(e) for e in events} == {"buy", "sell"}
    assert {(e.wallet, e.asset) for e in events if isinstance(e, Buy | Sell)} == {("coinbase", "BTC")}
    assert all(e.fee is None for e in events if isinstance(e, Sell))  # RP2 ignores USD sale fees
    assert negative_balances(events) == []
    oracle = rp2_oracle_events(lines)
    assert oracle["method"] == "fifo" and len(oracle["events"]) == 2000
    assert oracle["events"][0]["time"].endswith("+00:00")


def test_cli_command_writes_the_same_file(tmp_path: Path) -> None:
    out = tmp_path / "g.jsonl"
    gainlog = str(Path(sys.executable).parent / "gainlog")
    subprocess.run([gainlog, "generate", "--events", "300", "--seed", "5", "--out", str(out)], check=True,
                   capture_output=True)
    assert out.read_bytes() == b"".join(line + b"\n" for line in generate(300, seed=5))


def test_module_main_writes_the_ledger_and_the_rp2_input(tmp_path: Path) -> None:
    from gainlog.fixtures.generate import main

    out, rp2 = tmp_path / "one.jsonl", tmp_path / "oracle.json"
    argv = ["--events", "50", "--seed", "2", "--out", str(out), "--one-asset", "--rp2-json", str(rp2)]
    assert main(argv) == 0
    assert out.read_bytes().splitlines() == list(generate(50, seed=2, one_asset=True))
    assert '"method": "fifo"' in rp2.read_text(encoding="utf-8")
