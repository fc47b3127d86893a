"""Incremental `report all` (issue #19): after an append, `report all` from the checkpoint a large
`report all` left writes a folder byte-identical to a full run's (every file and the manifest), and
serves the tails it may (crypto trades after the horizon, year facts) without a replay; anything
else (backdated, stock, `lots`, retractions, settings, wallets, splits, transfer legs, a tampered
file in DIR, `--as-of` before the checkpoint) falls back and still gives the full run's bytes.

A sharded `report all` (`--jobs 2`) leaves the same checkpoint (its parts as values: the engine
state merged from the shards', `checkpoint.merge_snapshots`), and what it serves after appends
equals a full one-process replay."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import msgspec
import pytest
from conftest import REPO, write_jsonl
from gainlog.api import parallel, report_cache, reports
from gainlog.api.reports import write_reports
from gainlog.ledger import checkpoints as saved
from gainlog.ledger.store import Store
from gainlog.projections import checkpoint as cp
from gainlog.projections import report_checkpoint
from helpers import answered
from hypothesis import HealthCheck, given, settings
from hypothesis import event as statistic
from hypothesis import strategies as st

ASSETS = {"BTC": "crypto", "ETH": "crypto", "XYZ": "stock"}
WALLETS = ("A", "B")
DAYS = sorted([f"2024-{m:02d}-{d:02d}" for m in (3, 6, 9, 12) for d in (1, 15)] + [
    f"{y}-{m:02d}-{d:02d}" for y in (2025, 2026) for m in (1, 2, 4, 7, 10, 12) for d in (3, 20)])

qtys = st.sampled_from(["0.5", "1", "2", "3"])
prices = st.sampled_from(["50", "100", "180", "400"])


@st.composite
def trade(draw: st.DrawFn, days: list[str], assets: tuple[str, ...] = ("BTC", "ETH", "XYZ")) -> dict[str, Any]:
    at = f"{draw(st.sampled_from(days))}T12:00:0{draw(st.integers(0, 1))}Z"
    asset = draw(st.sampled_from(assets))
    wallet = draw(st.sampled_from(WALLETS))
    kind = draw(st.sampled_from(["buy", "buy", "sell", "sell", "swap", "transfer", "fee", "income"]))
    base: dict[str, Any] = {"type": kind, "at": at}
    if kind == "buy":
        return {**base, "wallet": wallet, "asset": asset, "class": ASSETS[asset], "qty": draw(qtys),
                "price": draw(prices)}
    if kind == "sell":
        return {**base, "wallet": wallet, "asset": asset, "qty": draw(qtys), "price": draw(prices)}
    if kind == "swap":
        return {**base, "wallet": wallet, "give_asset": "BTC", "give_qty": draw(qtys), "get_asset": "ETH",
                "get_qty": draw(qtys), "value": draw(prices)}
    if kind == "transfer":
        return {**base, "from": wallet, "to": "B" if wallet == "A" else "A", "asset": "BTC", "qty": draw(qtys)}
    if kind == "fee":
        return {**base, "wallet": wallet, "asset": "ETH", "qty": "0.1", "value": "9"}
    income = {**base, "wallet": wallet, "asset": "ETH", "qty": "0.2", "kind": "staking"}
    # without `value`: valued from an ETH price, or at 0 with a warning (`report income` lists it)
    return income if draw(st.integers(0, 3)) == 0 else {**income, "value": "30"}


TAIL = ["crypto"] * 16 + ["facts"] * 3 + ["price", "stock", "lots", "backdated", "retract", "wallet", "method",
                                         "split", "legs"]


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """(prefix, appends): each append a list of events, mostly of the kinds the checkpoint serves."""
    split = draw(st.one_of(st.integers(4, len(DAYS) - 4), st.integers(10, len(DAYS) - 4)))  # mostly 2025 on
    prefix = draw(st.lists(trade(DAYS[:split]), min_size=1, max_size=14))
    prefix.append({"type": "buy", "at": f"{DAYS[split - 1]}T12:00:00Z", "wallet": "B", "asset": "BTC", "qty": "2",
                   "price": "90"})
    if draw(st.booleans()):
        prefix.append({"type": "price", "at": f"{DAYS[split - 1]}T00:00:00Z", "asset": "BTC", "usd": "120"})
    if draw(st.booleans()):
        prefix.append({"type": "carryover", "year": 2024, "short_term": "1200", "long_term": "400"})
    for day in draw(st.lists(st.sampled_from(DAYS[:split]), max_size=2)):  # values some incomes without `value`
        prefix.append({"type": "price", "at": f"{day}T11:00:00Z", "asset": "ETH", "usd": "150"})
    for day in draw(st.lists(st.sampled_from(DAYS[:split]), max_size=2)):  # valued from a price above, or at 0
        prefix.append({"type": "income", "at": f"{day}T12:00:00Z", "wallet": "B", "asset": "ETH", "qty": "0.3",
                       "kind": "airdrop"})
    if draw(st.integers(0, 3)) == 0:  # an unpaired leg: every year's `report income` and 8949 warn of it
        prefix.append({"type": "withdrawal", "at": f"{DAYS[split - 1]}T10:00:00Z", "wallet": "A", "asset": "ETH",
                       "qty": "0.1"})
    if draw(st.integers(0, 5)) == 0:
        prefix.append({"type": "policy", "wash_sale_crypto": True, "from": "2025-01-01"})
    latest = max(e["at"] for e in prefix if "at" in e)
    later = [d for d in DAYS[split:] if d >= latest[:10]]
    appends = []
    for _ in range(draw(st.integers(1, 3))):
        events: list[dict[str, Any]] = []
        for kind in draw(st.lists(st.sampled_from(TAIL), min_size=1, max_size=3)):
            if kind == "crypto":
                events += draw(st.lists(trade(later, ("BTC", "ETH")), min_size=1, max_size=3))
            elif kind == "facts":
                events += [{"type": "profile", "year": draw(st.sampled_from([2024, 2025, 2026])),
                            "filing_status": "mfs"},
                           {"type": "carryover", "year": 2026, "short_term": "10", "long_term": "0"}]
            elif kind == "price":
                events.append({"type": "price", "at": f"{DAYS[-1]}T00:00:00Z", "asset": "ETH", "usd": "7"})
            elif kind == "stock":
                events.append({"type": "buy", "at": f"{DAYS[-1]}T12:00:00Z", "wallet": "A", "asset": "XYZ",
                               "class": "stock", "qty": "1", "price": "5"})
            elif kind == "lots":
                events.append({"type": "sell", "at": f"{DAYS[-1]}T12:00:00Z", "wallet": "B", "asset": "BTC",
                               "qty": "0.5", "price": "5", "lots": [{"lot": "e_last", "qty": "0.5"}]})
            elif kind == "backdated":
                events.append(draw(trade(DAYS[: split - 1])))
            elif kind == "retract":
                events.append({"type": "retract", "target": "t:e0"})
            elif kind == "wallet":
                events.append({"type": "wallet", "wallet": "A", "reports": "1099-DA"})
            elif kind == "method":
                events.append({"type": "method", "method": "HIFO", "from": "2024-06-01"})
            elif kind == "split":
                events.append({"type": "split", "at": f"{DAYS[-1]}T12:00:00Z", "asset": "ETH", "ratio": "2"})
            else:
                events.append({"type": "withdrawal", "at": f"{DAYS[-1]}T12:00:00Z", "wallet": "A", "asset": "BTC",
                               "qty": "0.5"})
        appends.append(events)
    return prefix, appends


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each `report all` into a folder it wrote before was served incrementally (True) or replayed."""
    served: list[bool] = []
    original = report_cache.write_incremental

    def spy(db: Path, target: Path, *args: Any, **kwargs: Any) -> Any:
        result = original(db, target, *args, **kwargs)
        if target.exists():
            served.append(result is not None)
        return result

    monkeypatch.setattr(report_cache, "write_incremental", spy)
    return served


