"""`report all` and `report 8949` in bounded memory (issue #7): the streamed replay changes no byte.

`projections.pipeline.replay` folds a log read once from the store and hands the washed slices out
one at a time; `report all` writes each year's 8949 files a chunk of rows at a time. Random ledgers
in real stores (backdated trades, retractions, `--replace` corrections naming lots, stock wash sales,
crypto under the wash-sale policy, wallet and profile events) are replayed both ways and compared,
and the pieces are checked for their shape (iterators, chunks), never for time or bytes of memory.
"""

from __future__ import annotations

import csv
import inspect
import io
import random
import weakref
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from conftest import Result, write_jsonl
from gainlog.api.reading import load
from gainlog.api.reports import income_rows as income_as_of
from gainlog.fixtures.generate import generate
from gainlog.ledger.store import Store
from gainlog.projections import form8949, pipeline, reports
from gainlog.projections.engine import LotBookState, income_rows
from gainlog.projections.engine.fold import time_order
from gainlog.projections.exact import tidy
from gainlog.projections.knowledge import live
from gainlog.projections.model import Booked
from gainlog.projections.order import is_sorted
from gainlog.projections.pipeline import project, replay
from gainlog.projections.rules.form_box import wallet_reports
from gainlog.projections.rules.wash_sale import WashPass
from gainlog.projections.tax_year import tax_years
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DAYS = [f"{y}-{m:02d}-{d:02d}" for y in (2023, 2024, 2025) for m in (1, 2, 3, 6, 11) for d in (2, 14, 28)]
qtys = st.sampled_from(["0.5", "1", "2", "3"])
prices = st.sampled_from(["40", "100", "180", "400"])


@st.composite
def trade(draw: st.DrawFn) -> dict[str, Any]:
    at = f"{draw(st.sampled_from(DAYS))}T{draw(st.integers(10, 20))}:00:00Z"
    asset = draw(st.sampled_from(["BTC", "XYZ"]))
    wallet = draw(st.sampled_from(["A", "B"]))
    kind = draw(st.sampled_from(["buy", "buy", "sell", "sell", "swap", "transfer", "fee", "income"]))
    base = {"type": kind, "at": at}
    if kind == "buy":
        return {**base, "wallet": wallet, "asset": asset, "qty": draw(qtys), "price": draw(prices)}
    if kind == "sell":
        return {**base, "wallet": wallet, "asset": asset, "qty": draw(qtys), "price": draw(prices), "fee": "1.5"}
    if kind == "swap":
        return {**base, "wallet": wallet, "give_asset": "BTC", "give_qty": draw(qtys), "get_asset": "ETH",
                "get_qty": "3", "value": draw(prices)}
    if kind == "transfer":
        extra = {"fee_qty": "0.1", "fee_value": "7"} if draw(st.booleans()) else {}
        return {**base, "from": wallet, "to": "B" if wallet == "A" else "A", "asset": "BTC", "qty": draw(qtys),
                **extra}
    if kind == "fee":
        return {**base, "wallet": wallet, "asset": "BTC", "qty": "0.1", "value": "9"}
    return {**base, "wallet": wallet, "asset": "ETH", "qty": "0.2", "value": "30", "kind": "staking"}


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[int], bool]:
    """(events with ids, indexes of sells to correct by naming a lot, put crypto under the wash-sale rule)."""
    events = [{"type": "buy", "at": "2023-01-01T09:00:00Z", "wallet": "A", "asset": "XYZ", "class": "stock",
               "qty": "5", "price": "100"}]
    events += draw(st.lists(trade(), min_size=1, max_size=30))
    if draw(st.booleans()):  # a stock loss with replacements around it (R4): washed and split rows
        days = draw(st.permutations(["2024-06-02", "2024-06-14", "2024-06-28", "2024-07-10"]))
        events += [{"type": "buy", "at": f"{days[0]}T09:30:00Z", "wallet": "A", "asset": "XYZ", "qty": "10",
                    "price": "400"},
                   {"type": "sell", "at": f"{days[1]}T09:30:00Z", "wallet": "A", "asset": "XYZ", "qty": "6",
                    "price": "40"},
                   {"type": "buy", "at": f"{days[2]}T09:30:00Z", "wallet": "B", "asset": "XYZ", "qty": "4",
                    "price": "100"},
                   {"type": "sell", "at": f"{days[3]}T09:30:00Z", "wallet": "B", "asset": "XYZ", "qty": "3",
                    "price": "60"}]
    events += [{"type": "wallet", "wallet": "B", "reports": "none"},
               {"type": "profile", "year": 2024, "filing_status": "mfs", "taxable_income": "-500"}]
    if draw(st.booleans()):
        events.append({"type": "carryover", "year": 2025, "short_term": "100", "long_term": "0"})
    events = [{**e, "id": f"e{i}"} for i, e in enumerate(events)]
    sells = [i for i, e in enumerate(events) if e["type"] == "sell"]
    corrected = draw(st.lists(st.sampled_from(sells), max_size=2, unique=True)) if sells else []
    return events, corrected, draw(st.booleans())


