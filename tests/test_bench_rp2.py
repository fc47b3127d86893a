"""The benchmark's RP2 side of the one-asset case (issue #19): RP2's input written from the same
ledger gainlog imports, RP2 timed in the same run, and the ratio reported, or a message without RP2.

RP2 itself is not installed for the tests: a stand-in `rp2_us` records how it was called.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

import pytest
from conftest import REPO
from gainlog.fixtures.generate import generate

BENCH = REPO / "bench"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def _module(name: str) -> ModuleType:
    """bench/NAME.py, loaded as `bench_NAME` (bench/ is no package; run.py imports rp2_feed from it)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def feed() -> ModuleType:
    return _module("rp2_feed")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _module("run")


def _sheet(ods: Path) -> tuple[str, list[list[str]]]:
    """The one sheet's name and its rows as text cells (trailing empty cells dropped)."""
    with zipfile.ZipFile(ods) as zf:
        first = zf.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert zf.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        root = ElementTree.fromstring(zf.read("content.xml"))
    (table,) = root.iter(f"{TABLE}table")
    rows = []
    for row in table.iter(f"{TABLE}table-row"):
        cells = ["".join(p.text or "" for p in cell.iter(f"{TEXT}p")) for cell in row.iter(f"{TABLE}table-cell")]
        while cells and cells[-1] == "":
            cells.pop()
        rows.append(cells)
    return table.get(f"{TABLE}name") or "", rows


def test_rp2_input_holds_every_buy_and_sell_of_the_ledger(feed: ModuleType, tmp_path: Path) -> None:
    lines = list(generate(60, 3, one_asset=True))
    events = [json.loads(line) for line in lines]
    config, ods = feed.write_input(lines, tmp_path)
    name, rows = _sheet(ods)
    assert name == "BTC"
    buys = [e for e in events if e["type"] == "buy"]
    sells = [e for e in events if e["type"] == "sell"]
    assert buys and sells and len(buys) + len(sells) == 60
    end_in = rows.index(["TABLE END"])
    assert rows[0] == ["IN"] and rows[1] == list(feed.IN_COLUMNS) and end_in == 2 + len(buys)
    assert rows[end_in + 1] == [] and rows[end_in + 2] == ["OUT"] and rows[end_in + 3] == list(feed.OUT_COLUMNS)
    assert rows[end_in + 4 + len(sells)] == ["TABLE END"]
    buy, first = rows[2], buys[0]
    assert buy[:7] == [first["at"].replace("T", " ").replace("Z", "+00:00"), "BTC", first["wallet"], "Me", "BUY",
                       first["price"], first["qty"]]
    assert buy[10:12] == [first.get("fee", "0"), first["id"]]
    sell, first_sell = rows[end_in + 4], sells[0]
    assert sell[4:8] == ["SELL", first_sell["price"], first_sell["qty"], "0"] and sell[11] == first_sell["id"]
    text = config.read_text()
    assert text.startswith(f"[general]\nassets = BTC\nexchanges = {first['wallet']}\nholders = Me\n")
    assert "[in_header]\ntimestamp = 0\n" in text and "unique_id = 11\n" in text and "[intra_header]\n" in text


def test_rp2_input_refuses_what_the_comparison_cannot_hold(feed: ModuleType, tmp_path: Path) -> None:
    swap = b'{"type":"swap","at":"2024-01-01T00:00:00Z","wallet":"w"}'
    with pytest.raises(ValueError, match="buys and sells only, got 'swap'"):
        feed.write_input([swap], tmp_path)
    assert feed.rp2_command(str(tmp_path / "missing")) is None