def _form8949(path: Path, year: int, replay: pytest.MonkeyPatch | None = None) -> tuple[Any, ...]:
    """`report 8949 --year YEAR`'s rows, its `--csv` text and missing-basis warning, why the year is
    empty and the unpaired legs' warnings (from a checkpoint when one serves; `replay`: never)."""
    from io import BytesIO

    from gainlog.api import reports

    if replay is None:
        form, again = reports.form8949(path, year), reports.form8949(path, year)
    else:
        with replay.context() as patch:
            patch.setattr(report_cache, "form8949_rows", lambda *args, **kwargs: None)
            form, again = reports.form8949(path, year), reports.form8949(path, year)
    from gainlog.projections.form8949 import rows_json_text, to_csv

    rows = [r for chunk in form.chunks for r in chunk]
    csv_out = BytesIO()
    missing = again.write_csv(csv_out)  # served: the file report all wrote, when the tail adds no row to the year
    assert csv_out.getvalue() == to_csv(rows).encode()
    if again.csv_file is not None:
        statistic(f"report 8949 --csv of {year} printed from the file report all wrote")
    if form.json_file is not None:  # `--json` prints this file's rows as they are, then the tail's
        from gainlog.api.report_files import indented

        out = BytesIO()
        reports.form8949(path, year).write_json(out)
        assert out.getvalue() == indented(rows_json_text(rows).encode())
        statistic(f"report 8949 --json of {year} printed from the file report all wrote"
                  + (" and the tail's rows" if form.json_more else ""))
    return rows, csv_out.getvalue(), missing.message(year), rows_json_text(rows), form.empty_year(), form.unpaired()


def _income(path: Path, year: int, replay: pytest.MonkeyPatch | None = None, as_of: str | None = None
            ) -> tuple[Any, ...]:
    """`report income --year YEAR [--as-of K]`: its rows, why the year is empty, its warnings and
    its `--json` (the table prints that JSON: `cmd_report._print_income`), from a checkpoint when one
    serves (`replay`: never)."""
    import msgspec
    from gainlog.api import reports

    if replay is None:
        result = reports.income(path, year, as_of=as_of)
        served = report_cache.income_year(path, year, as_of=as_of, strict=False)
        assert served is None or served == result
        if served is not None:
            statistic(f"report income of {year} served from the checkpoint"
                      + (" with rows" if served.rows else "")
                      + (" with an income valued at 0" if any("valued at 0" in w for w in served.warnings) else "")
                      + (" with an unpaired leg" if any("valued at 0" not in w for w in served.warnings) else ""))
    else:
        with replay.context() as patch:
            patch.setattr(report_cache, "income_year", lambda *args, **kwargs: None)
            result = reports.income(path, year, as_of=as_of)
    return result.rows, result.empty, result.warnings, msgspec.json.encode(result.to_json())


def _html(path: Path, year: int, replay: pytest.MonkeyPatch | None = None, as_of: str | None = None
          ) -> tuple[bytes, dict[str, Any]]:
    """`report html --year YEAR [--as-of K]`: the page's bytes and its `--json` (without the file's
    name), from a checkpoint when one serves (`replay`: never)."""
    from gainlog.api.year_html import year_html

    out = path.parent / f"page-{year}-{'replay' if replay else 'served'}.html"
    if replay is None:
        if report_cache.year_glance(path, year, as_of=as_of, strict=False) is not None:
            statistic(f"report html of {year} served from the checkpoint")
        written = year_html(path, year, out, as_of=as_of)
    else:
        with replay.context() as patch:
            patch.setattr(report_cache, "year_glance", lambda *args, **kwargs: None)
            written = year_html(path, year, out, as_of=as_of)
    return out.read_bytes(), {k: v for k, v in written.to_json().items() if k != "out"}


def _diff(path: Path, year: int, before: str, replay: pytest.MonkeyPatch | None = None) -> dict[str, Any]:
    """`diff --year YEAR --from BEFORE --json`, each side from a checkpoint when one serves (`replay`:
    never)."""
    from gainlog.api.audit import year_diff

    if replay is None:
        if report_cache.year_statement(path, year, as_of=None, strict=False) is not None:
            statistic(f"diff of {year}: the head's side served from the checkpoint")
        return year_diff(path, year, before).value
    with replay.context() as patch:
        patch.setattr(report_cache, "year_statement", lambda *args, **kwargs: None)
        return year_diff(path, year, before).value


def _whatif(path: Path, year: int, replay: pytest.MonkeyPatch | None = None) -> dict[str, Any]:
    """`whatif --year YEAR --method HIFO --json` but its events' recording time (now), the log's side
    from a checkpoint when one serves (`replay`: never)."""
    from gainlog.api.whatif import whatif

    def value() -> dict[str, Any]:
        out = whatif(path, year, method="HIFO").value
        return {**out, "events": [{**e, "recorded_at": None} for e in out["events"]]}

    if replay is None:
        return value()
    with replay.context() as patch:
        patch.setattr(report_cache, "year_statement", lambda *args, **kwargs: None)
        return value()


def _donations(path: Path, year: int, replay: pytest.MonkeyPatch | None = None) -> dict[str, Any]:
    """`report donations --year YEAR --json`, from a checkpoint when one serves (`replay`: never)."""
    from gainlog.api.donations import donations

    if replay is None:
        return donations(path, year)
    with replay.context() as patch:
        patch.setattr(report_cache, "serves", lambda *args, **kwargs: False)
        return donations(path, year)


def _import(store: Store, folder: Path, name: str, events: list[dict[str, Any]], start: int) -> int:
    """Import `events` one at a time with ids from `start` (an event the store refuses is skipped)."""
    for i, event in enumerate(events):
        event = {**event, "id": f"e{start + i}"}
        if "lots" in event:
            event["lots"] = [{"lot": "e_last", "qty": "0.5"}]
        try:
            store.import_file(write_jsonl(folder / f"{name}{i}.jsonl", [event]), source="t")  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - e.g. a `lots` the ledger cannot satisfy: not recorded
            continue
    return start + len(events)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers())
