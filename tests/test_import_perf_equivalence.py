"""The fast import path (issue #7) decides exactly what the precise path decides.

`codec.decode_fast` either declines a line (None) or gives the canonical body and facts that
`codec.decoded(codec.decode_line(...))` gives; whenever the precise path refuses a line, the fast
path declines it, so the precise path names the field. `Store.import_file` (streaming, fast path)
and `Store.import_events(parse_jsonl(...))` (the precise path, line by line) write the same rows
and refuse a bad file with the same message.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from gainlog.fixtures.generate import generate
from gainlog.ledger import codec, importer
from gainlog.ledger.errors import GainlogError, InvalidEvent
from gainlog.ledger.store import Store
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import STRATEGIES, TZ

zulu = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31, 23, 59, 59)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
)
TRICKY: list[Any] = [
    "0", "00", "0.0", "000.000", "1.", ".5", "-1", "+1", "1e3", "1E3", "NaN", "Infinity", "1,000", " 1", "1 ",
    "\u0663", "\uff11", "1234567890123456", "0.1234567890123456789", "0.000000000000000001", "007.50", "1.10",
    5, 0, 1.5, 1e3, -2, True, None, "", [], {},
    "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T12:00:00Z", "2024-01-31T23:59:59Z",
    "2024-01-01T24:00:00Z", "2024-01-01T23:59:60Z", "1899-12-31T23:59:59Z", "2101-01-01T00:00:00Z",
    "2024-01-01T00:00:00z", "2024-01-01t00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00.5Z",
    "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00", "2024-01-01", "2024-1-1T00:00:00Z",
    "\u0662024-01-01T00:00:00Z", "x", "a\u0001b", "w", "BTC", "crypto", "stock", "bond",
    # issue 17: names empty or with C0/DEL/C1; the range's first and last days (TZ moves them out of
    # it); sub-microsecond digits
    "a\u007fb", "a\u0085b", "\u009f", "\u00a0", "a\u200fb", "1900-01-01T00:00:00Z", "1900-01-01T23:59:59Z",
    "1900-01-02T04:59:59Z", "2100-12-31T00:00:00Z", "2100-12-30T23:59:59Z", "2024-01-01T00:00:00.1234567Z",
    "2024-01-01T00:00:00.123456789+01:00", "2024-01-01T00:00:00.123456000Z",
]


def _precise(line: str) -> codec.Decoded | None:
    try:
        return codec.decoded(codec.decode_line(line, tz=TZ, where="t"))
    except InvalidEvent:
        return None


def _same(line: str) -> None:
    fast = codec.decode_fast(line.encode())
    if fast is not None:
        assert fast == _precise(line), line


TRADES = ("buy", "sell", "swap", "transfer", "fee", "income")
FAST = (*TRADES, "price")  # the types the fast path takes


@st.composite
def zulu_events(draw: st.DrawFn, tags: tuple[str, ...] = tuple(STRATEGIES)) -> dict[str, Any]:
    """An event; a trade's time mostly in the `...Z` form the fast path takes."""
    raw: dict[str, Any] = draw(st.one_of(*(STRATEGIES[t] for t in tags)))
    if "at" in raw and draw(st.integers(0, 3)):
        raw["at"] = draw(zulu)
    return raw


@settings(max_examples=400, deadline=None)
@given(zulu_events())
def test_fast_path_gives_the_precise_body(raw: dict[str, Any]) -> None:
    line = json.dumps(raw)
    fast = codec.decode_fast(line.encode())
    if fast is not None:
        assert fast == codec.decoded(codec.decode_line(line, tz=TZ, where="t"))


@settings(max_examples=600, deadline=None)
@given(zulu_events(FAST), st.data())
def test_fast_path_declines_what_the_precise_path_refuses(raw: dict[str, Any], data: st.DataObject) -> None:
    fields = sorted(raw)
    for _ in range(data.draw(st.integers(1, 2))):
        field = data.draw(st.sampled_from([*fields, "colour", "type"]))
        if data.draw(st.booleans()):
            raw[field] = data.draw(st.sampled_from(TRICKY))
        else:  # one field's value in another (a swap of an asset for itself, a fee of the whole qty)
            raw[field] = raw[data.draw(st.sampled_from(fields))]
    _same(json.dumps(raw))
    if "lots" in raw and isinstance(raw["lots"], list) and raw["lots"]:
        raw["lots"][0]["qty"] = data.draw(st.sampled_from(TRICKY))
        _same(json.dumps(raw))


