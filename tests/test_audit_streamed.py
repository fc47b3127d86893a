"""`lots`, `explain` and `diff` replay the log streamed (issue #11): never the whole log in memory.

Each reads the store through `Store.iter_read` (the fold releases each record once folded, as in
`report all`); `explain` then keeps, of a second streamed read, only the events its trails name.
Here `Store.read` of the whole log is refused while they run, and what they return is compared with
the same values computed from the whole log in memory (`api.reading.load`, `project`, `trails`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import write_jsonl
from gainlog.api.audit import explain, year_diff
from gainlog.api.lots import end_of_day, open_lot_row, open_lots
from gainlog.api.reading import load
from gainlog.api.reports import schedule_d_json
from gainlog.fixtures.generate import generate
from gainlog.ledger.store import Store
from gainlog.projections.diff import year_diff as diff_of
from gainlog.projections.explain import trails
from gainlog.projections.knowledge import live
from gainlog.projections.pipeline import project
from gainlog.projections.reports import form8949_json

YEARS = (2023, 2024, 2025)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated ledger, tagged, then changed: one sell retracted and one re-imported corrected."""
    folder = tmp_path_factory.mktemp("streamed")
    path = folder / "g.jsonl"
    lines = [line.decode() for line in generate(3000, 11)]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    db = folder / "l.db"
    with Store.create(db, timezone="America/New_York") as store:
        store.import_file(path, source="g")
        store.tag("before")
        sells = [r for r in store.read() if r.event.__class__.__name__ == "Sell"]
        retracted = next(r for r in sells if r.event.at.year == 2024)
        store.retract(retracted.key, reason="test")
        changed = next(r for r in sells if r.event.at.year == 2025 and r.event.fee is None)
        body = next(json.loads(line) for line in lines if f'"{changed.key.split(":", 1)[1]}"' in line)
        body["fee"] = "1.5"
        store.import_file(write_jsonl(folder / "fix.jsonl", [body]), source="fix")
        store.retract(changed.key, reason="corrected")
    return db


@contextmanager
def streamed_only() -> Iterator[None]:
    """Inside: `Store.read` from the start of the log fails (the commands must stream)."""
    original = Store.read

    def read(self: Store, *, after: int = 0, until: int | None = None) -> Any:
        assert after > 0, "the whole log read into memory"
        return original(self, after=after, until=until)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Store, "read", read)
        yield