def test_incremental_report_all_equals_a_full_run(
    ledger: tuple[list[dict[str, Any]], list[list[dict[str, Any]]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix, appends = ledger
    monkeypatch.setattr(report_cache, "AUTO_CHECKPOINT", 0)
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "ledger.db"
        store = Store.create(path)
        prefix = [*prefix[:-1], {**prefix[-1]}]
        n = _import(store, folder, "p", prefix, 0)
        store.import_file(write_jsonl(folder / "last.jsonl", [{"type": "buy", "id": "e_last", "at": max(
            e["at"] for e in prefix if "at" in e), "wallet": "B", "asset": "BTC", "qty": "1", "price": "80"}]),
            source="t")  # type: ignore[arg-type]
        out = folder / "out"
        write_reports(path, out)
        assert saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version())  # left by report all
        served = _spy(monkeypatch)
        for k, events in enumerate(appends):
            before = str(store.last_seq())  # `--as-of` the previous head: an older checkpoint, or a replay
            n = _import(store, folder, f"a{k}", events, n)
            write_reports(path, out)
            if served[-1]:  # served: it left a checkpoint at the head, which the next append starts from
                newest = saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version())[0]
                assert newest.seq == store.last_seq()
            full = folder / f"full{k}"
            with monkeypatch.context() as patch:  # no previous folder: a full replay (leaving no checkpoint)
                patch.setattr(report_cache, "AUTO_CHECKPOINT", 10**9)
                write_reports(path, full)
            assert _digests(out) == _digests(full), f"after append {k}: {events}"
            for year in (2024, 2025, 2026):  # before the open year too (from DIR's form8949.json)
                assert _form8949(path, year) == _form8949(path, year, replay=monkeypatch), (k, year)
                assert _income(path, year) == _income(path, year, replay=monkeypatch), (k, year)
                assert _income(path, year, as_of=before) == _income(path, year, monkeypatch, before), (k, year)
                assert _html(path, year) == _html(path, year, replay=monkeypatch), (k, year)
                assert _html(path, year, as_of=before) == _html(path, year, monkeypatch, before), (k, year)
                assert _donations(path, year) == _donations(path, year, replay=monkeypatch), (k, year)
                assert _diff(path, year, before) == _diff(path, year, before, replay=monkeypatch), (k, year)
                assert _whatif(path, year) == _whatif(path, year, replay=monkeypatch), (k, year)
            for page in out.glob("*/report.html"):  # `report all`'s pages are `report html`'s
                assert page.read_bytes() == _html(path, int(page.parent.name))[0], (k, page)
        # sells and an income after the last `report all`: the open year's JSON is the file's rows, then the tail's
        n = _import(store, folder, "z", [*({"type": "sell", "at": f"{DAYS[-1]}T13:00:00Z", "wallet": w, "asset": "BTC",
                                            "qty": "0.25", "price": "100"} for w in WALLETS),
                                         {"type": "income", "at": f"{DAYS[-1]}T14:00:00Z", "wallet": "A",
                                          "asset": "ETH", "qty": "0.2", "value": "31", "kind": "staking"}], n)
        for year in (2024, 2025, 2026, 2027):  # 2027: a year after the last, which the tail's totals do not hold
            assert _form8949(path, year) == _form8949(path, year, replay=monkeypatch), ("tail", year)
            assert _income(path, year) == _income(path, year, replay=monkeypatch), ("tail", year)
            assert _html(path, year) == _html(path, year, replay=monkeypatch), ("tail", year)
        store.close()
    policy = any(e["type"] == "policy" for e in prefix)
    horizon = max(e["at"] for e in prefix if "at" in e)  # before 2025: the allocation to wallets is still due
    first = min([int(e["at"][:4]) for e in prefix if "at" in e] + [e["year"] for e in prefix if "year" in e])
    simple = all(e["type"] in ("buy", "sell", "swap", "transfer", "fee", "income", "profile", "carryover")
                 and "lots" not in e and (e["type"] != "income" or "value" in e)
                 and "XYZ" not in (e.get("asset"), e.get("give_asset"))
                 and e.get("at", horizon) >= horizon and e.get("year", 9999) >= first
                 for events in appends for e in events)  # a year before the first adds a folder: replays
    if simple and not policy and horizon >= "2025-01-01":
        assert served and all(served), served
    statistic(f"appends served incrementally: {sum(served)} of {len(served)}")


def _sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Store, Path]:
    monkeypatch.setattr(report_cache, "AUTO_CHECKPOINT", 0)
    store = Store.create(tmp_path / "l.db")
    store.import_file(REPO / "fixtures" / "sample" / "events.jsonl", source="sample")
    write_reports(tmp_path / "l.db", tmp_path / "out")
    return store, tmp_path / "l.db"


SELL = {"type": "sell", "id": "m2", "at": "2026-07-01T12:00:00Z", "wallet": "coinbase", "asset": "ETH",
        "qty": "50", "price": "2500"}


def test_sample_ledger_after_a_crypto_append_is_served_and_equal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundled sample (stocks, wash sales, profiles, wallets): a crypto sell of more than is held
    (missing basis) is served from the checkpoint, the earlier years' 8949 files reused as they were."""
    store, path = _sample(tmp_path, monkeypatch)
    before = _digests(tmp_path / "out")
    store.import_file(write_jsonl(tmp_path / "more.jsonl", [SELL]), source="more")  # type: ignore[arg-type]
    served = _spy(monkeypatch)
    after = write_reports(path, tmp_path / "out")
    write_reports(path, tmp_path / "full")
    assert served == [True]
    assert _digests(tmp_path / "out") == _digests(tmp_path / "full")
    now = _digests(tmp_path / "out")
    assert now["2024/form8949.csv"] == before["2024/form8949.csv"]
    assert now["2024/report.html"] != before["2024/report.html"]  # the page names the seq
    assert after.missing[2026].rows  # the missing-basis warning of the new row


@pytest.mark.parametrize("same_size", [False, True])
def test_a_tampered_earlier_file_falls_back_to_a_full_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, same_size: bool
) -> None:
    """An earlier year's file edited in DIR (shorter, or the same size in place: a new modification
    time, so its SHA-256 is checked) is not reused: a full run."""
    store, path = _sample(tmp_path, monkeypatch)
    store.import_file(write_jsonl(tmp_path / "more.jsonl", [SELL]), source="more")  # type: ignore[arg-type]
    edited = tmp_path / "out" / "2024" / "form8949.csv"
    text = edited.read_bytes()
    edited.write_bytes(text.replace(b"1", b"2", 1) if same_size else b"edited\n")
    served = _spy(monkeypatch)
    write_reports(path, tmp_path / "out")
    write_reports(path, tmp_path / "full")
    assert served == [False]
    assert _digests(tmp_path / "out") == _digests(tmp_path / "full")


def test_as_of_before_the_checkpoint_replays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, path = _sample(tmp_path, monkeypatch)
    seq = store.last_seq()
    served = _spy(monkeypatch)
    write_reports(path, tmp_path / "out", as_of=str(seq - 3))
    write_reports(path, tmp_path / "full", as_of=str(seq - 3))
    assert served == [False]
    assert _digests(tmp_path / "out") == _digests(tmp_path / "full")