def test_fast_path_takes_the_generated_trades() -> None:
    for n, data in enumerate(generate(3000, 7)):
        line = data.decode()
        fast = codec.decode_fast(data)
        assert (fast is not None) == (json.loads(line)["type"] in TRADES), n
        _same(line)


AT = "2024-01-02T12:00:00Z"
VALID: dict[str, dict[str, Any]] = {
    "buy": {"type": "buy", "at": AT, "wallet": "w", "asset": "BTC", "qty": "1", "price": "100"},
    "sell": {"type": "sell", "at": AT, "wallet": "w", "asset": "BTC", "qty": "1", "total": "100",
             "lots": [{"lot": "a", "qty": "1"}]},
    "swap": {"type": "swap", "at": AT, "wallet": "w", "give_asset": "BTC", "give_qty": "1", "get_asset": "ETH",
             "get_qty": "10", "value": "0"},
    "transfer": {"type": "transfer", "at": AT, "from": "a", "to": "b", "asset": "BTC", "qty": "10",
                 "fee_qty": "2", "fee_value": "0"},
    "fee": {"type": "fee", "at": AT, "wallet": "w", "asset": "ETH", "qty": "1", "value": "0"},
    "income": {"type": "income", "at": AT, "wallet": "w", "asset": "ETH", "qty": "1", "value": "0",
               "kind": "staking", "class": "crypto"},
    "price": {"type": "price", "at": AT, "asset": "BTC", "usd": "43000.12"},
}
# every rule of `codec.validate._check_semantics` broken once (None: drop the field), in both spellings of zero
BROKEN: list[tuple[str, dict[str, Any]]] = [
    *[(t, {"qty": zero}) for t in ("buy", "sell", "transfer", "fee", "income") for zero in ("0", "0.00")],
    ("buy", {"price": "0"}), ("buy", {"price": "000"}), ("buy", {"total": "1"}), ("buy", {"price": None}),
    ("sell", {"total": "0.0"}), ("sell", {"price": "1"}), ("sell", {"total": None}), ("sell", {"lots": []}),
    ("sell", {"lots": [{"lot": "a", "qty": "1"}, {"lot": "b", "qty": "0.0"}]}),
    ("swap", {"give_qty": "0"}), ("swap", {"get_qty": "0.0"}), ("swap", {"get_asset": "BTC"}),
    ("transfer", {"to": "a"}), ("transfer", {"fee_qty": "10"}), ("transfer", {"fee_qty": "10.5"}),
    ("transfer", {"fee_qty": "0"}), ("transfer", {"fee_value": None}), ("transfer", {"fee_qty": None}),
    *[(t, {"at": at}) for t in TRADES for at in ("2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z")],
    # issue 17: empty names, control characters in names, a local date outside 1900-2100 (TZ: New York)
    *[(t, {f: bad}) for t in ("buy", "sell", "fee", "income") for f in ("wallet", "asset") for bad in ("", "a\x1b")],
    *[("swap", {f: bad}) for f in ("wallet", "give_asset", "get_asset") for bad in ("", "\x7f", "\x9b")],
    *[("transfer", {f: bad}) for f in ("from", "to", "asset") for bad in ("", "a\nb", "\x85")],
    *[(t, {"at": "1900-01-01T04:59:59Z"}) for t in TRADES],
    # prices: above zero, a name, a real day
    ("price", {"usd": "0"}), ("price", {"usd": "0.00"}), ("price", {"usd": None}), ("price", {"asset": ""}),
    ("price", {"asset": "a\x1b"}), ("price", {"at": "2023-02-29T00:00:00Z"}), ("price", {"at": "1900-01-01T04:59:59Z"}),
]


@pytest.mark.parametrize("tag", FAST)
def test_fast_path_takes_valid_trades(tag: str) -> None:
    for raw in (VALID[tag], {**VALID[tag], "at": "2024-02-29T23:59:59Z"}):
        line = json.dumps(raw)
        assert codec.decode_fast(line.encode()) == _precise(line) != None  # noqa: E711