def _reports(db: Path, point: str | None, year: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ty = load(db, point).tax_years(through=year)
    return schedule_d_json(ty.years[year]), form8949_json(ty.rows_of(year))


def test_lots_streams_and_gives_the_in_memory_lots(ledger: Path) -> None:
    for year in YEARS:
        with Store.open(ledger) as store:
            records = list(store.iter_read())
            expected = project(records, tz=store.timezone, until=end_of_day(date(year, 12, 31), store.timezone))
        with streamed_only():
            got = open_lots(ledger, year_end=year)
        assert got.to_json() == [open_lot_row(lot) for lot in expected.open_lots]
        assert got.to_json() != []
        assert got.problems == expected.problems


def test_explain_streams_and_gives_the_in_memory_trails(ledger: Path) -> None:
    for year in YEARS:
        with Store.open(ledger) as store:
            records = list(store.iter_read())
            tz = store.timezone
        booked = project(records, tz=tz)
        expected = trails(booked, live(records), year)
        with streamed_only():
            got = explain(ledger, year).to_json()
            one = explain(ledger, year, row=2).to_json()
        assert len(got["rows"]) == len(expected) > 0
        assert [{k: v for k, v in row.items() if k not in ("8949", "events")} for row in got["rows"]] == expected
        keys = [[e["key"] for e in row["events"]] for row in got["rows"]]
        assert keys == [[k for k in (t["disposal"], t["acquisition"], *t["transfers"]) if k] for t in expected]
        assert any(t["transfers"] for t in expected)  # the second read keeps the transfers
        assert one["rows"] == [got["rows"][1]]
        schedule_d, form_rows = _reports(ledger, None, year)
        assert got["schedule_d"] == schedule_d
        assert [row["8949"] for row in got["rows"]] == form_rows


def test_diff_streams_and_gives_the_in_memory_diff(ledger: Path) -> None:
    for year in YEARS:
        with streamed_only():
            got = year_diff(ledger, year, "before").to_json()
        with Store.open(ledger) as store:
            head = store.last_seq()
            between = store.read(after=store.resolve("before"), until=head)
        expected = diff_of(year, "before", head, _reports(ledger, "before", year), _reports(ledger, None, year))
        assert {k: v for k, v in got.items() if k != "events"} == expected
        assert [e["seq"] for e in got["events"]] == [r.seq for r in between]
    assert year_diff(ledger, 2024, "before").to_json()["rows"]["removed"]  # the retracted sell's rows


def test_explain_keeps_one_line_per_event_however_many_rows_name_it(ledger: Path) -> None:
    rows = explain(ledger, 2024).to_json()["rows"]
    lines = [line for row in rows for line in row["events"]]
    by_seq: dict[int, dict[str, Any]] = {}
    for line in lines:
        assert by_seq.setdefault(line["seq"], line) is line  # the same dict, not an equal copy
    assert len(by_seq) < len(lines)  # some event is named by several rows


def test_json_is_written_as_it_is_encoded(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--json` output goes out a batch of the encoder's pieces at a time (never the whole text as
    one string), the same text."""
    import io
    import sys

    from gainlog.cli import app

    pieces: list[str] = []

    class Out(io.StringIO):
        def write(self, text: str) -> int:
            pieces.append(text)
            return len(text)

    value = {"rows": [{"n": i, "text": "é"} for i in range(50)]}
    monkeypatch.setattr(sys, "stdout", Out())
    monkeypatch.setattr(app, "JSON_BATCH", 8)  # pieces of the encoder per write
    app.emit_json(value)
    assert "".join(pieces) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    assert len(pieces) > 50 and max(map(len, pieces)) < 200


@contextmanager
def never_materialised() -> Iterator[None]:
    """Inside: `pipeline.materialise` (every slice of the replay in one tuple) fails."""

    def materialise(run: Any) -> Any:
        raise AssertionError("the whole projection materialised")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("gainlog.projections.pipeline.materialise", materialise)
        yield


def test_lots_keeps_neither_slices_nor_acquisitions(ledger: Path) -> None:
    """`lots` reads only the final state (issue #11: 1.1 GB at 1M events before): the slices pass
    through the wash-sale pass one at a time and the acquisitions are not kept."""
    with never_materialised():
        got = open_lots(ledger, year_end=2024)
    assert got.booked.slices == () and got.booked.acquisitions == ()
    assert len(got.lots) > 0


def test_explain_and_diff_keep_only_the_years_slices(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`explain` and `diff` keep of the replay only the slices of the year they read (issue #11: 1.6
    GB at 1M events before); the years before are added up as they pass, the later ones never read."""
    from gainlog.api import audit
    from gainlog.projections import pipeline
    from gainlog.projections.explain import year_slices

    read_years: list[int] = []
    original = pipeline.replay

    def replay(*args: Any, **kwargs: Any) -> Any:
        run = original(*args, **kwargs)

        def noted(slices: Any) -> Iterator[Any]:
            for s in slices:
                read_years.append(s.date_sold.year)
                yield s

        return pipeline.Replay(**{**{f: getattr(run, f) for f in run.__struct_fields__}, "slices": noted(run.slices)})

    monkeypatch.setattr(pipeline, "replay", replay)
    year = 2024
    expected = tuple(year_slices(load(ledger, None).booked, year))
    read_years.clear()
    kept = audit._year_replay(ledger, year, None).booked.slices
    assert kept == expected
    assert {s.date_sold.year for s in kept} == {year}
    assert max(read_years) == year + 1 and read_years.count(year + 1) == 1  # stopped at the first later slice
    with never_materialised():
        assert explain(ledger, year, row=1).to_json()["rows"][0]["row"] == 1
        assert year_diff(ledger, year, "before").to_json()["rows"]["removed"]


def test_diff_of_row_texts_is_the_diff_of_rows() -> None:
    """`diff` compares the rows as compact JSON texts (issue #11): the same multiset difference as
    `diff_rows` of the dicts, in report order, with only the differing rows decoded."""
    import msgspec
    from gainlog.projections.diff import diff_row_texts, diff_rows

    def row(n: int, gain: str) -> dict[str, Any]:
        return {"description": f"{n} BTC", "qty": str(n), "gain": gain, "seq": n, "missing_basis": False}

    old = [row(1, "1.00"), row(2, "2.00"), row(2, "2.00"), row(3, "3.00"), row(4, "-4.00")]
    new = [row(2, "2.00"), row(3, "3.50"), row(1, "1.00"), row(5, "5.00"), row(5, "5.00"), row(4, "-4.00")]
    texts = [msgspec.json.encode(r) for r in old], [msgspec.json.encode(r) for r in new]
    got = diff_row_texts(*texts)
    assert got == diff_rows(old, new)
    assert got == {"added": [row(3, "3.50"), row(5, "5.00"), row(5, "5.00")],
                   "removed": [row(2, "2.00"), row(3, "3.00")]}
    assert list(got["added"][0]) == list(row(3, "3.50"))  # keys in the rows' own order


def test_explains_events_are_read_by_type_and_key(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`explain`'s second read (issue #19): the events of the types it always reads, and of the others only
    those with a key it names (`Store.iter_read(keys=...)`), are what a filter of the whole log keeps, in seq
    order; for one row it decodes those few, not every trade of the log (200,000 events: 0.72 s -> 0.1 s)."""
    from gainlog.api.audit import _trail_records
    from gainlog.ledger import codec
    from gainlog.ledger.events import CORPORATE, TRADES, Transfer

    def filtered(store: Store, seq: int, keys: set[str]) -> list[Any]:
        return live([r for r in store.read(until=seq) if r.key in keys or isinstance(r.event, (Transfer, *CORPORATE))
                     or not isinstance(r.event, TRADES)], until_seq=seq)

    with Store.open(ledger) as store:
        seq = store.last_seq()
        records = store.read()
        sold = {r.key for r in records if r.event.__class__.__name__ == "Sell"}
        for keys in ({*sorted(sold)[:3], records[5].key}, sold, set()):
            for point in (seq, seq // 2):
                assert _trail_records(store, point, keys) == filtered(store, point, keys)
        decoded: list[int] = []
        original = codec.body_decoder

        def counting(*, trail: bool = True) -> Any:
            decode = original(trail=trail)
            return lambda body: (decoded.append(1), decode(body))[1]

        monkeypatch.setattr(codec, "body_decoder", counting)
        one = _trail_records(store, seq, {records[5].key})
        always = [r for r in one if r.key != records[5].key]
        assert records[5].key in {r.key for r in one}
        assert len(decoded) <= len(always) + 2 + sum(1 for r in records if r.event.__class__.__name__ == "Retract")
        assert len(decoded) < len(records) // 4