def test_small_logs_leave_no_checkpoint(tmp_path: Path) -> None:
    """Below `AUTO_CHECKPOINT` events `report all` writes no checkpoint (its cost is not worth it)."""
    store = Store.create(tmp_path / "l.db")
    store.import_file(REPO / "fixtures" / "sample" / "events.jsonl", source="sample")
    assert store.last_seq() < report_cache.AUTO_CHECKPOINT
    write_reports(tmp_path / "l.db", tmp_path / "out")
    assert saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version()) == []


def test_the_report_part_is_covered_by_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`verify` names the new part when its bytes are edited; reports then never use it."""
    import sqlite3

    store, path = _sample(tmp_path, monkeypatch)
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE checkpoint_parts SET blob = x'00' WHERE name = ?", (report_checkpoint.REPORT,))
    with Store.open(path) as again:
        problem, _ = saved.verify(again)
    assert problem is not None and f"part {report_checkpoint.REPORT!r} does not match its digest" in problem


def test_report_all_saves_the_state_gainlog_checkpoint_saves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine state `report all` leaves is the one `gainlog checkpoint` saves: taken before the
    year-end lots apply the pooling changes still due (a 2024 horizon: the 2025 allocation is not
    applied in it), and the same Schedule D totals."""
    from gainlog.api.checkpoints import save_checkpoint
    from gainlog.projections.checkpoint import STATE
    from gainlog.projections.year_checkpoint import YEARS

    events = [{"type": "buy", "id": "b1", "at": "2024-03-01T12:00:00Z", "wallet": "A", "asset": "BTC", "qty": "1",
               "price": "50"},
              {"type": "buy", "id": "b2", "at": "2024-06-15T12:00:00Z", "wallet": "B", "asset": "BTC", "qty": "2",
               "price": "90"},
              {"type": "sell", "id": "s1", "at": "2024-07-15T12:00:00Z", "wallet": "B", "asset": "BTC",
               "qty": "0.5", "price": "95"}]
    monkeypatch.setattr(report_cache, "AUTO_CHECKPOINT", 0)
    store = Store.create(tmp_path / "l.db")
    store.import_file(write_jsonl(tmp_path / "e.jsonl", events), source="t")  # type: ignore[arg-type]
    write_reports(tmp_path / "l.db", tmp_path / "out")
    [made] = saved.usable(store, at_or_before=3, version=saved.code_version())
    by_report = [saved.part(store, made, name) for name in (STATE, YEARS, report_checkpoint.REPORT)]
    assert by_report[2] is not None
    assert save_checkpoint(tmp_path / "l.db") == 3  # one is there: kept, with its `report` part
    [kept] = saved.usable(store, at_or_before=3, version=saved.code_version())
    assert [saved.part(store, kept, name) for name in (STATE, YEARS, report_checkpoint.REPORT)] == by_report
    saved.clear(store)
    assert save_checkpoint(tmp_path / "l.db") == 3
    [again] = saved.usable(store, at_or_before=3, version=saved.code_version())
    assert [saved.part(store, again, name) for name in (STATE, YEARS)] == by_report[:2]
    assert not saved.has_part(store, again, report_checkpoint.REPORT)  # `gainlog checkpoint` keeps no report part


