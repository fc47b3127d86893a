"""Parallel replay, sharded by asset (issue #19): `report all --jobs N` writes the same bytes as one process.

Generated ledgers (many seeds) mix stocks with wash sales, splits and a rename, crypto in several
wallets across the 2025 universal-to-wallet change, swaps (some valued from prices, some unpriced),
transfers with fees, income, fees, gifts, donations, unpaired legs, sales without lots (missing
basis), elections, policies, profiles and a carryover. The whole `report all` directory (every
year's 8949 CSV and JSON, Schedule D, income, report.html, the manifest) is compared by digest for
`--jobs` 1, 2 and 3; the shards really ran (not the one-process fallback) unless the ledger holds
what cannot be sharded, which falls back and still gives the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from gainlog.api import parallel
from gainlog.api.ledger_ops import import_file, init_ledger
from gainlog.api.report_files import Form8949Files, MissingBasis
from gainlog.api.reports import form8949, write_reports
from gainlog.cli.main import main
from gainlog.ledger.store import ASSET_TYPES, Store
from gainlog.projections import form8949 as f8949
from gainlog.projections import shards
from gainlog.projections.form8949 import JSON_BETWEEN, Row, make_row
from gainlog.projections.model import Slice
from gainlog.projections.rules.form_box import WalletReports, wallet_reports
from gainlog.projections.shards import plan
from gainlog.projections.tax_year import YearBoxes, add_rows
from hypothesis import given, settings
from hypothesis import strategies as st

STOCKS = ["AAA", "BBB", "CCC"]
CRYPTO = ["BTC", "ETH", "SOL", "ADA"]
WALLETS = ["coinbase", "kraken", "ledger"]
START = datetime(2022, 11, 1, tzinfo=UTC)


def _money(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low * 100, high * 100) / 100:.2f}"


def ledger_lines(seed: int, *, events: int = 260, messy: bool = False) -> list[dict[str, Any]]:
    """A random ledger. Before 2025 no crypto wallet gives more than it holds (else the 2025
    allocation to wallets reports problems, which cannot be sharded: see the fallback tests) unless
    `messy`; from 2025 on, and for stocks, sales may find no lots (missing basis), which is part of
    the test."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = [
        {"type": "profile", "id": "p22", "year": 2022, "filing_status": "single", "taxable_income": "70000"},
        {"type": "carryover", "id": "c23", "year": 2023, "short_term": "1500", "long_term": "250"},
        {"type": "method", "id": "m1", "method": "HIFO", "from": "2023-01-01", "asset": "ETH"},
        {"type": "method", "id": "m2", "method": "LIFO", "from": "2024-01-01", "wallet": "kraken"},
        {"type": "wallet", "id": "w1", "wallet": "schwab", "reports": "1099-B"},
    ]
    if seed % 3 == 0:
        out.append({"type": "policy", "id": "pol", "from": "2024-06-01", "wash_sale_crypto": True})
    if seed % 4 == 1:
        out.append({"type": "policy", "id": "pol2", "from": "2023-01-01", "transfer_fee": "carry"})
    held: dict[tuple[str, str], Decimal] = {}
    at = START

    def give(wallet: str, asset: str, qty: Decimal, stock: bool) -> Decimal:
        """`qty`, or what the wallet holds before 2025 (crypto); the holding goes down."""
        have = held.get((wallet, asset), Decimal(0))
        if not stock and at.year < 2025 and not messy:
            qty = min(qty, have)
        held[wallet, asset] = max(have - qty, Decimal(0))
        return qty

    def take(wallet: str, asset: str, qty: Decimal) -> None:
        held[wallet, asset] = held.get((wallet, asset), Decimal(0)) + qty

    for i in range(events):
        at += timedelta(hours=rng.randint(1, 200), minutes=rng.randint(0, 59))
        when = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        roll = rng.random()
        stock = rng.random() < 0.4
        asset = rng.choice(STOCKS if stock else CRYPTO)
        wallet = "schwab" if stock else rng.choice(WALLETS)
        key = f"e{i}"
        if roll < 0.30 or roll >= 0.96:
            qty = Decimal(rng.randint(1, 20))
            event: dict[str, Any] = {"type": "buy", "at": when, "wallet": wallet, "asset": asset,
                                     "qty": str(qty), "price": _money(rng, 5, 60)}
            if stock:
                event["class"] = "stock"
            take(wallet, asset, qty)
            out.append(event)
        elif roll < 0.55:
            qty = give(wallet, asset, Decimal(rng.randint(1, 12)), stock)
            if qty > 0:
                out.append({"type": "sell", "at": when, "wallet": wallet, "asset": asset, "qty": str(qty),
                            "price": _money(rng, 4, 60)})
        elif roll < 0.65:
            side, get = rng.sample(CRYPTO, 2)
            wallet = wallet if not stock else "coinbase"
            qty = give(wallet, side, Decimal(rng.randint(1, 5)), False)
            if qty > 0:
                got = Decimal(rng.randint(1, 9))
                take(wallet, get, got)
                swap = {"type": "swap", "at": when, "wallet": wallet, "give_asset": side, "give_qty": str(qty),
                        "get_asset": get, "get_qty": str(got)}
                if rng.random() < 0.7:
                    swap["value"] = _money(rng, 10, 300)
                out.append(swap)
        elif roll < 0.72 and not stock:
            to = rng.choice([w for w in WALLETS if w != wallet])
            qty = give(wallet, asset, Decimal(rng.randint(1, 6)), False)
            if qty > Decimal("0.01"):
                transfer = {"type": "transfer", "at": when, "from": wallet, "to": to, "asset": asset, "qty": str(qty)}
                fee = Decimal(0)
                if rng.random() < 0.5:
                    fee = Decimal("0.01")
                    transfer.update(fee_qty="0.01", fee_value=_money(rng, 0, 3))
                take(to, asset, qty - fee)
                out.append(transfer)
        elif roll < 0.78 and not stock:
            take(wallet, asset, Decimal("0.5"))
            out.append({"type": "income", "at": when, "wallet": wallet, "asset": asset, "qty": "0.5",
                        "kind": rng.choice(["staking", "mining", "airdrop"]),
                        **({"value": _money(rng, 1, 40)} if rng.random() < 0.6 else {})})
        elif roll < 0.82 and not stock:
            if give(wallet, asset, Decimal("0.1"), False) == Decimal("0.1"):
                out.append({"type": "fee", "at": when, "wallet": wallet, "asset": asset, "qty": "0.1",
                            "value": _money(rng, 0, 5)})
        elif roll < 0.88:
            out.append({"type": "price", "at": when, "asset": rng.choice(CRYPTO), "usd": _money(rng, 5, 60)})
        elif roll < 0.90 and not stock and at.year >= 2025:
            give(wallet, asset, Decimal(1), False)
            out.append({"type": "withdrawal", "at": when, "wallet": wallet, "asset": asset, "qty": "1", "id": key})
        elif roll < 0.92 and not stock and at.year >= 2025:
            take(wallet, asset, Decimal(1))
            out.append({"type": "deposit", "at": when, "wallet": wallet, "asset": asset, "qty": "1", "id": key})
        elif roll < 0.94:
            take(wallet, asset, Decimal(3))
            out.append({"type": "gift_in", "at": when, "wallet": wallet, "asset": asset, "qty": "3",
                        "donor_basis": _money(rng, 10, 100), "donor_acquired": "2020-05-01",
                        "fmv": _money(rng, 10, 100), **({"class": "stock"} if stock else {})})
        elif roll < 0.96 and give(wallet, asset, Decimal(1), stock) == 1:
            out.append({"type": "donate", "at": when, "wallet": wallet, "asset": asset, "qty": "1",
                        "fmv": _money(rng, 5, 50)})
        if i == events // 3:
            out.append({"type": "split", "at": when, "asset": "AAA", "ratio": "2"})
        if i == events // 2 and seed % 2 == 0:
            out.append({"type": "rename", "at": when, "asset": "BBB", "to": "BBX"})
    for n, event in enumerate(out):
        event.setdefault("id", f"x{n}")
    return out


