"""Hostile or broken input gets one line on stderr and exit 2, never a traceback (issue 17).

JSON nested thousands deep (import and `add --lots`), a key given twice in one object, empty or
control-character wallet and asset names, sub-microsecond times, a device, a pipe or a file with NUL
bytes or a giant line, and CSV cells no event could hold: each is refused naming the file, line and
field (or column), and nothing is appended.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BUY, SELL, Result, run_process, write_jsonl
from gainlog.ledger.limits import MAX_LINE_BYTES

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
DEEP = "[" * 10_000 + "]" * 10_000


def _refused(result: Result, message: str) -> None:
    assert (result.code, result.out, result.err) == (2, "", f"gainlog: {message}\n")


def _import(gainlog: Callable[..., Result], tmp_path: Path, bad: dict[str, Any] | str) -> tuple[Path, Result]:
    """Import a file whose line 1 is fine and line 2 is `bad`; the log must stay empty."""
    path = write_jsonl(tmp_path / "t.jsonl", [{**BUY, "id": "ok"}, bad])
    result = gainlog("import", str(path))
    assert gainlog("log", "--all", "--json").json() == []
    return path, result


# -- nesting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["note", "lots", "top"])
def test_json_nested_ten_thousand_deep_in_an_import_line(
    where: str, tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    line = {
        "note": json.dumps({**SELL, "note": "x"})[:-1].replace('"x"', DEEP) + "}",
        "lots": json.dumps({**SELL, "lots": "x"}).replace('"x"', DEEP),
        "top": DEEP,
    }[where]
    path, result = _import(gainlog, tmp_path, line)
    _refused(result, f"{path}:2: JSON nested more than 8 levels deep (an event needs 3)")


def test_json_nested_deep_in_add_lots(gainlog: Callable[..., Result]) -> None:
    args = ["add", "sell", "--at", "2024-02-01", "--wallet", "w", "--asset", "BTC", "--qty", "1", "--price", "1"]
    result = gainlog(*args, "--lots", DEEP)
    _refused(result, "add: field 'lots': JSON nested too deeply (a list of objects is 2 levels)")
    assert gainlog("log", "--all", "--json").json() == []


def test_deep_nesting_end_to_end(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    assert run_process("--db", db, "init").code == 0
    path = write_jsonl(tmp_path / "deep.jsonl", [DEEP])
    result = run_process("--db", db, "import", str(path))
    assert result.code == 2
    assert result.err == f"gainlog: {path}:1: JSON nested more than 8 levels deep (an event needs 3)\n"


# -- a key given twice -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('{"type":"buy","at":"2024-01-02T12:00:00Z","wallet":"w","asset":"BTC","qty":"1","price":"1","qty":"2"}',
         "qty"),
        ('{"type":"buy","at":"2024-01-02T12:00:00Z","wallet":"w","asset":"BTC","qty":"1","price":"1","qty":"1"}',
         "qty"),
        ('{"type": "buy", "type": "sell", "at": "2024-01-02T12:00:00Z", "wallet": "w", "asset": "BTC", '
         '"qty": "1", "price": "1"}', "type"),
        ('{"type":"buy","at":"2024-01-02T12:00:00Z","wallet":"w","asset":"BTC","qty":"1","price":"1",'
         '"note":"say \\"hi\\"","note":null}', "note"),
        ('{"type":"method","method":"FIFO","from":"2024-01-01","method":"LIFO"}', "method"),
    ],
    ids=["different value", "same value", "type", "escaped note", "precise path"],
)
def test_a_key_given_twice_is_refused(line: str, field: str, tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path, result = _import(gainlog, tmp_path, line)
    _refused(result, f"{path}:2: field '{field}': given twice in one JSON object")


def test_a_key_given_twice_in_add_lots(gainlog: Callable[..., Result]) -> None:
    args = ["add", "sell", "--at", "2024-02-01", "--wallet", "w", "--asset", "BTC", "--qty", "1", "--price", "1"]
    result = gainlog(*args, "--lots", '[{"lot": "a", "qty": "1", "qty": "2"}]')
    _refused(result, "add: field 'lots[].qty': given twice in one JSON object")


# -- names and times ---------------------------------------------------------------------------------

TRANSFER = {"type": "transfer", "at": "2024-03-01T00:00:00Z", "from": "a", "to": "b", "asset": "BTC", "qty": "1"}
SWAP = {"type": "swap", "at": "2024-03-01T00:00:00Z", "wallet": "w", "give_asset": "BTC", "give_qty": "1",
        "get_asset": "ETH", "get_qty": "10", "value": "30000"}
NAME_CASES = [
    (BUY, "wallet"), (BUY, "asset"), (SELL, "wallet"), (TRANSFER, "from"), (TRANSFER, "to"), (TRANSFER, "asset"),
    (SWAP, "give_asset"), (SWAP, "get_asset"), (SWAP, "wallet"),
    ({"type": "wallet", "wallet": "x"}, "wallet"), ({"type": "method", "method": "FIFO", "from": "2024-01-01",
                                                     "asset": "x"}, "asset"),
]


@pytest.mark.parametrize(("base", "field"), NAME_CASES, ids=[f"{b['type']} {f}" for b, f in NAME_CASES])
def test_an_empty_name_is_refused(
    base: dict[str, Any], field: str, tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    path, result = _import(gainlog, tmp_path, {**base, field: ""})
    _refused(result, f"{path}:2: field '{field}': must not be empty")


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\n", "\x7f", "\x85", "\x9b"], ids=["NUL", "ESC", "LF", "DEL",
                                                                                     "NEL", "CSI"])
@pytest.mark.parametrize(("base", "field"), NAME_CASES[:9], ids=[f"{b['type']} {f}" for b, f in NAME_CASES[:9]])
def test_a_control_character_in_a_name_is_refused(
    base: dict[str, Any], field: str, char: str, tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    bad = f"B{char}TC"
    path, result = _import(gainlog, tmp_path, {**base, field: bad})
    _refused(
        result,
        f"{path}:2: field '{field}': {bad!r} holds the control character {char!r}; "
        "wallet and asset names are printable text",
    )


def test_allocate_wallets_are_names_too(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    line = {"type": "allocate", "asset": "BTC", "lots": [{"lot": "ok", "wallet": "\x1b[2J", "qty": "1"}]}
    path, result = _import(gainlog, tmp_path, line)
    _refused(result, f"{path}:2: field 'lots[0].wallet': '\\x1b[2J' holds the control character '\\x1b'; "
             "wallet and asset names are printable text")


def test_names_with_other_unicode_are_kept(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    lines = [{**BUY, "wallet": "Bitpanda\u00a0Pro", "asset": "\u20bf"}, {**BUY, "wallet": "my wallet", "id": "2"}]
    result = gainlog("import", str(write_jsonl(tmp_path / "u.jsonl", lines)), "--json")
    assert result.code == 0 and result.json()["added"] == 2


@pytest.mark.parametrize("at", ["2024-01-02T12:00:00.0000001Z", "2024-01-02T12:00:00.123456789+01:00"])
def test_sub_microsecond_times_are_refused(at: str, tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path, result = _import(gainlog, tmp_path, {**BUY, "at": at})
    _refused(result, f"{path}:2: field 'at': {at!r} has digits below the microsecond; gainlog keeps times "
             "to the microsecond (at most 6 decimals of a second)")


def test_trailing_zeros_below_the_microsecond_are_exact(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{**BUY, "at": "2024-01-02T12:00:00.123456000Z"}])
    assert gainlog("import", str(path)).code == 0
    assert gainlog("log", "--json").json()[0]["at"] == "2024-01-02T12:00:00.123456Z"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["buy", "--wallet", "", "--asset", "BTC"], "add: field 'wallet': must not be empty"),
        (["buy", "--wallet", "w", "--asset", "\x1b]0;owned\x07"],
         "add: field 'asset': '\\x1b]0;owned\\x07' holds the control character '\\x1b'; "
         "wallet and asset names are printable text"),
        (["buy", "--wallet", "w", "--asset", "BTC", "--at", "2024-01-02T12:00:00.000000001Z"],
         "add: field 'at': '2024-01-02T12:00:00.000000001Z' has digits below the microsecond; gainlog keeps "
         "times to the microsecond (at most 6 decimals of a second)"),
        (["buy", "--wallet", "w", "--asset", "BTC", "--note", "\udced\udca0\udc80"],
         "add: field 'note': not valid Unicode text (a lone surrogate)"),
    ],
    ids=["empty wallet", "escape in asset", "nanoseconds", "not UTF-8"],
)
def test_add_options_go_through_the_same_rules(
    args: list[str], message: str, gainlog: Callable[..., Result]
) -> None:
    defaults = {"--at": "2024-01-02", "--qty": "1", "--price": "1"}
    extra = [x for k, v in defaults.items() if k not in args for x in (k, v)]
    _refused(gainlog("add", *args, *extra), message)
    assert gainlog("log", "--all", "--json").json() == []


# -- files that are not text -------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("fmt", ["jsonl", "coinbase"])
def test_a_device_is_refused_at_once(fmt: str, gainlog: Callable[..., Result]) -> None:
    result = gainlog("import", "/dev/zero", "--format", fmt)
    _refused(result, "/dev/zero: not a regular file (a device, pipe or socket); give a file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    # A real process: opening a pipe nobody writes to would block for ever (run_process has a timeout).
    os.mkfifo(tmp_path / "pipe")
    db = str(tmp_path / "l.db")
    assert run_process("--db", db, "init").code == 0
    result = run_process("--db", db, "import", str(tmp_path / "pipe"))
    assert (result.code, result.err) == (
        2, f"gainlog: {tmp_path / 'pipe'}: not a regular file (a device, pipe or socket); give a file\n"
    )


def test_a_nul_byte_is_not_text(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = tmp_path / "zeros.jsonl"
    path.write_bytes(json.dumps(BUY).encode() + b"\n" + b"\0" * 100_000)
    _refused(gainlog("import", str(path)), f"{path}:2: not a text file (a NUL byte at byte {len(json.dumps(BUY)) + 2})")


def test_a_line_over_the_limit_is_refused(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    line = json.dumps({**BUY, "note": "x" * MAX_LINE_BYTES})
    path, result = _import(gainlog, tmp_path, line)
    _refused(result, f"{path}:2: line is {len(line) + 1:,} bytes long; an event line is at most 1,048,576 bytes")


# -- CSV cells ---------------------------------------------------------------------------------------

CSV_CASES = [
    ("coinbase", "coinbase.csv", 5, ",2,USD", ",{},USD", "Quantity Transacted"),
    ("kraken", "kraken_trades.csv", 2, '"0.50000000"', '"{}"', "vol"),
    ("schwab", "schwab.csv", 12, '"10"', '"{}"', "Quantity"),
]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1e9999999", "'1e9999999' is too large (at most 15 digits before the point)"),
        ("1e999999", "'1e999999' is too large (at most 15 digits before the point)"),
        ("1e-999999", "'1e-999999' is too small (at most 18 decimals)"),
        ("1" * 100_000, "'1111111111111111111111111111111111111111'... (100,000 characters) is too large "
         "(at most 15 digits before the point)"),
        ("x" * 100_000, "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (100,000 characters) is not a decimal"),
    ],
    ids=["decimal overflow", "a million digits", "a million decimals", "long number", "long text"],
)
@pytest.mark.parametrize(("fmt", "sample", "line", "old", "new", "column"), CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_a_csv_cell_no_event_could_hold(
    fmt: str, sample: str, line: int, old: str, new: str, column: str, cell: str, message: str,
    tmp_path: Path, gainlog: Callable[..., Result],
) -> None:
    path = Path(shutil.copy(REAL / sample, tmp_path / sample))
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new.format(cell), 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    result = gainlog("import", str(path), "--format", fmt)
    _refused(result, f"{path}:{line}: column {column!r}: {message}")
    assert gainlog("log", "--all", "--json").json() == []


@pytest.mark.parametrize(
    ("sample", "fmt", "line", "old", "new", "message"),
    [
        ("schwab.csv", "schwab", 12, '"01/16/2024"', '"01/16/1899"',
         "column 'Date': '01/16/1899': the year 1899 is outside the years gainlog handles (1900-2100)"),
        ("coinbase.csv", "coinbase", 5, "2024-02-10 18:30:00 UTC", "2101-02-10 18:30:00 UTC",
         "column 'Timestamp': '2101-02-10 18:30:00 UTC' is out of range (1900-2100)"),
        ("kraken_trades.csv", "kraken", 2, "2024-01-10 09:15:22.1234", "2024-01-10 09:15:22.123456789",
         "column 'time': '2024-01-10 09:15:22.123456789' has digits below the microsecond; gainlog keeps times "
         "to the microsecond (at most 6 decimals of a second)"),
    ],
    ids=["schwab date", "coinbase time", "kraken nanoseconds"],
)
def test_a_csv_time_out_of_bounds_names_its_column(
    sample: str, fmt: str, line: int, old: str, new: str, message: str,
    tmp_path: Path, gainlog: Callable[..., Result],
) -> None:
    path = Path(shutil.copy(REAL / sample, tmp_path / sample))
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    _refused(gainlog("import", str(path), "--format", fmt), f"{path}:{line}: {message}")