def test_the_comparison_says_how_many_times_faster_or_that_rp2_is_missing(bench: ModuleType) -> None:
    ours, theirs = bench.Step("one_asset"), bench.Step("rp2")
    ours.runs = [bench.Run(0.5, 40.0, True, cpu=0.3), bench.Run(0.4, 41.0, True, cpu=0.4),
                 bench.Run(0.6, 39.0, True, cpu=0.5)]
    theirs.runs = [bench.Run(22.0, 170.0, True, cpu=19.0), bench.Run(20.0, 171.0, True, cpu=20.0),
                   bench.Run(21.0, 169.0, True, cpu=21.0)]
    (missing,) = bench.one_asset_lines(20_000, ours, bench.Step("rp2"), None)
    assert missing == ("One asset, FIFO, 20,000 trades: `init` + `import` + `report all` end to end: **0.50 s** "
                       "(peak 41.00 MB); RP2 not installed (`--rp2-us PATH` or `rp2_us` on PATH): no comparison.")
    (line,) = bench.one_asset_lines(20_000, ours, theirs, "/nowhere/rp2_us")
    assert "RP2 (`rp2_us -m fifo`, RP2) on the same ledger in the same run: **21.00 s** (peak 171.00 MB): " \
        "gainlog **42×** faster (✗, 1.2× short; target at least 50×)" in line
    assert line.endswith("medians of 3: gainlog 0.50, 0.40, 0.60 s, RP2 22.00, 20.00, 21.00 s. CPU time (user + "
                         "system, steadier on a shared machine): gainlog 0.40 s, RP2 20.00 s, 50×.")
    ours.runs = [bench.Run(0.4, 40.0, True)]
    theirs.runs = [bench.Run(21.0, 170.0, True)]
    assert "gainlog **52×** faster (✓; target at least 50×)" in bench.one_asset_lines(20_000, ours, theirs, "x")[0]


def test_vs_rp2_times_both_on_the_same_ledger(bench: ModuleType, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    calls = tmp_path / "calls"
    rp2_us = tmp_path / "rp2_us"
    rp2_us.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    rp2_us.chmod(0o755)
    argv = ["--vs-rp2", "--one-asset", "40", "--repeat", "2", "--rp2-us", str(rp2_us), "--out-dir", str(tmp_path)]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    assert "One asset, FIFO, 40 trades: `init` + `import` + `report all` end to end: **" in out
    assert "on the same ledger in the same run: **" in out and "faster (" in out and "medians of 2: " in out
    runs = calls.read_text().splitlines()
    assert len(runs) == 2 and all(r.startswith("-m fifo -o ") and r.endswith("config.ini " + r.split()[-1])
                                  for r in runs)
    assert all(r.split()[-1].endswith("input.ods") for r in runs)


@pytest.mark.slow
def test_startup_mode_gives_each_command_its_cpu_time_and_modules(bench: ModuleType, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--startup", "--repeat", "1", "--results", str(tmp_path / "s.md")]) == 0
    out = capsys.readouterr().out
    table = out[out.index("| command |"):].strip().splitlines()
    assert [row.split(" | ")[0] for row in table[2:]] == [
        "| `python -c pass`", "| `--help`", "| `init`", "| `import` (one line)", "| `report schedule-d --json`",
        "| `report schedule-d`", "| `report all`"]
    assert "failed" not in out and all(row.endswith(") |") for row in table[3:])
    assert (tmp_path / "s.md").read_text() == out.removesuffix("\n")


def test_stages_counts_the_rows_report_all_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """bench/stages.py replays the sample ledger stage by stage: the rows it makes are those of
    `report all`'s 8949 files, and it writes nothing to the ledger."""
    from gainlog.api.ledger_ops import import_file, init_ledger
    from gainlog.api.reports import write_reports

    db = tmp_path / "l.db"
    init_ledger(db)
    import_file(db, REPO / "fixtures" / "sample" / "events.jsonl")
    written = write_reports(db, tmp_path / "out", jobs=1)
    before = db.read_bytes()
    _module("stages").main(db)
    first, *stages = capsys.readouterr().out.splitlines()
    rows = sum(y.rows for y in written.summary)
    assert first.endswith(f"{rows:,} rows (CPU seconds)") and rows > 0
    assert [line.split("  ")[0] for line in stages] == [
        "read and decode", "knowledge, lot engine fold", "wash-sale pass", "8949 rows and year totals",
        "8949 CSV and JSON writers"]
    assert db.read_bytes() == before