@pytest.mark.parametrize(("tag", "change"), BROKEN)
def test_fast_path_declines_each_broken_rule(tag: str, change: dict[str, Any]) -> None:
    raw = {k: v for k, v in {**VALID[tag], **change}.items() if v is not None}
    line = json.dumps(raw)
    assert _precise(line) is None
    assert codec.decode_fast(line.encode()) is None


def test_lenient_path_normalizes_like_the_precise_path() -> None:
    base = {"type": "sell", "at": "2024-01-02T12:00:00Z", "wallet": "w", "asset": "BTC", "total": "010.50"}
    for qty in ["1.000", "0001", "0.10", "5"]:
        raw = {**base, "qty": qty, "lots": [{"lot": "a", "qty": "00.5"}, {"lot": "b", "qty": "1.0"}]}
        fast = codec.decode_fast(json.dumps(raw).encode())
        assert fast is not None and fast == _precise(json.dumps(raw))
    duplicate = '{"type":"buy","at":"2024-01-02T12:00:00Z","wallet":"w","asset":"B","qty":"1","qty":"2","price":"3"}'
    assert codec.decode_fast(duplicate.encode()) is None and _precise(duplicate) is None  # refused (issue 17)
    both_types = duplicate.replace('"price"', '"type":"sell","price"')
    assert codec.decode_fast(both_types.encode()) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("qty", "1 2"), ("qty", "1 0"), ("price", "2 0"), ("at", "2024-01-02T12:00:00Z 0"), ("qty", "1\u00a02")],
)
def test_a_space_inside_an_amount_or_a_time_is_declined(field: str, value: str) -> None:
    # the fast path checks an event's amounts and times as one text joined by spaces: a value
    # holding a space must not pass as two valid pieces (an optional amount left out counts as "0")
    raw = {"type": "buy", "at": "2024-01-02T12:00:00Z", "wallet": "w", "asset": "B", "qty": "1", "price": "3"}
    line = json.dumps({**raw, field: value})
    assert codec.decode_fast(line.encode()) is None and _precise(line) is None
    assert codec.decode_fast(json.dumps(raw).encode()) == _precise(json.dumps(raw)) != None  # noqa: E711


@pytest.mark.parametrize("data", [b"", b"a", b"a\n", b"a\nb", b"a\n\n", b"\n", b"a\r\nb\r\n"])
def test_numbered_lines_are_split_lines(data: bytes) -> None:
    numbered = [(n, line.removesuffix(b"\n")) for n, line in importer._numbered(data)]
    assert numbered == list(enumerate(data.split(b"\n"), 1))


def _rows(path: Path) -> list[tuple[Any, ...]]:
    with Store.open(path) as store:
        return store.conn.execute(
            "SELECT seq, key, source, batch, type, target, body FROM events ORDER BY seq"
        ).fetchall()


def _both(tmp_path: Path, lines: list[str], *, replace: bool = False) -> tuple[Any, Any]:
    """Import `lines` twice over a shared first file: streaming, then the precise path; rows or errors."""
    first = tmp_path / "f.jsonl"
    first.write_text("\n".join(json.dumps(r) for r in _GOOD) + "\n")
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out: list[Any] = []
    for way in ("stream", "precise"):
        db = tmp_path / f"{way}.db"
        with Store.create(db) as store:
            store.import_file(first, source="x.jsonl")
            try:
                if way == "stream":
                    store.import_file(path, replace=replace)
                else:
                    parsed = importer.parse_jsonl(path, tz=store.timezone)
                    store.import_events(parsed, source="x.jsonl", replace=replace, origin=str(path))
            except GainlogError as exc:
                out.append(str(exc))
                continue
        out.append(_rows(db))
    return out[0], out[1]


BUY = {"type": "buy", "at": "2024-01-02T12:00:00Z", "wallet": "w", "asset": "BTC", "qty": "1", "price": "100"}
_GOOD = [BUY, BUY, {**BUY, "id": "b1", "class": "crypto"}, {**BUY, "id": "b2", "qty": "2"}]