def make_ledger(tmp: Path, lines: list[dict[str, Any]], *, timezone: str = "America/New_York") -> Path:
    db = tmp / "ledger.db"
    init_ledger(db, timezone=timezone)
    source = tmp / "events.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    import_file(db, source)
    return db


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def reports_digest(db: Path, out: Path, jobs: int) -> str:
    write_reports(db, out, jobs=jobs)
    return digest(out)


@pytest.fixture
def shard_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)


@pytest.mark.parametrize("seed", range(12))
def test_report_all_sharded_is_byte_identical(tmp_path: Path, seed: int, shard_always: None) -> None:
    db = make_ledger(tmp_path, ledger_lines(seed))
    one = reports_digest(db, tmp_path / "one", 1)
    _, how = parallel.stream_sharded(db, jobs=2)
    if how.reason:  # only what cannot be sharded falls back
        assert how.reason.startswith("a lots-unsatisfiable") or "problem" in how.reason, how.reason
    for jobs in (2, 3):
        assert reports_digest(db, tmp_path / f"jobs{jobs}", jobs) == one, jobs


def test_report_all_decodes_the_shards_income_once_the_workers_ended(
    tmp_path: Path, shard_always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The income rows are the one large thing the parent of a sharded `report all` decodes (about 70 MB
    at 1M events): decoded while the workers still held their memory, they lifted the run's peak over
    1 GB. They come encoded with each shard's part and are decoded once every worker has ended."""
    db = make_ledger(tmp_path, ledger_lines(3))
    one = reports_digest(db, tmp_path / "one", 1)
    calls: list[str] = []
    decode, stop = shards.merged_income, parallel.Workers.stop

    def merged_income(parts: list[shards.Part]) -> tuple[Any, ...]:
        calls.append("income decoded")
        return decode(parts)

    def stopped(workers: parallel.Workers, *, done: bool = False) -> None:
        if workers.processes:
            calls.append(f"{len(workers.processes)} workers ended")
        stop(workers, done=done)

    monkeypatch.setattr(shards, "merged_income", merged_income)
    monkeypatch.setattr(parallel.Workers, "stop", stopped)
    assert reports_digest(db, tmp_path / "two", 2) == one
    assert calls == ["2 workers ended", "income decoded"]
    assert any(json.loads(path.read_text())["rows"] for path in (tmp_path / "two").glob("*/income.json"))


def test_most_generated_ledgers_really_shard(tmp_path: Path, shard_always: None) -> None:
    """The property above is not met by falling back: most seeds run in several processes."""
    sharded = 0
    for seed in range(6):
        folder = tmp_path / str(seed)
        folder.mkdir()
        db = make_ledger(folder, ledger_lines(seed))
        _, how = parallel.stream_sharded(db, jobs=3)
        sharded += not how.reason and len(how.shards) > 1
    assert sharded >= 4


def test_wash_sales_cross_shards_and_a_rename_stays_in_one(tmp_path: Path, shard_always: None) -> None:
    """A stock sold at a loss and bought back washes (R4) in its shard; a rename's two symbols share one."""
    lines = [
        {"type": "buy", "id": "b1", "at": "2025-01-10T15:00:00Z", "wallet": "schwab", "asset": "XYZ", "qty": "100",
         "price": "50", "class": "stock"},
        {"type": "buy", "id": "b2", "at": "2025-01-11T15:00:00Z", "wallet": "schwab", "asset": "QQQ", "qty": "10",
         "price": "50", "class": "stock"},
        {"type": "buy", "id": "b3", "at": "2025-01-12T15:00:00Z", "wallet": "coinbase", "asset": "BTC", "qty": "1",
         "price": "90000"},
        {"type": "sell", "id": "s1", "at": "2025-06-02T15:00:00Z", "wallet": "schwab", "asset": "XYZ", "qty": "100",
         "price": "40"},
        {"type": "rename", "id": "r1", "at": "2025-06-10T15:00:00Z", "asset": "XYZ", "to": "XYZN"},
        {"type": "buy", "id": "b4", "at": "2025-06-20T15:00:00Z", "wallet": "schwab", "asset": "XYZN", "qty": "60",
         "price": "42", "class": "stock"},
        {"type": "sell", "id": "s2", "at": "2025-07-01T15:00:00Z", "wallet": "coinbase", "asset": "BTC", "qty": "1",
         "price": "80000"},
        {"type": "sell", "id": "s3", "at": "2025-07-02T15:00:00Z", "wallet": "schwab", "asset": "QQQ", "qty": "10",
         "price": "45"},
    ]
    db = make_ledger(tmp_path, lines)
    _, how = parallel.stream_sharded(db, jobs=3)
    assert how.reason == ""
    assert ["XYZ", "XYZN"] in how.shards and len(how.shards) == 3
    one = reports_digest(db, tmp_path / "one", 1)
    assert reports_digest(db, tmp_path / "three", 3) == one
    rows = json.loads((tmp_path / "three" / "2025" / "form8949.json").read_text())
    washed = [r for r in rows if r["code"] == "W"]
    assert [(r["description"], r["adjustment"]) for r in washed] == [("100 XYZ", "600.00")]


def test_unshardable_falls_back_to_one_process(tmp_path: Path, shard_always: None) -> None:
    """Names that differ only by case make an `asset-case` problem listed in an order over all
    assets: the replay runs in one process, with the same bytes."""
    lines = [
        {"type": "buy", "id": f"b{n}", "at": f"2024-03-0{n + 1}T15:00:00Z", "wallet": "coinbase", "asset": asset,
         "qty": "2", "price": "10"}
        for n, asset in enumerate(["BTC", "btc", "Zed", "zed", "ETH"])
    ] + [{"type": "sell", "id": "s1", "at": "2024-05-01T15:00:00Z", "wallet": "coinbase", "asset": "ETH",
          "qty": "1", "price": "12"}]
    db = make_ledger(tmp_path, lines)
    _, how = parallel.stream_sharded(db, jobs=2)
    assert how.reason == "a asset-case problem"
    assert how.shards == []
    assert reports_digest(db, tmp_path / "two", 2) == reports_digest(db, tmp_path / "one", 1)


@pytest.mark.parametrize("seed", range(3))
def test_messy_2025_allocation_falls_back_with_the_same_bytes(tmp_path: Path, seed: int, shard_always: None) -> None:
    """Wallets that gave more than they held before 2025: the 2025 allocation to wallets reports
    `unallocated-units` when the first trade of 2025 reaches it, which one shard does not see."""
    db = make_ledger(tmp_path, ledger_lines(seed, messy=True))
    _, how = parallel.stream_sharded(db, jobs=2)
    assert how.reason == "a unallocated-units problem" and how.shards == []
    assert reports_digest(db, tmp_path / "two", 2) == reports_digest(db, tmp_path / "one", 1)


def test_small_logs_and_one_job_run_in_one_process(tmp_path: Path) -> None:
    db = make_ledger(tmp_path, ledger_lines(1, events=40))
    assert parallel.stream_sharded(db, jobs=4)[1].reason == f"fewer than {parallel.PARALLEL_FROM:,} events"
    assert parallel.stream_sharded(db, jobs=1)[1].reason == "--jobs 1"


def test_report_8949_sharded(tmp_path: Path, shard_always: None) -> None:
    db = make_ledger(tmp_path, ledger_lines(7))
    for year in (2023, 2024, 2025):
        one = [r for rows in form8949(db, year, jobs=1).chunks for r in rows]
        two = [r for rows in form8949(db, year, jobs=2).chunks for r in rows]
        assert one == two and one


def test_cli_jobs(tmp_path: Path, shard_always: None, capsys: pytest.CaptureFixture[str]) -> None:
    db = make_ledger(tmp_path, ledger_lines(4))
    for jobs in ("1", "2"):
        assert main(["--db", str(db), "report", "all", "--out", str(tmp_path / jobs), "--jobs", jobs]) == 0
    assert digest(tmp_path / "1") == digest(tmp_path / "2")
    capsys.readouterr()
    assert main(["--db", str(db), "report", "8949", "--year", "2024", "--json", "--jobs", "2"]) == 0
    two = capsys.readouterr().out
    assert main(["--db", str(db), "report", "8949", "--year", "2024", "--json", "--jobs", "1"]) == 0
    assert capsys.readouterr().out == two
    assert main(["--db", str(db), "report", "all", "--out", str(tmp_path / "x"), "--jobs", "0"]) == 2
    assert "--jobs" in capsys.readouterr().err


def test_plan_keeps_linked_assets_together_and_balances() -> None:
    counts = {"A": 50, "B": 40, "C": 30, "D": 20, "d": 5, "E": 10}
    shards = plan(counts, [("C", "E")], 2)
    assert shards == [["A", "D", "d"], ["B", "C", "E"]]
    assert plan(counts, [], 1) == [sorted(counts)]
    assert plan({"A": 1}, [], 4) == [["A"]]


def test_a_failed_worker_falls_back_to_one_process(tmp_path: Path, shard_always: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db = make_ledger(tmp_path, ledger_lines(1, events=80))
    one = reports_digest(db, tmp_path / "one", 1)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no more processes")

    monkeypatch.setattr(parallel.Workers, "replay", broken)
    _, how = parallel.stream_sharded(db, jobs=2)
    assert how.reason == "a worker failed (OSError)"
    assert reports_digest(db, tmp_path / "two", 2) == one


def test_a_worker_failing_mid_stream_hands_over_to_one_process(
    tmp_path: Path, shard_always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that goes away after the rows began to flow: one process replays the log and goes
    on from the slice the merge had reached; the files (year-end lots in report.html included) are
    those of one process, and the workers are ended."""
    db = make_ledger(tmp_path, ledger_lines(2, events=400))
    one = reports_digest(db, tmp_path / "one", 1)
    monkeypatch.setattr(shards, "CHUNK", 5)
    streamed_slices = parallel.Workers.slices

    def failing(self: parallel.Workers, index: int, tails: Any) -> Iterator[Any]:
        for n, s in enumerate(streamed_slices(self, index, tails)):
            if index == 1 and n == 12:
                raise parallel.WorkerFailed("EOFError")
            yield s

    monkeypatch.setattr(parallel.Workers, "slices", failing)
    streamed, how = parallel.stream_sharded(db, jobs=2, year_ends=True)
    assert how.reason == "" and len(how.pids) == 2
    one_process = parallel.stream_sharded(db, jobs=1, year_ends=True)[0].replay
    expected = list(one_process.slices)
    assert len(expected) > 40
    assert list(streamed.replay.slices) == expected
    assert streamed.replay.year_end_lots == one_process.year_end_lots
    assert reports_digest(db, tmp_path / "two", 2) == one
    _ended(how.pids)


def _ended(pids: tuple[int, ...]) -> None:
    """Each of `pids` gone within a few seconds (the forkserver reaps its children)."""
    for pid in pids:
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"worker {pid} still runs")


@pytest.mark.parametrize("jobs", [2, 3])
def test_many_small_chunks_and_uneven_shards(tmp_path: Path, shard_always: None, monkeypatch: pytest.MonkeyPatch,
                                             jobs: int) -> None:
    """Workers send their slices 3 at a time: many messages, merged across shards as they come."""
    db = make_ledger(tmp_path, ledger_lines(5, events=300))
    one = reports_digest(db, tmp_path / "one", 1)
    monkeypatch.setattr(shards, "CHUNK", 3)
    _, how = parallel.stream_sharded(db, jobs=jobs)
    assert how.reason == "" and len(how.shards) == jobs
    assert reports_digest(db, tmp_path / f"jobs{jobs}", jobs) == one
    assert [r for rows in form8949(db, 2024, jobs=jobs).chunks for r in rows] == [
        r for rows in form8949(db, 2024, jobs=1).chunks for r in rows]


def test_a_shard_without_sales_streams_nothing(tmp_path: Path, shard_always: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """One shard sells 40 times, the other only buys: its stream is empty, its year-end lots still count."""
    lines = [{"type": "buy", "id": "b0", "at": "2024-01-02T15:00:00Z", "wallet": "w", "asset": "BTC", "qty": "100",
              "price": "10"}]
    lines += [{"type": "sell", "id": f"s{n}", "at": f"2024-02-{n % 28 + 1:02d}T{n % 10 + 10}:00:00Z", "wallet": "w",
               "asset": "BTC", "qty": "1", "price": str(9 + n % 3)} for n in range(40)]
    lines += [{"type": "buy", "id": f"h{n}", "at": f"2024-0{n + 3}-01T15:00:00Z", "wallet": "w", "asset": "HOLD",
               "qty": "2", "price": "5"} for n in range(3)]
    db = make_ledger(tmp_path, lines)
    monkeypatch.setattr(shards, "CHUNK", 7)
    _, how = parallel.stream_sharded(db, jobs=2)
    assert how.reason == "" and how.shards == [["BTC"], ["HOLD"]]
    assert reports_digest(db, tmp_path / "two", 2) == reports_digest(db, tmp_path / "one", 1)
    html = (tmp_path / "two" / "2024" / "report.html").read_text(encoding="utf-8")
    assert "HOLD" in html


def test_a_stream_read_in_part_ends_its_workers(tmp_path: Path, shard_always: None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`report 8949` reads the slices only up to its year: once the replay is dropped, the workers
    (blocked sending the rest) are ended."""
    db = make_ledger(tmp_path, ledger_lines(3, events=300))
    monkeypatch.setattr(shards, "CHUNK", 2)
    streamed, how = parallel.stream_sharded(db, jobs=2)
    assert how.reason == "" and len(how.pids) == 2
    first = next(streamed.replay.slices)
    assert first.date_sold.year == 2022
    del streamed
    _ended(how.pids)
    streamed, how = parallel.stream_sharded(db, jobs=2)  # never read at all
    del streamed
    _ended(how.pids)


def test_merge_reads_each_shards_slices_as_it_goes() -> None:
    """The merge pulls a shard's next slice only when it needs it: never all of them at once."""
    pulled = [0, 0]

    def stream(index: int, days: list[int]) -> Iterator[Slice]:
        for day in days:
            pulled[index] += 1
            yield _slice(date(2024, 1, day), seq=day)

    ends: dict[int, Any] = {}
    merged = shards.merge([shards.Part(), shards.Part()], [stream(0, [1, 3, 5, 7]), stream(1, [2, 4, 6, 8])], ends)
    assert merged is not None
    got = [next(merged.slices).seq for _ in range(3)]
    assert got == [1, 2, 3] and pulled == [2, 2]  # each the one it holds: 5 and 4 next
    assert [s.seq for s in merged.slices] == [4, 5, 6, 7, 8]
    assert merged.year_end_lots is ends


def _slice(sold: date, *, seq: int) -> Slice:
    at = datetime(sold.year, sold.month, sold.day, tzinfo=UTC)
    return Slice(seq=seq, event_key=f"e{seq}", kind="sell", order=0, asset="BTC", asset_class="crypto", wallet="w",
                 lot="", qty=Decimal(1), acquired_at=at, date_acquired=sold, sold_at=at, date_sold=sold,
                 proceeds=Decimal(1), basis=Decimal(1), term="short", covered=False)


def test_asset_counts_by_part_add_up_and_a_swap_counts_both_sides(tmp_path: Path) -> None:
    lines = [
        {"type": "buy", "id": "b1", "at": "2024-03-01T15:00:00Z", "wallet": "w", "asset": "BTC", "qty": "2",
         "price": "10"},
        {"type": "swap", "id": "s1", "at": "2024-03-02T15:00:00Z", "wallet": "w", "give_asset": "BTC",
         "give_qty": "1", "get_asset": "ETH", "get_qty": "3", "value": "10"},
        {"type": "price", "id": "p1", "at": "2024-03-03T15:00:00Z", "asset": "SOL", "usd": "5"},
        {"type": "sell", "id": "x1", "at": "2024-03-04T15:00:00Z", "wallet": "w", "asset": "ETH", "qty": "1",
         "price": "4"},
        {"type": "rename", "id": "r1", "at": "2024-03-05T15:00:00Z", "asset": "ETH", "to": "ETX"},
    ]
    db = make_ledger(tmp_path, lines)
    with Store.open(db) as store:
        seq = store.last_seq()
        whole = parallel.asset_counts(store.conn, 0, seq)
        assert whole == {"BTC": 2, "ETH": 3}  # the rename counts for its asset, the price for none
        halves = [parallel.asset_counts(store.conn, 0, 2), parallel.asset_counts(store.conn, 2, seq)]
        assert halves == [{"BTC": 2, "ETH": 1}, {"ETH": 2}]
        assert parallel.asset_links(store.conn, seq) == [("ETH", "ETX")]


def test_asset_links_are_read_in_one_scan(tmp_path: Path) -> None:
    """A rename's two names, a reorg's asset and each it becomes, a paired transfer's asset and each leg's
    (a leg of another name too), up to a seq: one statement, one scan of the log (three before)."""
    lines = [
        {"type": "buy", "id": "b", "at": "2024-01-01T15:00:00Z", "wallet": "A", "asset": "BTC", "qty": "2",
         "price": "5"},
        {"type": "withdrawal", "id": "w", "at": "2024-01-04T15:00:00Z", "wallet": "A", "asset": "BTC", "qty": "1"},
        {"type": "deposit", "id": "d", "at": "2024-01-04T16:00:00Z", "wallet": "B", "asset": "WBTC", "qty": "1"},
        {"type": "transfer", "id": "t", "at": "2024-01-04T15:00:00Z", "from": "A", "to": "B", "asset": "BTC",
         "qty": "1", "legs": ["events.jsonl:w", "events.jsonl:d"]},
        {"type": "transfer", "id": "u", "at": "2024-01-05T15:00:00Z", "from": "A", "to": "B", "asset": "BTC",
         "qty": "0.5"},
        {"type": "reorg", "id": "g", "at": "2024-06-01T15:00:00Z", "asset": "P",
         "into": [{"asset": "S", "qty_per_unit": "0.5", "basis_share": "0.25"},
                  {"asset": "T", "qty_per_unit": "1", "basis_share": "0.5"}]},
        {"type": "rename", "id": "r", "at": "2024-07-01T15:00:00Z", "asset": "ETH", "to": "ETX"},
    ]
    db = make_ledger(tmp_path, lines)
    with Store.open(db) as store:
        seq, statements = store.last_seq(), list[str]()
        store.conn.set_trace_callback(statements.append)
        links = parallel.asset_links(store.conn, seq)
        store.conn.set_trace_callback(None)
        assert sorted(links) == [("BTC", "BTC"), ("BTC", "WBTC"), ("ETH", "ETX"), ("P", "S"), ("P", "T")]
        assert len(statements) == 1
        assert sorted(parallel.asset_links(store.conn, 6)) == [("BTC", "BTC"), ("BTC", "WBTC"), ("P", "S"), ("P", "T")]
        assert parallel.asset_links(store.conn, 3) == []


@pytest.mark.parametrize("cores", [1, 2, 3, 8])
def test_jobs_default_is_the_usable_cores(monkeypatch: pytest.MonkeyPatch, cores: int) -> None:
    """A sharded `report all` leaves a checkpoint as one process does (tests/test_report_incremental.py),
    so `--jobs` defaults to every core this process may run on, two included."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert parallel.usable_cores() == cores
    assert parallel.default_jobs() == cores


def test_cli_report_all_on_two_cores_runs_in_two_processes(
    tmp_path: Path, shard_always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    seen: list[int] = []
    real = parallel.stream_sharded

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["jobs"])
        return real(*args, **kwargs)

    monkeypatch.setattr(parallel, "stream_sharded", spy)
    db = make_ledger(tmp_path, ledger_lines(2))
    assert main(["--db", str(db), "report", "all", "--out", str(tmp_path / "out")]) == 0
    assert seen == [2]


# -- report all: the rows' text made in the workers (shards.row_text, merge_texts, ShardRows) --------

ASSETS = st.sampled_from(["BTC", "ETH", "A,B", 'Q"T', "x\ny", "é€"])
CENTS = st.integers(-10**9, 10**9).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def disposals(draw: st.DrawFn) -> list[Row]:
    """Rows of a few disposals in 8949 order (date sold, seq), each disposal's rows of one asset."""
    out: list[Row] = []
    events = draw(st.lists(st.tuples(st.dates(date(2023, 12, 20), date(2025, 1, 10)), ASSETS,
                                     st.integers(1, 3)), max_size=40))
    for seq, (sold, asset, n) in enumerate(events, 1):
        for _ in range(n):
            proceeds, basis = draw(CENTS), draw(CENTS)
            term = draw(st.sampled_from(["short", "long"]))
            out.append(make_row(
                seq, f"k{seq}", "sell", asset, draw(st.decimals("0.00000001", "1000", places=8)),
                draw(st.sampled_from(["w", "w,2"])), f"k{seq}-lot", sold, sold, proceeds, basis,
                draw(st.sampled_from(["", "W"])), Decimal("0.00"), proceeds - basis, term,
                "I" if term == "short" else "II", draw(st.sampled_from(["A", "C", "H", "D", "F", "L"])),
                draw(st.booleans()),
            ))
    return sorted(out, key=lambda r: (r.date_sold, r.seq))


def _files(tmp: Path, runs: Iterable[tuple[int, Callable[[Form8949Files, MissingBasis], None]]]) -> dict[str, Any]:
    """Each year's 8949 files written by the `add` of each run, with the missing-basis numbers."""
    files: Form8949Files | None = None
    missing: dict[int, MissingBasis] = {}
    for year, add in runs:
        if files is None or files.year != year:
            if files is not None:
                files.close()
            files = Form8949Files(tmp, year)
        add(files, missing.setdefault(year, MissingBasis()))
    if files is not None:
        files.close()
    out: dict[str, Any] = {str(p.relative_to(tmp)): p.read_bytes() for p in sorted(tmp.rglob("*")) if p.is_file()}
    out["missing"] = {y: (m.count, m.rows) for y, m in missing.items()}
    return out


@settings(max_examples=60, deadline=None)
@given(rows=disposals(), size=st.integers(1, 6), jobs=st.integers(1, 3))
def test_merged_texts_write_the_bytes_of_one_process(rows: list[Row], size: int, jobs: int) -> None:
    """Rows split by asset into `jobs` shards, each shard's made into text `size` rows at a time
    (within a year), merged again: the 8949 files and the missing-basis numbers one process writes."""
    import tempfile

    def one(files: Form8949Files, missing: MissingBasis, chunk: list[Row]) -> None:
        missing.add(chunk)
        files.add(chunk)

    def merged(files: Form8949Files, missing: MissingBasis, run: shards.MergedText) -> None:
        missing.add_numbers(run.count, run.missing)
        files.add_text(run)

    def chunked(part: list[Row]) -> Iterator[list[Row]]:
        for _, year_rows in itertools.groupby(part, key=lambda r: r.date_sold.year):
            chunk = list(year_rows)
            for i in range(0, len(chunk), size):
                yield chunk[i:i + size]

    assets = sorted({r.asset for r in rows})
    parts = [[r for r in rows if assets.index(r.asset) % jobs == j] for j in range(jobs)]
    streams = [(shards.row_text(c) for c in chunked(p)) for p in parts]
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        expected = _files(Path(a), ((c[0].date_sold.year, functools.partial(one, chunk=c)) for c in chunked(rows)))
        got = _files(Path(b), ((run.year, functools.partial(merged, run=run)) for run in shards.merge_texts(streams)))
    assert got == expected


def test_merge_texts_reads_a_chunk_of_each_shard_at_a_time() -> None:
    """A run is every row up to the smallest last key at hand: never more than one chunk per shard held."""
    pulled = [0, 0]

    def stream(index: int, chunks: list[list[int]]) -> Iterator[shards.RowText]:
        for days in chunks:
            pulled[index] += 1
            keys = [date(2024, 1, d).toordinal() << 40 for d in days]
            yield shards.RowText(year=2024, keys=keys, json=[str(d) for d in days],
                                 csv=[f"{d}\n" for d in days], boxes=[2] * len(days), missing=[])

    runs = shards.merge_texts([stream(0, [[1, 4], [5, 9]]), stream(1, [[2, 3], [6, 7, 8]])])
    first = next(runs)
    assert (first.json, first.csv, pulled) == ("1" + JSON_BETWEEN + "2" + JSON_BETWEEN + "3",
                                               [("C", "1\n2\n3\n")], [1, 1])
    assert [r.json.split(JSON_BETWEEN) for r in runs] == [["4"], ["5", "6", "7", "8"], ["9"]]


def test_merge_texts_refuses_rows_of_one_disposal_from_two_shards() -> None:
    """Equal keys from two shards (one disposal's rows in both) cannot be ordered: `OrderTie`."""
    key = date(2024, 5, 1).toordinal() << 40 | 9

    def one(text: str) -> Iterator[shards.RowText]:
        yield shards.RowText(year=2024, keys=[key], json=[text], csv=["x\n"], boxes=[2], missing=[])

    with pytest.raises(shards.OrderTie, match="rows of one disposal in two shards, sold in 2024"):
        list(shards.merge_texts([one("a"), one("b")]))
    assert [r.json for r in shards.merge_texts([one("a")])] == ["a"]


def test_report_all_sharded_has_its_rows_made_by_the_workers(tmp_path: Path, shard_always: None) -> None:
    """The parent merges text: its replay hands out no slice, the totals come from the workers."""
    db = make_ledger(tmp_path, ledger_lines(6))
    streamed, how = parallel.stream_sharded(db, jobs=2, year_ends=True, texts=True)
    assert how.reason == "" and how.rows is not None
    assert list(streamed.replay.slices) == []
    runs = list(how.rows.runs())
    one = parallel.stream_sharded(db, jobs=1, year_ends=True)[0].replay
    rows = list(itertools.chain.from_iterable(f8949.row_chunks(one.slices, wallet_reports(one.log))))
    assert sum(r.count for r in runs) == len(rows) > 100
    boxes: YearBoxes = {}
    add_rows(boxes, rows)
    assert how.rows.year_boxes == boxes
    assert streamed.replay.year_end_lots == one.year_end_lots
    _ended(how.pids)


def test_a_worker_failing_mid_texts_hands_over_to_one_process(
    tmp_path: Path, shard_always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker gone after the rows' text began to flow: one process makes the rest of the rows
    (those already written skipped) and every total; the files are one process's, the workers ended."""
    db = make_ledger(tmp_path, ledger_lines(2, events=400))
    one = reports_digest(db, tmp_path / "one", 1)
    monkeypatch.setattr(shards, "CHUNK", 5)
    real = parallel.Workers.texts
    pids: list[int] = []

    def failing(self: parallel.Workers, index: int, *args: Any) -> Iterator[Any]:
        pids.extend(p.pid for p in self.processes if p.pid is not None and p.pid not in pids)
        for n, text in enumerate(real(self, index, *args)):
            if index == 1 and n == 3:
                raise parallel.WorkerFailed("EOFError")
            yield text

    monkeypatch.setattr(parallel.Workers, "texts", failing)
    assert reports_digest(db, tmp_path / "two", 2) == one
    assert len(pids) == 2
    _ended(tuple(pids))


def test_rows_look_up_a_wallets_reports_once_per_disposal_of_decoded_slices() -> None:
    """Slices decoded from a worker's message have strings and dates of their own: `form8949.rows`
    compares them by value, so `WalletReports.reports` runs once per disposal, not once per slice."""
    calls: list[tuple[str, date]] = []

    class Counting(WalletReports, frozen=True, kw_only=True):
        def reports(self, wallet: str, on: date) -> Any:
            calls.append((wallet, on))
            return super().reports(wallet, on)

    wallet = "coinbase main"
    wallets = Counting(wallet_to_settings={wallet: ((date.min, 1, "1099-DA"),)})
    made = [msgspec.structs.replace(_slice(date(2025, 3, 1), seq=7), order=n, wallet=wallet) for n in range(3)]
    made.append(msgspec.structs.replace(_slice(date(2025, 3, 2), seq=8), wallet=wallet))
    decoded = msgspec.msgpack.decode(msgspec.msgpack.encode(made), type=list[Slice])
    assert decoded[0].wallet is not decoded[1].wallet and decoded[0].date_sold is not decoded[1].date_sold
    rows = f8949.rows(decoded, wallets)
    assert calls == [(wallet, date(2025, 3, 1)), (wallet, date(2025, 3, 2))]
    assert rows == f8949.rows(made, wallets) and {r.box for r in rows} == {"H"}


class _Pipe:
    """The worker's end of a pipe, keeping each message."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send_bytes(self, data: bytes) -> None:
        self.sent.append(bytes(data))


@pytest.mark.parametrize("last", ["sell", "buy"])
def test_a_worker_keeps_only_its_open_years_rows(tmp_path: Path, last: str) -> None:
    """With a checkpoint to make, a worker keeps of its rows only those of its last trade's year (the
    only ones that may be of the log's open year), never a year of rows until the next begins (issue
    #19): sales in 2023 and 2024, then a last sell in 2024 (those rows are sent) or a buy in 2025 (none)."""
    from gainlog.projections.pipeline import replay

    lines = [{"type": "buy", "id": "b0", "at": "2023-01-03T15:00:00Z", "wallet": "w", "asset": "BTC", "qty": "100",
              "price": "10"}]
    lines += [{"type": "sell", "id": f"s{n}", "at": f"{2023 + n % 2}-03-{n + 1:02d}T15:00:00Z", "wallet": "w",
               "asset": "BTC", "qty": "1", "price": str(9 + n % 3)} for n in range(10)]
    lines.append({"type": last, "id": "z", "at": f"{2024 if last == 'sell' else 2025}-06-01T15:00:00Z",
                  "wallet": "w", "asset": "BTC", "qty": "1", "price": "12"})
    db = make_ledger(tmp_path, lines)
    with Store.open(db) as store:
        run = replay(store.iter_read(), tz=store.timezone, targets=store.retract_targets(), year_ends=True)
        year = parallel._open_year(run, store.timezone)
        pipe = _Pipe()
        parallel._send_texts(run, 2, pipe, open_year=year)  # type: ignore[arg-type]
        every = f8949.rows(replay(store.iter_read(), tz=store.timezone).slices, wallet_reports(run.log))
    assert [m[:1] for m in pipe.sent] == [b"R"] * 6 + [b"T", b"O"]
    kept = msgspec.msgpack.decode(pipe.sent[-1][1:], type=list[Row])
    if last == "sell":
        assert year == 2024
        assert kept == [r for r in every if r.date_sold.year == 2024] and len(kept) == 6
    else:
        assert year == 2025 and kept == []


@pytest.mark.parametrize("seed", range(6))
def test_the_shard_check_refuses_exactly_what_the_whole_log_check_does(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Property: on generated ledgers (swaps, transfers, gifts, a split, a rename, policies), sells naming
    random lots (of their asset or another, unknown ids, too many units, backdated) are accepted or
    refused, with the same message, whether the check replays the shard or the whole log."""
    import random
    import shutil

    from gainlog.api import checks
    from gainlog.api.ledger_ops import add_event
    from gainlog.ledger.errors import InvalidEvent

    lines = ledger_lines(seed, events=300, messy=seed % 2 == 1)
    db = make_ledger(tmp_path, lines)
    whole = tmp_path / "whole.db"
    shutil.copy(db, whole)
    rng = random.Random(seed)
    acquired = [line for line in lines if line["type"] in ("buy", "swap", "income", "gift_in", "deposit")]
    ids = [line["id"] for line in acquired]
    times = sorted(line["at"] for line in lines if "at" in line)
    outcomes: dict[str, list[str]] = {"shard": [], "whole": []}
    for n in range(30):
        picks = [{"lot": rng.choice([rng.choice(ids), f"events.jsonl:{rng.choice(ids)}", "nope"]),
                  "qty": str(rng.randint(1, 6))} for _ in range(rng.randint(1, 2))]
        sell = {"type": "sell", "id": f"s{n}", "at": rng.choice(times[len(times) // 3:]), "wallet": rng.choice(WALLETS),
                "asset": rng.choice(CRYPTO + STOCKS), "qty": str(sum(int(p["qty"]) for p in picks)),
                "price": "7", "lots": picks}
        if n % 2:  # a lot of the sold asset in its wallet, sold after it was acquired: often satisfiable
            lot = rng.choice(acquired)
            sell.update(asset=lot.get("get_asset", lot.get("asset")), wallet=lot["wallet"], qty="1",
                        at=rng.choice([t for t in times if t > lot["at"]] or [lot["at"]]),
                        lots=[{"lot": f"events.jsonl:{lot['id']}", "qty": "1"}])
        for name, ledger in (("shard", db), ("whole", whole)):
            with monkeypatch.context() as patch:
                if name == "whole":
                    patch.setattr(checks, "_shard", lambda store, naming: None)
                try:
                    add_event(ledger, sell)
                    outcomes[name].append("added")
                except InvalidEvent as exc:
                    outcomes[name].append(str(exc))
    assert outcomes["shard"] == outcomes["whole"]
    assert "added" in outcomes["shard"] and len(set(outcomes["shard"])) > 2  # both outcomes, several refusals


@pytest.mark.parametrize("seed", range(4))
def test_a_shard_reads_its_trades_and_every_other_event_one_parse_per_trade(tmp_path: Path, seed: int) -> None:
    """`Store.iter_read(assets=...)`: the trades naming one of the assets (a swap by either side) and every
    other event, as a filter of the whole log gives them; SQLite parses a trade's body once (a swap's
    twice), not once per field (three parses: SQLite 3.40 has no cache of parsed JSON)."""
    db = make_ledger(tmp_path, ledger_lines(seed, events=200))
    parses = 0

    def json_extract(body: str, *paths: str) -> object:  # the built-in, counted
        nonlocal parses
        parses += 1
        found = [json.loads(body).get(path.removeprefix("$.")) for path in paths]
        return found[0] if len(found) == 1 else json.dumps(found)

    with Store.open(db) as store:
        every = list(store.iter_read())
        trades = sum(1 for r in every if r.event.__struct_config__.tag in ASSET_TYPES)
        swaps = sum(1 for r in every if r.event.__struct_config__.tag == "swap")
        store.conn.create_function("json_extract", -1, json_extract, deterministic=True)
        for assets in (["BTC"], ["ETH", "AAA"], ["NONE"]):
            parses = 0
            read = [(r.seq, r.event) for r in store.iter_read(assets=assets)]

            def named(event: Any, assets: list[str] = assets) -> bool:
                return any(getattr(event, field, None) in assets for field in ("asset", "give_asset", "get_asset"))

            assert read == [(r.seq, r.event) for r in every
                            if r.event.__struct_config__.tag not in ASSET_TYPES or named(r.event)]
            assert parses <= trades + swaps, (assets, parses, trades, swaps)
