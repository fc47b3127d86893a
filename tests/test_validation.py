"""Every validation error of issue #2: exit code, a message naming file:line and field, log unchanged.

CONTRACT §2: plain-notation decimals, positive trade amounts, RFC 3339 times with an offset, fixed
asset classes, keys unique within a source. A bad line anywhere means `import` appends nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BUY, SELL, Result, run_process, write_jsonl


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = {**base, **changes}
    return {k: v for k, v in out.items() if v is not None}


SWAP = {
    "type": "swap",
    "at": "2024-03-01T00:00:00Z",
    "wallet": "w",
    "give_asset": "BTC",
    "give_qty": "1",
    "get_asset": "ETH",
    "get_qty": "10",
    "value": "30000",
}
TRANSFER = {
    "type": "transfer",
    "at": "2024-03-01T00:00:00Z",
    "from": "a",
    "to": "b",
    "asset": "BTC",
    "qty": "1",
}

# (case, bad line, field named in the message)
CASES: list[tuple[str, dict[str, Any] | str, str]] = [
    ("unknown type", {"type": "gift", "at": "2024-01-01"}, "type"),
    ("unknown field", _with(BUY, colour="red"), "colour"),
    ("missing field", _with(BUY, wallet=None), "wallet"),
    ("negative qty", _with(BUY, qty="-1"), "qty"),
    ("plus sign", _with(BUY, qty="+1"), "qty"),
    ("exponent string", _with(BUY, qty="1e400"), "qty"),
    (
        "exponent number",
        '{"type":"buy","at":"2024-01-02T12:00:00Z","wallet":"w","asset":"BTC","qty":1e400,"price":"1"}',
        "qty",
    ),
    ("NaN", _with(BUY, price="NaN"), "price"),
    ("Infinity", _with(BUY, price="Infinity"), "price"),
    ("comma", _with(BUY, price="10,000"), "price"),
    ("zero qty", _with(BUY, qty="0"), "qty"),
    ("zero price", _with(BUY, price="0"), "price"),
    ("zero swap qty", _with(SWAP, get_qty="0.000"), "get_qty"),
    ("no offset", _with(BUY, at="2024-01-02T12:00:00"), "at"),
    ("out of range", _with(BUY, at="1066-10-14T12:00:00Z"), "at"),
    ("transfer to itself", _with(TRANSFER, to="a"), "to"),
    ("swap for itself", _with(SWAP, get_asset="BTC"), "get_asset"),
    ("class changes in file", _with(BUY, **{"class": "stock"}, id="b2"), "class"),
    ("duplicate id in file", _with(SELL, id="b1"), "id"),
    ("not JSON", '{"type": "buy", ', "line"),
]


@pytest.mark.parametrize(("case", "bad", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_line_is_refused_and_nothing_appended(
    case: str, bad: dict[str, Any] | str, field: str, tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    # CONTRACT §2: the first line is fine, the second is not; the import is all or nothing.
    gainlog("import", str(write_jsonl(tmp_path / "before.jsonl", [_with(BUY, id="b0", note="x")])))
    before = gainlog("log", "--all", "--json").json()
    path = write_jsonl(tmp_path / "trades.jsonl", [_with(BUY, id="b1", **{"class": "crypto"}), bad])
    result = gainlog("import", str(path))
    assert result.code == 2
    assert result.out == ""
    assert f"{path}:2" in result.err
    if field != "line":
        assert f"'{field}'" in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert gainlog("log", "--all", "--json").json() == before


def test_class_fixed_by_an_event_already_in_the_log(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    # CONTRACT §2: an asset's class is fixed by the first event naming it with a class.
    gainlog(
        "import", str(write_jsonl(tmp_path / "a.jsonl", [_with(BUY, **{"class": "stock"}, asset="AAPL")]))
    )
    before = gainlog("log", "--json").json()
    path = write_jsonl(tmp_path / "b.jsonl", [SELL, _with(BUY, asset="AAPL", **{"class": "crypto"})])
    result = gainlog("import", str(path))
    assert result.code == 2
    assert f"{path}:2: field 'class'" in result.err and "already stock" in result.err
    assert gainlog("log", "--json").json() == before


def test_a_retracted_event_no_longer_fixes_the_class(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    gainlog("import", str(write_jsonl(tmp_path / "a.jsonl", [_with(BUY, id="x", **{"class": "stock"})])))
    assert gainlog("retract", "a.jsonl:x").code == 0
    assert (
        gainlog("import", str(write_jsonl(tmp_path / "b.jsonl", [_with(BUY, **{"class": "crypto"})]))).code
        == 0
    )


def test_key_live_with_a_different_body(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    # CONTRACT §2 Identity: same key, different body is an error unless --replace.
    path = write_jsonl(tmp_path / "t.jsonl", [_with(BUY, id="b1")])
    gainlog("import", str(path))
    before = gainlog("log", "--json").json()
    write_jsonl(path, [_with(BUY, id="b1", qty="2")])
    result = gainlog("import", str(path))
    assert result.code == 2
    assert f"{path}:1: field 'id'" in result.err and "--replace" in result.err
    assert gainlog("log", "--json").json() == before


def test_retract_of_a_key_that_is_not_live(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [BUY, {"type": "retract", "target": "t.jsonl:nope"}])
    result = gainlog("import", str(path))
    assert result.code == 2 and f"{path}:2: field 'target'" in result.err
    assert gainlog("retract", "nope:nope").code == 2
    assert gainlog("log", "--all", "--json").json() == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.jsonl", "no such file"),
        (lambda p: p, "is a directory"),
        (
            lambda p: (p / "latin1.jsonl").write_bytes(b'{"note": "caf\xe9"}\n') and p / "latin1.jsonl",
            "not UTF-8",
        ),
    ],
    ids=["missing file", "directory", "not utf-8"],
)
def test_bad_files_give_one_line(
    make: Callable[[Path], Path], message: str, tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    result = gainlog("import", str(make(tmp_path)))
    assert result.code == 2 and message in result.err and result.err.count("\n") == 1


def test_empty_file_adds_nothing(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    (tmp_path / "empty.jsonl").write_text("\n\n")
    result = gainlog("import", str(tmp_path / "empty.jsonl"), "--json")
    assert result.code == 0 and result.json()["added"] == 0


def test_no_traceback_end_to_end(tmp_path: Path) -> None:
    # A real process: missing ledger, bad line, unknown command option.
    db = str(tmp_path / "x.db")
    missing = run_process("--db", db, "log")
    assert missing.code == 2 and "gainlog init" in missing.err and "Traceback" not in missing.err
    assert run_process("--db", db, "init").code == 0
    bad = write_jsonl(tmp_path / "bad.jsonl", [_with(BUY, qty="1e400")])
    result = run_process("--db", db, "import", str(bad))
    assert result.code == 2 and f"{bad}:1: field 'qty'" in result.err and "Traceback" not in result.err
    assert json.loads(run_process("--db", db, "log", "--json").out) == []