def test_report_all_completes_the_checkpoint_gainlog_checkpoint_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gainlog checkpoint` after an import, then `report all`: the full run replaces the checkpoint at
    the head with one that has the `report` part, so the next append is served (`report all`,
    `report 8949`, `report html`) instead of replayed once more."""
    from gainlog.api.checkpoints import save_checkpoint

    store, path = _sample(tmp_path, monkeypatch)
    saved.clear(store)
    head = save_checkpoint(path)
    [plain] = saved.usable(store, at_or_before=head, version=saved.code_version())
    assert not saved.has_part(store, plain, report_checkpoint.REPORT)
    write_reports(path, tmp_path / "out")  # into the folder it wrote before: nothing serves it, a full run
    [made] = saved.usable(store, at_or_before=head, version=saved.code_version())
    assert made.seq == head and saved.has_part(store, made, report_checkpoint.REPORT)
    store.import_file(write_jsonl(tmp_path / "more.jsonl", [SELL]), source="more")  # type: ignore[arg-type]
    served = _spy(monkeypatch)
    write_reports(path, tmp_path / "out")
    assert served == [True]
    assert report_cache.year_glance(path, 2026, as_of=None, strict=False) is not None


def test_cli_report_8949_of_the_open_year_after_an_append(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report 8949 --year 2026` (the open year) after a crypto append is served from the checkpoint
    `report all` left, with the replay's bytes (JSON, CSV); so is 2024 (before the open year: from
    the `form8949.json` `report all` wrote, checked against the checkpoint), until that file changes."""
    from gainlog.cli.main import main

    store, path = _sample(tmp_path, monkeypatch)
    store.import_file(write_jsonl(tmp_path / "more.jsonl", [SELL]), source="more")  # type: ignore[arg-type]
    served = answered(monkeypatch, report_cache, "form8949_rows")
    outputs = []
    for args in (["--year", "2026", "--json"], ["--year", "2026", "--csv"], ["--year", "2024", "--json"]):
        capsys.readouterr()
        assert main(["--db", str(path), "report", "8949", *args]) == 0
        outputs.append(capsys.readouterr())
    assert served == [True, True, True]
    assert len(json.loads(outputs[0].out)) >= 1 and "ETH" in outputs[1].out and len(json.loads(outputs[2].out)) >= 1
    edited = tmp_path / "out" / "2024" / "form8949.json"
    edited.write_bytes(edited.read_bytes())  # the same bytes, a new modification time: its SHA-256 decides
    capsys.readouterr()
    assert main(["--db", str(path), "report", "8949", "--year", "2024", "--json"]) == 0
    assert capsys.readouterr() == outputs[2] and served[3:] == [True]
    edited.write_bytes(edited.read_bytes().replace(b'"proceeds": "', b'"proceeds": "1', 1))  # not the file: replay
    capsys.readouterr()
    assert main(["--db", str(path), "report", "8949", "--year", "2024", "--json"]) == 0
    assert capsys.readouterr() == outputs[2] and served[4:] == [False]
    assert main(["--db", str(path), "checkpoint", "--clear"]) == 0
    for args, before in zip((["--year", "2026", "--json"], ["--year", "2026", "--csv"], ["--year", "2024", "--json"]),
                            outputs, strict=True):
        capsys.readouterr()
        assert main(["--db", str(path), "report", "8949", *args]) == 0
        assert capsys.readouterr() == before
    assert served[5:] == [False, False, False]


@pytest.mark.parametrize("again", [False, True])
def test_report_all_warns_once_when_the_log_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], again: bool
) -> None:
    """The drift check runs once per `report all`, whether a checkpoint serves it or it replays."""
    import sqlite3

    from gainlog.cli.main import main

    store, path = _sample(tmp_path, monkeypatch)
    if again:
        store.import_file(write_jsonl(tmp_path / "more.jsonl", [SELL]), source="more")  # type: ignore[arg-type]
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER batches_no_delete")
    capsys.readouterr()
    out = str(tmp_path / ("out" if again else "new"))
    assert main(["--db", str(path), "report", "all", "--out", out]) == 0
    err = capsys.readouterr().err
    assert err.startswith(
        "gainlog: warning: the log changed since the last verify (append-only trigger(s) missing: "
        "batches_no_delete): run `gainlog verify`\n"
    )
    assert err.count("changed since the last verify") == 1


@pytest.mark.parametrize("served", [True, False])
def test_report_income_and_8949_csv_warn_once_when_the_log_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], served: bool
) -> None:
    """The drift check runs once per `report income` and `report 8949 --csv`, served from a
    checkpoint or replayed (no checkpoint); with `--strict` it stops them (exit 4) either way."""
    import sqlite3

    from gainlog.cli.main import main

    store, path = _sample(tmp_path, monkeypatch)
    store.import_file(write_jsonl(tmp_path / "more.jsonl", [SELL]), source="more")  # type: ignore[arg-type]
    store.close()
    if not served:
        assert main(["--db", str(path), "checkpoint", "--clear"]) == 0
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER batches_no_delete")
    answers = answered(monkeypatch, report_cache, "_served")
    commands = (["income", "--year", "2024"], ["income", "--year", "2024", "--json"],
                ["8949", "--year", "2024", "--csv"])
    for args in commands:
        capsys.readouterr()
        assert main(["--db", str(path), "report", *args]) == 0
        err = capsys.readouterr().err
        assert err.startswith("gainlog: warning: the log changed since the last verify (append-only trigger(s) "
                              "missing: batches_no_delete): run `gainlog verify`\n")
        assert err.count("changed since the last verify") == 1
        assert main(["--db", str(path), "--strict", "report", *args]) == 4
    assert answers == [served] * len(commands)


@pytest.mark.parametrize("year", [2024, 2025])
def test_a_sharded_report_all_leaves_a_checkpoint_unless_the_2025_change_is_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, year: int
) -> None:
    """A replay sharded by asset (`--jobs`) keeps the shards' engine states merged into one: the full
    `report all` it serves leaves a checkpoint at the head and the run after an append is served from
    it, with the bytes one process writes. A log whose trades all come before the 2025 change to
    wallets leaves none (its shards cannot say how far one process got; such a checkpoint would not
    serve anyway): the run after an append replays the whole log, with the same bytes."""
    from gainlog.api import parallel

    events = [{"type": "buy", "id": f"b{i}", "at": f"{year}-0{1 + i % 6}-01T12:00:00Z", "wallet": "A",
               "asset": asset, "qty": "1", "price": str(10 + i)} for i, asset in enumerate(["BTC", "ETH"] * 4)]
    events.append({"type": "sell", "id": "s1", "at": f"{year}-08-01T12:00:00Z", "wallet": "A", "asset": "ETH",
                   "qty": "2", "price": "30"})
    monkeypatch.setattr(report_cache, "AUTO_CHECKPOINT", 0)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)
    store = Store.create(tmp_path / "l.db")
    store.import_file(write_jsonl(tmp_path / "e.jsonl", events), source="t")  # type: ignore[arg-type]
    assert len(parallel.stream_sharded(tmp_path / "l.db", jobs=2)[1].shards) == 2  # it really shards
    write_reports(tmp_path / "l.db", tmp_path / "out", jobs=2)
    left = [c.seq for c in saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version())]
    assert left == ([store.last_seq()] if year >= 2025 else [])
    more = [{"type": "sell", "id": "s2", "at": f"{year}-09-01T12:00:00Z", "wallet": "A", "asset": "BTC", "qty": "1",
             "price": "40"}]
    store.import_file(write_jsonl(tmp_path / "f.jsonl", more), source="t2")  # type: ignore[arg-type]
    served = _spy(monkeypatch)
    write_reports(tmp_path / "l.db", tmp_path / "out", jobs=2)
    assert served == [year >= 2025]
    write_reports(tmp_path / "l.db", tmp_path / "one", jobs=1)
    files = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert all((tmp_path / "out" / f).read_bytes() == (tmp_path / "one" / f).read_bytes() for f in files)


def test_a_worker_failing_mid_rows_leaves_no_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker gone after its rows began to flow: the replay in one process that takes over makes the
    rest of the rows and keeps no engine state nor rows, so no checkpoint is left (never a wrong one),
    and the next run after an append replays, with the bytes one process writes."""
    from collections.abc import Iterator

    from gainlog.api import parallel
    from gainlog.projections import shards

    events = [{"type": "buy", "id": f"b{i}", "at": f"2025-0{1 + i % 6}-01T12:00:00Z", "wallet": "A",
               "asset": asset, "qty": "3", "price": str(10 + i)} for i, asset in enumerate(["BTC", "ETH"] * 4)]
    events += [{"type": "sell", "id": f"s{i}", "at": f"2025-0{7 + i // 2}-01T12:00:00Z", "wallet": "A",
                "asset": asset, "qty": "1", "price": "30"} for i, asset in enumerate(["BTC", "ETH"] * 3)]
    monkeypatch.setattr(report_cache, "AUTO_CHECKPOINT", 0)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)
    monkeypatch.setattr(shards, "CHUNK", 1)
    real = parallel.Workers.texts
    failed: list[int] = []

    def failing(self: parallel.Workers, index: int, *args: Any) -> Iterator[Any]:
        for n, text in enumerate(real(self, index, *args)):
            if index == 1 and n == 1:
                failed.append(index)
                raise parallel.WorkerFailed("EOFError")
            yield text

    monkeypatch.setattr(parallel.Workers, "texts", failing)
    store = Store.create(tmp_path / "l.db")
    store.import_file(write_jsonl(tmp_path / "e.jsonl", events), source="t")  # type: ignore[arg-type]
    assert len(parallel.stream_sharded(tmp_path / "l.db", jobs=2)[1].shards) == 2  # it really shards
    write_reports(tmp_path / "l.db", tmp_path / "out", jobs=2)
    assert failed == [1]
    assert saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version()) == []
    monkeypatch.setattr(parallel.Workers, "texts", real)
    write_reports(tmp_path / "l.db", tmp_path / "again", jobs=2)  # no worker fails: it leaves one
    assert [c.seq for c in saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version())] == [
        store.last_seq()]
    write_reports(tmp_path / "l.db", tmp_path / "one", jobs=1)
    assert _digests(tmp_path / "out") == _digests(tmp_path / "one") == _digests(tmp_path / "again")


BUY = {"type": "buy", "id": "m3", "at": "2026-07-02T12:00:00Z", "wallet": "coinbase", "asset": "ETH", "qty": "1",
       "price": "2400"}