def _store(folder: Path, events: list[dict[str, Any]], corrected: list[int], crypto_wash: bool) -> Store:
    store = Store.create(folder / "l.db")
    if crypto_wash:
        store.import_file(write_jsonl(folder / "p.jsonl", [
            {"type": "policy", "id": "p", "from": "2024-01-01", "wash_sale_crypto": True}]), source="policy")
    store.import_file(write_jsonl(folder / "a.jsonl", events), source="t")
    if len(events) > 3:
        store.retract("t:e3", reason="test")
    if corrected:  # the same export again, its sells now naming the first lot: retract + append (R3.6)
        fixed = [{**e, "lots": [{"lot": "e0", "qty": "0.5"}]} if i in corrected else e for i, e in enumerate(events)]
        store.import_file(write_jsonl(folder / "b.jsonl", fixed), source="t", replace=True)
    return store


def _encoded(value: Any) -> bytes:
    return msgspec.msgpack.encode(value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.data())
def test_replay_equals_project(ledger: tuple[list[dict[str, Any]], list[int], bool], data: st.DataObject) -> None:
    events, corrected, crypto_wash = ledger
    with TemporaryDirectory() as folder:
        store = _store(Path(folder), events, corrected, crypto_wash)
        tz = store.timezone
        head = store.last_seq()
        for seq in {head, data.draw(st.integers(1, head))}:
            records = store.read(until=seq)
            expected = project(records, tz=tz, until_seq=seq)
            # `report income` reads the income rows straight from the live events, without the fold
            assert _encoded(income_rows(live(records, until_seq=seq), tz=tz)) == _encoded(expected.income)
            assert _encoded(income_as_of(Path(folder) / "l.db", as_of=str(seq))) == _encoded(expected.income)
            for targets in (store.retract_targets(until=seq), None):
                got = replay(store.iter_read(until=seq), tz=tz, until_seq=seq, targets=targets)
                slices = tuple(got.slices)
                assert _encoded(slices) == _encoded(expected.slices)
                assert _encoded((got.income, got.problems)) == _encoded((expected.income, expected.problems))
                booked = Booked(slices=slices, acquisitions=(), open_lots=(), income=got.income,
                                problems=got.problems)
                assert _encoded(tax_years(booked, got.log, tz=tz)) == _encoded(tax_years(expected, records, tz=tz))
                assert _encoded(wallet_reports(got.log)) == _encoded(wallet_reports(live(records)))
            assert live(records, targets=store.retract_targets(until=seq)) == live(records)
        store.close()


def _generated(folder: Path, events: int, seed: int) -> Store:
    """A store at folder/l.db holding a generated ledger."""
    path = folder / "g.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in generate(events, seed)))
    store = Store.create(folder / "l.db")
    store.import_file(path)
    return store


def test_replay_reads_the_log_once_and_keeps_few_events() -> None:
    with TemporaryDirectory() as folder:
        store = _generated(Path(folder), 3000, 7)
        assert inspect.isgenerator(store.iter_read())
        once = (r for r in store.iter_read())  # a one-shot iterable: no second pass, no len()
        result = replay(once, tz=store.timezone, targets=store.retract_targets())
        assert iter(result.slices) is result.slices  # handed out one at a time
        assert len(result.log) < 40  # settings, profiles, the first and last trade, the trades problems name
        expected = project(store.read(), tz=store.timezone)
        assert _encoded(tuple(result.slices)) == _encoded(expected.slices)
        store.close()