@pytest.mark.parametrize(
    "lines",
    [
        [json.dumps(r) for r in _GOOD],
        [json.dumps(r) for r in [BUY, {**BUY, "id": "b1", "class": "crypto", "qty": "1.00"}, {**BUY, "qty": "3"}]],
        [json.dumps({**BUY, "at": "2024-01-02T07:00:00-05:00"}), json.dumps({**BUY, "qty": 1}), ""],
        [json.dumps({"type": "retract", "target": "x.jsonl:b2"}), json.dumps({**BUY, "id": "b2", "qty": "2"})],
        [json.dumps({**BUY, "id": "b1", "qty": "9"})],
        [json.dumps({**BUY, "id": "a"}), json.dumps({**BUY, "id": "a"}), "{bad"],
        [json.dumps({**BUY, "id": "a"}), json.dumps({**BUY, "id": "a"}), json.dumps({**BUY, "id": ""})],
        [json.dumps({**BUY, "class": "stock"})],
        [json.dumps({"type": "retract", "target": "nope"})],
        [json.dumps({**BUY, "at": "2023-02-29T00:00:00Z"})],
    ],
)
@pytest.mark.parametrize("replace", [False, True])
def test_streaming_import_writes_what_the_precise_path_writes(
    tmp_path: Path, lines: list[str], replace: bool
) -> None:
    stream, precise = _both(tmp_path, lines, replace=replace)
    assert stream == precise


@settings(max_examples=300, deadline=None)
@given(zulu_events(), st.data())
def test_a_key_given_twice_is_refused_by_both_paths(raw: dict[str, Any], data: st.DataObject) -> None:
    # issue 17: msgspec keeps the last of two equal keys; both paths refuse the line instead. The
    # repeated key is written with any value, anywhere in the object, escaped or not.
    key = data.draw(st.sampled_from(sorted(raw)))
    value = data.draw(st.one_of(st.just(raw[key]), st.sampled_from(TRICKY), st.text(max_size=5)))
    pairs = [json.dumps(k) + ":" + json.dumps(v) for k, v in raw.items()]
    pairs.insert(data.draw(st.integers(0, len(pairs))), json.dumps(key) + ":" + json.dumps(value))
    line = "{" + ",".join(pairs) + "}"
    assert codec.decode_fast(line.encode()) is None
    with pytest.raises(InvalidEvent, match=f"field '{key}': given twice in one JSON object"):
        codec.decode_line(line.encode(), tz=TZ, where="t")


@pytest.mark.parametrize(
    "line",
    [
        '{"type":"buy","at":"2024-01-02T12:00:00Z","wallet":"w","asset":"B","qty":"1","price":"3","note":null}',
        '{"type":"buy","at":"2024-01-02T12:00:00Z","wallet":"w","asset":"B","qty":"1","price":"3","note":"a\\"b"}',
        '{"type":"buy","at":"2024-01-02T12:00:00Z","wallet":"w","asset":"B","qty":"1","price":"3","note":"\\u0022"}',
        '{"type" : "buy", "at" : "2024-01-02T12:00:00Z", "wallet" : "w", "asset" : "B", "qty" : "1", "price" : "3"}',
        '{"type":"sell","at":"2024-01-02T12:00:00Z","wallet":"w","asset":"B","qty":"1","price":"3",'
        '"lots":[{"lot":"a","qty":"1"}]}',
    ],
    ids=["null", "escaped quote", "unicode quote", "spaces", "lots"],
)
def test_lines_without_a_repeated_key_are_accepted(line: str) -> None:
    precise = _precise(line)
    assert precise is not None
    assert codec.decode_fast(line.encode()) in (None, precise)


def test_a_key_repeated_inside_lots_is_refused() -> None:
    line = (
        '{"type":"sell","at":"2024-01-02T12:00:00Z","wallet":"w","asset":"B","qty":"1","price":"3",'
        '"lots":[{"lot":"a","qty":"1","qty":"2"}]}'
    )
    assert codec.decode_fast(line.encode()) is None
    with pytest.raises(InvalidEvent, match="^t: field 'qty': given twice in one JSON object$"):
        codec.decode_line(line, tz=TZ, where="t")