def test_a_served_report_all_leaves_the_checkpoint_the_next_append_starts_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an append served from a checkpoint, `report all` saves one at the head: the next append
    folds one event, not two; the checkpoint the full run left stays (the oldest: an append dated
    before the newest one's horizon can start there), those between are dropped."""
    store, path = _sample(tmp_path, monkeypatch)
    base = store.last_seq()
    tails: list[int] = []
    original = report_checkpoint.report_after

    def spy(*args: Any, **kwargs: Any) -> Any:
        tails.append(len(args[4]))
        return original(*args, **kwargs)

    monkeypatch.setattr(report_checkpoint, "report_after", spy)
    for i, event in enumerate([SELL, BUY, {**BUY, "id": "m4"}]):
        store.import_file(write_jsonl(tmp_path / f"more{i}.jsonl", [event]), source=f"more{i}")  # type: ignore[arg-type]
        write_reports(path, tmp_path / "out")
        seqs = [c.seq for c in saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version())]
        assert seqs == [store.last_seq(), base]
    assert tails == [1, 1, 1]
    write_reports(path, tmp_path / "full")
    assert _digests(tmp_path / "out") == _digests(tmp_path / "full")


def test_after_a_buy_the_open_years_files_and_unchanged_charts_are_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A buy adds no row: the open year's 8949 and income files are the previous run's (the same
    inode: linked, not rewritten), and of each page only the open lots chart is drawn again."""
    from gainlog.api import year_html

    store, path = _sample(tmp_path, monkeypatch)
    store.import_file(write_jsonl(tmp_path / "sell.jsonl", [SELL]), source="sell")  # type: ignore[arg-type]
    write_reports(path, tmp_path / "out")  # a checkpoint at the sell: 2026 is its open year
    before = (tmp_path / "out" / "2026" / "form8949.csv").stat().st_ino
    store.import_file(write_jsonl(tmp_path / "more.jsonl", [BUY]), source="more")  # type: ignore[arg-type]
    drawn: list[str | None] = []
    original = year_html.draw

    def spy(glance: Any, **kwargs: Any) -> Any:
        drawn.append(kwargs.get("only"))
        return original(glance, **kwargs)

    monkeypatch.setattr(year_html, "draw", spy)
    served = _spy(monkeypatch)
    write_reports(path, tmp_path / "out")
    assert served == [True]
    assert (tmp_path / "out" / "2026" / "form8949.csv").stat().st_ino == before
    assert drawn and set(drawn) == {"lots"}
    monkeypatch.setattr(year_html, "draw", original)
    write_reports(path, tmp_path / "full")
    assert _digests(tmp_path / "out") == _digests(tmp_path / "full")


def test_cli_report_8949_json_after_a_buy_is_the_file_report_all_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """After an append that adds no row to the year, `report 8949 --json` of the open year (2025 here) is the
    `form8949.json` `report all` wrote, printed without decoding a row (issue #19); after a sell, that
    file's rows and then the sell's. Both equal a replay without any checkpoint."""
    from gainlog.api import reports
    from gainlog.cli.main import main

    store, path = _sample(tmp_path, monkeypatch)
    buy = {**BUY, "id": "b25", "at": "2025-12-20T12:00:00Z"}  # the sample's open year is 2025
    sell = {**SELL, "id": "s25", "at": "2025-12-21T12:00:00Z", "qty": "0.5"}
    store.import_file(write_jsonl(tmp_path / "buy.jsonl", [buy]), source="buy")  # type: ignore[arg-type]
    written = tmp_path / "out" / "2025" / "form8949.json"
    form = reports.form8949(path, 2025)
    assert form.json_file == written.resolve()
    capsys.readouterr()
    assert main(["--db", str(path), "report", "8949", "--year", "2025", "--json"]) == 0
    served_out = capsys.readouterr().out
    assert served_out.encode() == written.read_bytes() and len(json.loads(served_out)) >= 1
    store.import_file(write_jsonl(tmp_path / "sell.jsonl", [sell]), source="sell")  # type: ignore[arg-type]
    form = reports.form8949(path, 2025)  # the sell adds 2025 rows: printed after the file's
    assert form.json_file == written.resolve() and {r.event_key for r in form.json_more} == {"sell:s25"}
    assert main(["--db", str(path), "report", "8949", "--year", "2025", "--json"]) == 0
    after_sell = capsys.readouterr().out
    before, now = json.loads(served_out), json.loads(after_sell)
    assert now[:len(before)] == before and {r["event_key"] for r in now[len(before):]} == {"sell:s25"}
    assert main(["--db", str(path), "checkpoint", "--clear"]) == 0
    capsys.readouterr()
    assert main(["--db", str(path), "report", "8949", "--year", "2025", "--json"]) == 0
    assert capsys.readouterr().out == after_sell


def test_cli_report_income_and_8949_csv_are_served_without_reading_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a crypto append, `report income` (the table and `--json`) of a year before the open
    year, of the open year and of the tail's year comes from the checkpoint `report all` left (its
    income events valued at 0 and the unpaired leg among the warnings), and `report 8949 --csv` of a
    year the tail adds no row to is the `form8949.csv` `report all` wrote, printed without decoding a
    row; neither reads the log (issue #19). Without the checkpoint, the same bytes from the log."""
    from gainlog.api import reading, reports
    from gainlog.cli.main import main

    monkeypatch.setattr(report_cache, "AUTO_CHECKPOINT", 0)
    path = tmp_path / "l.db"
    store = Store.create(path)
    store.import_file(REPO / "fixtures" / "sample" / "events.jsonl", source="sample")
    extra = [{"type": "income", "id": "drop-2024", "at": "2024-05-01T00:00:00Z", "wallet": "kraken", "asset": "SOL",
              "qty": "2", "kind": "airdrop"},  # no value, no SOL price: at 0, with a warning
             {"type": "withdrawal", "id": "w-2024", "at": "2024-05-02T00:00:00Z", "wallet": "kraken", "asset": "SOL",
              "qty": "0.1"}]  # no transfer pairs it: every report warns of it (R2.8)
    store.import_file(write_jsonl(tmp_path / "extra.jsonl", extra), source="extra")  # type: ignore[arg-type]
    write_reports(path, tmp_path / "out")  # the checkpoint: 2025 is its open year
    more = [SELL, {"type": "income", "id": "m-income", "at": "2026-07-02T00:00:00Z", "wallet": "kraken",
                   "asset": "SOL", "qty": "1", "value": "150", "kind": "staking"}]
    store.import_file(write_jsonl(tmp_path / "more.jsonl", more), source="more")  # type: ignore[arg-type]
    commands = [["income", "--year", "2024"], ["income", "--year", "2024", "--json"],
                ["income", "--year", "2025", "--json"], ["income", "--year", "2026", "--json"],
                ["income", "--year", "2030", "--json"], ["8949", "--year", "2024", "--csv"],
                ["8949", "--year", "2025", "--csv"]]

    def outputs() -> list[tuple[str, str]]:
        printed = []
        for args in commands:
            capsys.readouterr()
            assert main(["--db", str(path), "report", *args]) == 0
            printed.append(tuple(capsys.readouterr()))
        return printed

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read the log or decoded rows")

    with monkeypatch.context() as patch:
        for owner, name in ((reports, "_income_year"), (reading, "empty_year"), (reading, "stream"),
                            (report_checkpoint, "rows_from_json"), (report_checkpoint.Tail, "rows_of")):
            patch.setattr(owner, name, refuse)
        served = outputs()
    income_2024 = json.loads(served[1][0])
    assert income_2024["total"] == "165.00" and [r["value"] for r in income_2024["rows"]] == ["165.00", "0.00"]
    leg = income_2024["warnings"][-1]  # its wording: docs/tax-rules.md R2.8
    assert leg.startswith("extra:w-2024: withdrawal of 0.1 SOL from 'kraken' on 2024-05-02 is not paired with a "
                          "deposit: ") and leg.endswith("(R2.8)")
    assert income_2024["warnings"] == [
        "extra:drop-2024: income of 2 SOL at 2024-05-01T00:00:00+00:00 has no value and no SOL price within the 24 "
        "hours before it; valued at 0", leg]
    assert "warning: extra:drop-2024: income of 2 SOL" in served[0][0] and f"warning: {leg}" in served[0][0]
    assert json.loads(served[3][0])["total"] == "150.00" and json.loads(served[4][0])["warnings"] == [leg]
    assert served[4][1] == "gainlog: warning: no event falls in 2030: the ledger's events are from 2022 to 2026\n"
    assert served[5][0] == (tmp_path / "out" / "2024" / "form8949.csv").read_text()
    assert main(["--db", str(path), "checkpoint", "--clear"]) == 0
    assert outputs() == served


# -- a sharded `report all` leaves a checkpoint (issue #19) --------------------------------------


def _sharded(monkeypatch: pytest.MonkeyPatch) -> list[parallel.Sharding]:
    """How each replay of `report all` ran (`api.parallel.stream_sharded`)."""
    seen: list[parallel.Sharding] = []
    real = parallel.stream_sharded

    def spy(*args: Any, **kwargs: Any) -> Any:
        streamed, how = real(*args, **kwargs)
        seen.append(how)
        return streamed, how

    monkeypatch.setattr(parallel, "stream_sharded", spy)
    return seen


def _parts(store: Store, out: Path) -> tuple[Any, ...]:
    """The checkpoint at the head: its years part, its report part (less the folder it names) and the
    open lots of its engine state, finished (the pieces' numbers and the pools' order may differ), as
    values (the shards' sums are added up shard by shard: the same sums, keyed in another order)."""
    from gainlog.projections.glance import RowSums
    from gainlog.projections.report_checkpoint import REPORT, ReportPart
    from gainlog.projections.year_checkpoint import YEARS, YearsPart

    (made,) = saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version())
    engine, years, report = (saved.part(store, made, name) for name in (cp.STATE, YEARS, REPORT))
    assert engine is not None and years is not None and report is not None
    part = msgspec.msgpack.decode(report, type=ReportPart)
    assert part.out == str(out.resolve())
    state = cp.thaw_engine(engine, tz=store.timezone)
    assert state is not None
    proceeds = RowSums.unpacked_proceeds(part.proceeds)
    return (made.horizon, msgspec.msgpack.decode(years, type=YearsPart), proceeds,
            msgspec.structs.replace(part, out="", stats={}, proceeds={}), cp.booked(state).open_lots)


