"""Friendlier import (issue #12): `--format` in any case, the format of a `.csv` detected from its
header row when `--format` is left out, and CSV files saved by Excel as Windows-1252 (or with a
UTF-8 byte-order mark) read, with a warning for the former.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BUY, REPO, Result, write_jsonl
from gainlog.ledger import formats, importer
from gainlog.ledger.errors import UsageError
from gainlog.ledger.formats import detect

Gainlog = Callable[..., Result]
REAL = REPO / "fixtures" / "real"
SAMPLES = {"coinbase": ("coinbase.csv", 3, 11), "kraken": ("kraken_trades.csv", 1, 9), "schwab": ("schwab.csv", 1, 7),
           "schwab-realized": ("schwab_realized.csv", 2, 12)}


def _events(gainlog: Gainlog) -> list[dict[str, Any]]:
    """The live events without what differs between two ledgers (seq, recording time, batch)."""
    return [
        {k: v for k, v in row.items() if k not in ("recorded_at", "batch")} for row in gainlog("log", "--json").json()
    ]


def _copy(tmp_path: Path, name: str, target: str | None = None) -> Path:
    return Path(shutil.copy(REAL / SAMPLES[name][0], tmp_path / (target or SAMPLES[name][0])))


# -- --format in any case ---------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Coinbase", "COINBASE", " coinbase "])
def test_format_is_case_insensitive(spelling: str, tmp_path: Path, gainlog: Gainlog, db: Path) -> None:
    path = _copy(tmp_path, "coinbase")
    result = gainlog("import", str(path), "--format", spelling, "--json")
    assert result.code == 0
    out = result.json()
    assert (out["added"], out["format"]) == (11, "coinbase")  # 2 of them transfer legs
    assert {row["wallet"] for row in gainlog("log", "--json").json()} == {"coinbase"}


def test_jsonl_in_capitals_and_an_unknown_format(tmp_path: Path, gainlog: Gainlog) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", [{**BUY, "id": "b1"}])
    assert gainlog("import", str(path), "--format", "JSONL", "--json").json()["added"] == 1
    unknown = gainlog("import", str(path), "--format", "Binance")
    assert (unknown.code, unknown.err) == (
        2, "gainlog: --format 'binance': unknown format (one of: jsonl, coinbase, kraken, schwab, prices, fidelity, "
        "robinhood, coinbase-pro, 1099-b, gemini, binanceus, koinly, cointracker, schwab-realized)\n"
    )


# -- the format detected from the header ------------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_a_csv_without_format_is_read_as_the_export_its_header_names(
    name: str, tmp_path: Path, gainlog: Gainlog, db: Path
) -> None:
    sample, line, added = SAMPLES[name]
    path = _copy(tmp_path, name)
    result = gainlog("import", str(path), "--json")
    assert result.code == 0
    said = f"gainlog: {path}: read as --format {name} (detected from its header, line {line})"
    assert result.err.splitlines()[0] == said
    out = result.json()
    assert (out["format"], out["added"], out["source"]) == (name, added, sample)
    detected = _events(gainlog)
    assert {row["wallet"] for row in detected} == {name}
    other = tmp_path / "other.db"
    assert gainlog("init", ledger=other).code == 0
    assert gainlog("import", str(path), "--format", name, ledger=other).code == 0
    assert _events(gainlog)  # the first ledger is untouched by the second
    assert detected == [
        {k: v for k, v in row.items() if k not in ("recorded_at", "batch")}
        for row in gainlog("log", "--json", ledger=other).json()
    ]


def test_the_suffix_is_compared_in_any_case(tmp_path: Path, gainlog: Gainlog) -> None:
    path = _copy(tmp_path, "schwab", "SCHWAB.CSV")
    result = gainlog("import", str(path), "--json")
    assert result.code == 0 and result.json()["format"] == "schwab"
    assert result.err.startswith(f"gainlog: {path}: read as --format schwab (detected from its header, line 1)\n")


def test_a_csv_nobody_knows_lists_the_formats(tmp_path: Path, gainlog: Gainlog) -> None:
    path = tmp_path / "binance.csv"
    path.write_text("Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n2024-01-02 10:00:00,BTCUSDT,BUY,1,1,1,0\n")
    result = gainlog("import", str(path))
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"gainlog: {path}: not an export gainlog recognises (no known header row in its first 50 rows); "
        "give --format: one of jsonl, coinbase, kraken, schwab, prices, fidelity, robinhood, coinbase-pro, 1099-b, "
        "gemini, binanceus, koinly, cointracker, schwab-realized "
        "(docs/formats.md)\n"
    )
    assert gainlog("log", "--json").json() == []


def test_other_files_without_format_are_still_jsonl(tmp_path: Path, gainlog: Gainlog) -> None:
    path = write_jsonl(tmp_path / "events.txt", [{**BUY, "id": "b1"}])
    result = gainlog("import", str(path), "--json")
    assert (result.code, result.err, result.json()["format"], result.json()["added"]) == (0, "", "jsonl", 1)


def test_detection_skips_preambles_and_unwraps_a_quoted_row(tmp_path: Path) -> None:
    text = (REAL / "coinbase.csv").read_text(encoding="utf-8").split("\n")
    text[2] = '"' + text[2] + '"'  # the header wrapped whole in quotes
    path = tmp_path / "wrapped.csv"
    path.write_text("\n\n" + "\n".join(text), encoding="utf-8")
    assert detect.detect(path, names=formats.NAMES) == detect.Detected("coinbase", 5)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Timestamp,Transaction Type,Asset,Quantity Transacted,USD Spot Price at Transaction,USD Subtotal,"
         "USD Total (inclusive of fees),USD Fees,Notes", "coinbase"),
        ("Timestamp,Transaction Type,Asset,Quantity Transacted,Spot Price Currency,Spot Price at Transaction,"
         "Subtotal,Total (inclusive of fees),Fees,Notes", "coinbase"),
        ('"txid","refid","time","type","subtype","aclass","asset","amount","fee","balance"', "kraken"),
        ('"txid","ordertxid","pair","time","type","ordertype","price","cost","fee","vol","margin","misc","ledgers",'
         '"costusd"', "kraken"),
        ('"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"', "schwab"),
    ],
    ids=["coinbase 2018-21", "coinbase 2021-22", "kraken ledgers", "kraken trades costusd", "schwab"],
)
def test_every_known_layout_is_detected(header: str, name: str, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(f"Transactions\nUser,A B,1234\n\n{header}\n", encoding="utf-8")
    assert detect.detect(path, names=formats.NAMES) == detect.Detected(name, 4)


def test_detection_looks_at_the_first_50_rows_only(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("note\n" * 50 + (REAL / "schwab.csv").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(UsageError, match=r"no known header row in its first 50 rows"):
        detect.detect(path, names=formats.NAMES)


# -- encodings --------------------------------------------------------------------------------------

_NOTE = "Bought 0.5 BTC for $20,100.00 USD"
_EXCEL_NOTE = "Bought 0.5 BTC \u2013 for\u00a0$20,100.00"
_CP1252 = "not UTF-8 (byte {}): read as Windows-1252, the encoding Excel saves CSV files in"


def _excel_copy(tmp_path: Path) -> Path:
    """The Coinbase sample as Excel saves it on Windows: cp1252, an en dash and a no-break space in a note."""
    text = (REAL / "coinbase.csv").read_text(encoding="utf-8").replace(_NOTE, _EXCEL_NOTE)
    path = tmp_path / "coinbase.csv"
    path.write_bytes(text.encode("cp1252"))
    assert b"\x96" in path.read_bytes()
    return path


def test_an_excel_cp1252_export_is_read_with_a_warning(tmp_path: Path, gainlog: Gainlog) -> None:
    path = _excel_copy(tmp_path)
    result = gainlog("import", str(path), "--json")
    assert result.code == 0
    warning = f"{path}:4: not UTF-8 (byte 0x96): read as Windows-1252, the encoding Excel saves CSV files in"
    out = result.json()
    assert (out["format"], out["added"], out["warnings"][0]) == ("coinbase", 11, warning)
    assert result.err.splitlines()[:2] == [
        f"gainlog: {path}: read as --format coinbase (detected from its header, line 3)",
        f"gainlog: warning: {warning}",
    ]
    rows = {row["key"]: row for row in gainlog("log", "--json").json()}
    assert rows["coinbase.csv:659a1b2c3d4e5f6071829304"]["note"] == _EXCEL_NOTE
    assert rows["coinbase.csv:659a1b2c3d4e5f6071829304"]["qty"] == "0.5"


def test_an_excel_export_with_an_explicit_format_warns_too(tmp_path: Path, gainlog: Gainlog) -> None:
    path = _excel_copy(tmp_path)
    result = gainlog("import", str(path), "--format", "coinbase")
    assert result.code == 0
    assert result.err.splitlines()[0] == (
        f"gainlog: warning: {path}:4: " + _CP1252.format("0x96")
    )


def test_a_utf8_bom_is_accepted_without_a_warning(tmp_path: Path, gainlog: Gainlog) -> None:
    path = tmp_path / "schwab.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (REAL / "schwab.csv").read_bytes())
    result = gainlog("import", str(path), "--json")
    assert result.code == 0
    assert result.err.splitlines()[0] == f"gainlog: {path}: read as --format schwab (detected from its header, line 1)"
    assert not any("UTF-8" in warning for warning in result.json()["warnings"])
    assert result.json()["added"] == 7


def test_a_byte_windows_1252_leaves_undefined_is_refused(tmp_path: Path, gainlog: Gainlog) -> None:
    path = tmp_path / "coinbase.csv"
    path.write_bytes((REAL / "coinbase.csv").read_bytes().replace(b"Jane Doe", b"Jane \x81Doe"))
    result = gainlog("import", str(path), "--format", "coinbase")
    assert (result.code, result.err) == (2, f"gainlog: {path}:2: not UTF-8 text (byte 0x81)\n")
    assert gainlog("log", "--json").json() == []


def test_a_jsonl_file_must_still_be_utf8(tmp_path: Path, gainlog: Gainlog) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(b'{"type":"buy","at":"2024-01-02","wallet":"w","asset":"BTC","qty":"1","price":"1",'
                     b'"note":"a \x96 b"}\n')
    result = gainlog("import", str(path))
    assert (result.code, result.err) == (2, f"gainlog: {path}:1: not UTF-8 text (byte 0x96)\n")


def test_read_text_is_the_one_decoder(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n1,\xa02\n")
    text = importer.read_text(path)
    assert (text.text, text.encoding) == ("a,b\n1,\u00a02\n", "cp1252")
    assert text.warning == f"{path}:2: " + _CP1252.format("0xa0")
    path.write_bytes(b"\xef\xbb\xbfa,b\n1,\xc2\xa02\n")
    assert importer.read_text(path) == importer.Text("a,b\n1,\u00a02\n")


def test_a_missing_csv_without_format_is_named(tmp_path: Path, gainlog: Gainlog) -> None:
    path = tmp_path / "missing.csv"
    result = gainlog("import", str(path))
    assert (result.code, result.err) == (2, f"gainlog: {path}: no such file\n")


def test_the_library_takes_any_case(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    conversion = formats.convert("Kraken", REAL / "kraken_trades.csv", tz=ZoneInfo("UTC"))
    assert len(conversion.events) == 9
    assert {p.event.wallet for p in conversion.events} == {"kraken"}  # type: ignore[union-attr]