def test_time_order_check_agrees_with_the_sort() -> None:
    rng = random.Random(3)
    events = [{"type": "buy", "id": f"b{i}", "at": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T12:00:00Z",
               "wallet": "A", "asset": "BTC", "qty": "1", "price": "1"} for i in range(30)]
    with TemporaryDirectory() as folder:
        store = Store.create(Path(folder) / "l.db")
        store.import_file(write_jsonl(Path(folder) / "a.jsonl", events))
        trades = store.read()
        ordered = sorted(trades, key=lambda r: (r.event.at, r.seq))  # type: ignore[union-attr]
        assert not is_sorted(trades, time_order) and is_sorted(ordered, time_order)
        store.close()


def test_row_chunks_stay_within_a_year_and_add_up_to_rows() -> None:
    with TemporaryDirectory() as folder:
        store = _generated(Path(folder), 4000, 11)
        loaded = load(Path(folder) / "l.db", None)
        wallets = wallet_reports(live(loaded.records))
        chunks = list(form8949.row_chunks(iter(loaded.booked.slices), wallets, size=100))
        assert all(0 < len(c) <= 100 and len({r.year for r in c}) == 1 for c in chunks)
        assert len({r.year for c in chunks for r in c}) > 1
        whole = form8949.rows(loaded.booked.slices, wallets)
        assert _encoded([r for c in chunks for r in c]) == _encoded(whole)
        text = form8949.CsvText()
        for c in chunks:
            text.add(c)
        assert "".join(text.pieces()) == form8949.to_csv(whole)
        store.close()