def _schedule_d(path: Path, year: int) -> tuple[bytes, bytes]:
    """`report schedule-d --year YEAR --json` as served (from a checkpoint when one serves) and replayed."""
    served = reports.schedule_d_json(reports.schedule_d(path, year))
    replayed = reports.schedule_d_json(reports._streamed_schedule_d(path, year, as_of=None))
    return msgspec.json.encode(served), msgspec.json.encode(replayed)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers(), jobs=st.sampled_from([2, 3]))
def test_a_sharded_report_all_leaves_a_checkpoint_that_serves_appends(
    ledger: tuple[list[dict[str, Any]], list[list[dict[str, Any]]]], jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ledgers` and their appends, every `report all` into DIR sharded in `jobs` processes: the first
    leaves the checkpoint one process leaves (`_parts`), which serves the appends."""
    prefix, appends = ledger
    monkeypatch.setattr(report_cache, "AUTO_CHECKPOINT", 0)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "ledger.db"
        store = Store.create(path)
        n = _import(store, folder, "p", prefix, 0)
        store.import_file(write_jsonl(folder / "last.jsonl", [{"type": "buy", "id": "e_last", "at": max(
            e["at"] for e in prefix if "at" in e), "wallet": "B", "asset": "BTC", "qty": "1", "price": "80"}]),
            source="t")  # type: ignore[arg-type]
        out = folder / "out"
        with closing(sqlite3.connect(folder / "copy.db")) as copy:
            store.conn.backup(copy)  # the same ledger, for a one-process run's checkpoint
        seen = _sharded(monkeypatch)
        write_reports(path, out, jobs=jobs)
        how = seen[-1]
        horizon = max(e["at"] for e in prefix if "at" in e)
        head = saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version())
        if how.shards and horizon >= "2025-01-01":  # every shard's pooling changes applied or brought up
            assert [c.seq for c in head] == [store.last_seq()]
            write_reports(folder / "copy.db", folder / "one-cp", jobs=1)
            with Store.open(folder / "copy.db") as other:
                assert _parts(store, out) == _parts(other, folder / "one-cp")  # the one-process run's
            statistic("sharded, left a checkpoint")
        elif how.shards:
            assert head == []  # the 2025 change still due: such a checkpoint would never serve
            statistic("sharded before 2025: no checkpoint")
        else:
            statistic(f"one process: {how.reason}")
        with monkeypatch.context() as patch:
            patch.setattr(report_cache, "AUTO_CHECKPOINT", 10**9)
            write_reports(path, folder / "one", jobs=1)
        assert _digests(out) == _digests(folder / "one")
        served = _spy(monkeypatch)
        for k, events in enumerate(appends):
            n = _import(store, folder, f"a{k}", events, n)
            write_reports(path, out, jobs=jobs)
            full = folder / f"full{k}"
            with monkeypatch.context() as patch:  # no previous folder, one process: a full replay
                patch.setattr(report_cache, "AUTO_CHECKPOINT", 10**9)
                write_reports(path, full, jobs=1)
            assert _digests(out) == _digests(full), f"after append {k}: {events}"
            for year in (2024, 2025, 2026):
                assert _form8949(path, year) == _form8949(path, year, replay=monkeypatch), (k, year)
                assert _income(path, year) == _income(path, year, replay=monkeypatch), (k, year)
                served_sd, replayed_sd = _schedule_d(path, year)
                assert served_sd == replayed_sd, (k, year)
        store.close()
    first = min([int(e["at"][:4]) for e in prefix if "at" in e] + [e["year"] for e in prefix if "year" in e])
    simple = all(e["type"] in ("buy", "sell", "swap", "transfer", "fee", "income", "profile", "carryover")
                 and "lots" not in e and (e["type"] != "income" or "value" in e)
                 and "XYZ" not in (e.get("asset"), e.get("give_asset"))
                 and e.get("at", horizon) >= horizon and e.get("year", 9999) >= first
                 for e in appends[0])  # a year before the first adds a folder: replays
    crypto_wash = any(e["type"] == "policy" for e in prefix)
    if how.shards and horizon >= "2025-01-01" and simple and not crypto_wash:
        assert served[0], appends[0]  # the first append was served from the sharded run's checkpoint
        statistic("the first append served from the sharded run's checkpoint")


def test_export_and_reconcile_are_served_where_report_8949_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #19: `export` (each text format) and `reconcile` of a year take its rows and Schedule D from the
    checkpoint `report all` left wherever `report 8949` is served (200,000 events: 2.5 s -> 0.6 s), with the
    bytes of a replay: before and after a qualifying append, an earlier year and the open one."""
    from datetime import date

    from gainlog.api import export, reading
    from gainlog.api.reconcile import reconcile

    broker = REPO / "fixtures" / "broker" / "coinbase-1099da-2025.csv"

    def outputs(tag: str, year: int) -> list[Any]:
        done = [export.statement(path, year)]
        for fmt in export.TEXT_FORMATS:
            out = tmp_path / f"{tag}.{fmt}"
            done += [export.export(path, year, fmt, out, exported_on=date(2026, 12, 1)).to_json() | {"out": ""},
                     out.read_bytes()]
        return [*done, reconcile(path, year, broker, fmt="1099da").to_json()]

    store, path = _sample(tmp_path, monkeypatch)
    for step in ("checkpoint", "append"):
        if step == "append":
            store.import_file(write_jsonl(tmp_path / "more.jsonl", [SELL]), source="more")  # type: ignore[arg-type]
        for year in (2024, 2025, 2026):
            with monkeypatch.context() as patch:
                patch.setattr(reading, "stream", lambda *a, **k: pytest.fail("replayed"))
                served = outputs("served", year)
            with monkeypatch.context() as patch:
                patch.setattr(report_cache, "year_statement", lambda *a, **k: None)
                replayed = outputs("replayed", year)
            assert served == replayed
            assert bool(served[0].rows) == ((year, step) != (2026, "checkpoint"))  # the sample ends in 2025


def test_cli_report_html_and_donations_are_served_without_reading_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a crypto append, `report html` of a year before the open year (the holdings the full run
    stored), of the open year and of the tail's year, and `report donations`, come from the checkpoint
    `report all` left without reading the log (issue #19): the pages are the bytes a replay writes and
    the ones the next `report all` writes. A `donate` appended is not served: it is read from the log."""
    from gainlog.api import reading
    from gainlog.cli.main import main

    store, path = _sample(tmp_path, monkeypatch)  # the checkpoint: 2025 is its open year
    store.import_file(write_jsonl(tmp_path / "more.jsonl", [SELL]), source="more")  # type: ignore[arg-type]
    years = ("2024", "2025", "2026")

    def outputs(name: str) -> list[Any]:
        printed = []
        for year in years:
            capsys.readouterr()
            out = tmp_path / name / f"{year}.html"
            assert main(["--db", str(path), "report", "html", "--year", year, "--out", str(out), "--json"]) == 0
            printed.append((json.loads(capsys.readouterr().out) | {"out": None}, out.read_bytes()))
            assert main(["--db", str(path), "report", "donations", "--year", year, "--json"]) == 0
            printed.append(json.loads(capsys.readouterr().out))
        return printed

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read the log")

    with monkeypatch.context() as patch:
        patch.setattr(reading, "stream", refuse)
        served = outputs("served")
    assert served[4][0]["seq"] == store.last_seq() and served[4][0]["year"] == 2026
    assert served[1] == {"year": 2024, "total_fmv": "0.00", "total_basis": "0.00", "rows": [], "warnings": []}
    write_reports(path, tmp_path / "out")  # served too: its pages are the same bytes
    assert [(tmp_path / "out" / y / "report.html").read_bytes() for y in years] == [p[1] for p in served[::2]]
    assert main(["--db", str(path), "checkpoint", "--clear"]) == 0
    assert outputs("replayed") == served
    donate = {"type": "donate", "id": "gift-2026", "at": "2026-08-01T12:00:00Z", "wallet": "coinbase",
              "asset": "ETH", "qty": "1", "fmv": "2600"}
    store.import_file(write_jsonl(tmp_path / "donate.jsonl", [donate]), source="donate")  # type: ignore[arg-type]
    write_reports(path, tmp_path / "out")  # a log with a donation leaves no checkpoint: replayed
    capsys.readouterr()
    assert main(["--db", str(path), "report", "donations", "--year", "2026", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["key"], r["fmv"]) for r in rows] == [("donate:gift-2026", "2600.00")]


def test_a_replayed_schedule_d_keeps_the_checkpoint_report_all_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`report schedule-d` that replays (a stock trade after the checkpoint) leaves its own checkpoint
    (issue #19) without pruning the newest one `report all` left: a later `report all` still finds
    the part it is served from once a tail qualifies again."""
    from gainlog.api.reports import schedule_d

    store, path = _sample(tmp_path, monkeypatch)
    [reported] = saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version())
    for i in range(3):  # each a stock trade: no checkpoint serves it, each replay leaves one
        buy = {"type": "buy", "id": f"stock-{i}", "at": f"2026-0{i + 1}-05T15:00:00Z", "wallet": "schwab",
               "asset": "VTI", "qty": "1", "price": "250"}
        store.import_file(write_jsonl(tmp_path / f"s{i}.jsonl", [buy]), source="more")  # type: ignore[arg-type]
        schedule_d(path, 2026)
    kept = [c.seq for c in saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version())]
    assert kept == [store.last_seq(), store.last_seq() - 1, reported.seq]
    assert saved.has_part(store, reported, report_checkpoint.REPORT)


def test_cli_diff_and_whatif_read_the_served_point_from_the_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a crypto append, `diff --from TAG` reads both points' year from the checkpoint `report all`
    left (the tag is at its seq, the head after it) and `whatif` replays only the what-if (the log's
    year from it); the same JSON as when every point replays."""
    from gainlog.api import audit, whatif
    from gainlog.cli.main import main

    store, path = _sample(tmp_path, monkeypatch)
    assert main(["--db", str(path), "tag", "before-the-sell"]) == 0
    store.import_file(write_jsonl(tmp_path / "more.jsonl", [SELL]), source="more")  # type: ignore[arg-type]
    replays: list[str] = []

    def counted(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            replays.append(name)
            return original(*args, **kwargs)
        return call

    for owner, name in ((audit, "_year_replay"), (whatif, "_year_reports")):
        monkeypatch.setattr(owner, name, counted(name, getattr(owner, name)))

    def outputs() -> list[Any]:
        printed = []
        for args in (["diff", "--year", "2026", "--from", "before-the-sell", "--json"],
                     ["whatif", "--year", "2026", "--method", "HIFO", "--json"]):
            capsys.readouterr()
            assert main(["--db", str(path), *args]) == 0
            value = json.loads(capsys.readouterr().out)
            printed.append({**value, "events": [{**e, "recorded_at": None} for e in value["events"]]})
        return printed

    served = outputs()
    assert replays == ["_year_reports"]  # the what-if alone
    assert {r["event_key"] for r in served[0]["rows"]["added"]} == {"more:m2"}
    replays.clear()
    assert main(["--db", str(path), "checkpoint", "--clear"]) == 0
    assert outputs() == served
    assert replays == ["_year_replay"] * 2 + ["_year_reports"] * 2