def _writer_csv(rows: list[form8949.Row]) -> str:
    """The CSV exactly as `csv.writer` writes it (what `to_csv` always wrote)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(form8949.CSV_HEADER)
    writer.writerows(
        (r.part, r.box, f"{form8949.plain(r.qty)} {r.asset}", r.date_acquired, r.date_sold,
         r.proceeds, r.cost_basis, r.code, r.adjustment, r.gain)
        for r in form8949.grouped(rows)
    )
    return out.getvalue()


def test_csv_lines_are_what_the_csv_writer_writes() -> None:
    log = """
{"type": "buy", "id": "a", "at": "2024-01-02", "wallet": "w", "asset": "A,B", "qty": "1.50", "price": "10"}
{"type": "buy", "id": "b", "at": "2024-01-03", "wallet": "w", "asset": "Q\\"T", "qty": "2", "price": "3"}
{"type": "buy", "id": "c", "at": "2024-01-04", "wallet": "w", "asset": "XYZ", "class": "stock", "qty": "100",
  "price": "7"}
{"type": "sell", "id": "d", "at": "2024-03-02", "wallet": "w", "asset": "A,B", "qty": "1", "price": "12"}
{"type": "sell", "id": "e", "at": "2024-03-03", "wallet": "w", "asset": "Q\\"T", "qty": "2", "price": "1"}
{"type": "sell", "id": "f", "at": "2024-03-04", "wallet": "w", "asset": "XYZ", "qty": "30", "price": "5"}
{"type": "sell", "id": "g", "at": "2024-03-05", "wallet": "w", "asset": "XYZ", "qty": "80", "price": "9"}
"""
    from helpers import records

    recs = records(log.replace("\n  ", " "))
    rows = form8949.rows(project(recs, tz=ZoneInfo("UTC")).slices, wallet_reports(recs))
    assert {r.asset for r in rows} == {"A,B", 'Q"T', "XYZ"} and any(r.missing_basis for r in rows)
    assert form8949.to_csv(rows) == _writer_csv(rows)


def test_report_all_writes_the_files_a_full_replay_gives(
    tmp_path: Path, gainlog: Callable[..., Result], db: Path
) -> None:
    """The streamed `report all` against the files built the way it built them before (all rows of
    every year in memory), on a generated ledger with stock wash sales and a correction."""
    path = tmp_path / "g.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in generate(3000, 5)))
    assert gainlog("import", str(path), "--source", "g").code == 0
    assert gainlog("retract", "g:e40", "--reason", "test").code == 0
    result = gainlog("report", "all", "--out", str(tmp_path / "out"))
    assert result.code == 0, result.err
    loaded = load(db, None)
    ty = loaded.tax_years()
    years = ty.report_years()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [*map(str, years), "manifest.json"]
    for year in years:
        rows = ty.rows_of(year)
        folder = tmp_path / "out" / str(year)
        assert (folder / "form8949.csv").read_text(encoding="utf-8") == form8949.to_csv(rows)
        compact = msgspec.json.encode(reports.form8949_json(rows))
        assert (folder / "form8949.json").read_bytes() == msgspec.json.format(compact, indent=2) + b"\n"
        sd = msgspec.json.format(msgspec.json.encode(reports.schedule_d_json(ty.years[year])), indent=2) + b"\n"
        assert (folder / "schedule_d.json").read_bytes() == sd
        income = msgspec.json.encode(reports.income_rows_json(loaded.booked.income, year))
        assert (folder / "income.json").read_bytes() == msgspec.json.format(income, indent=2) + b"\n"
    for year in (years[0], years[-2]):
        rows = ty.rows_of(year)
        assert gainlog("report", "8949", "--year", str(year), "--csv").out == form8949.to_csv(rows)
        whole = form8949.rows([s for s in loaded.booked.slices if s.date_sold.year == year],
                              wallet_reports(live(loaded.records)), quantum=form8949.DOLLAR)
        dollars = gainlog("report", "8949", "--year", str(year), "--csv", "--whole-dollars").out
        assert dollars == form8949.to_csv(whole, whole_dollars=True)


@settings(max_examples=300, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: abs(d.adjusted()) < 30))
def test_tidy_is_normalize_without_exponent(value: Any) -> None:
    """`tidy` as it was written before its faster test: normalize, and quantize a positive exponent away."""
    from gainlog.projections.exact import EXACT, ONE

    normal = value.normalize(EXACT)
    expected = normal.quantize(ONE, context=EXACT) if normal.adjusted() > 0 and normal.as_tuple().exponent > 0 \
        else normal
    assert str(tidy(value)) == str(expected)


def test_is_sorted_allows_ties_and_finds_the_first_inversion() -> None:
    assert is_sorted([], lambda x: x) and is_sorted([1], lambda x: x)
    assert is_sorted([1, 1, 2, 3, 3], lambda x: x)
    assert not is_sorted([1, 3, 2], lambda x: x)
    assert is_sorted([(2, "b"), (1, "a")], lambda p: -p[0])


def test_replay_holds_one_date_per_day_and_frees_the_engine_before_the_wash_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Per-event memory (issue #19): the slices share one date object per day, and the lot engine's
    state (its pools, lot keys and list of slices) is gone before the wash-sale pass holds the slices."""
    states: list[weakref.ref[LotBookState]] = []
    alive_at_wash: list[bool] = []

    class Watched(LotBookState):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            states.append(weakref.ref(self))

    def wash(*args: Any, **kwargs: Any) -> WashPass:
        alive_at_wash.append(any(ref() is not None for ref in states))
        return WashPass(*args, **kwargs)

    monkeypatch.setattr(pipeline, "LotBookState", Watched)
    monkeypatch.setattr(pipeline, "WashPass", wash)
    with TemporaryDirectory() as folder:
        store = _generated(Path(folder), 3000, 7)
        for freeze in (False, True):
            run = replay(store.iter_read(), tz=store.timezone, targets=store.retract_targets(), year_ends=True,
                         freeze=freeze)
            slices = list(run.slices)
            assert len({s.date_sold for s in slices}) == len({id(s.date_sold) for s in slices}) < len(slices) * 0.6
            assert _encoded(slices) == _encoded(project(store.read(), tz=store.timezone).slices)
        store.close()
    assert alive_at_wash == [False] * 4  # each replay and each project
