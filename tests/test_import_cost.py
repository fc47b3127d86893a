"""The import's cheaper steps (issue #19) write exactly what the plainer ones did.

Several rows per INSERT statement, the fast decoder bound once per file, the keys made by one C call
each and no line count without a progress bar: the same rows, keys, bodies and chain as one row per
statement and a call per line.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import BUY, write_jsonl
from gainlog.ledger import codec, identity
from gainlog.ledger import store as store_module
from gainlog.ledger.store import Store

R = store_module.ROWS_PER_INSERT


def _lines(count: int, *, offset: int = 0) -> list[dict[str, Any]]:
    """`count` distinct buys, every third one without an id (keyed by its body's digest)."""
    return [
        {**BUY, "qty": str(n + 1)} if n % 3 == 0 else {**BUY, "qty": str(n + 1), "id": f"e{n}"}
        for n in range(offset, offset + count)
    ]


def _rows(db: Path) -> list[tuple[Any, ...]]:
    """What must not change: every stored column but the batch's time and so the hashes, with types."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT seq, key, source, batch, type, target, typeof(target), body, typeof(body) FROM events ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()


def _import_twice(db: Path, tmp_path: Path, first: int, second: int) -> list[str]:
    """Import `first` lines, then (with --replace) a file keeping half of them and adding `second`
    new ones: retractions and new rows in one batch. Returns the executed INSERT INTO events statements."""
    statements: list[str] = []
    with Store.open(db) as store:
        store.conn.set_trace_callback(lambda sql: statements.append(sql) if "INTO events" in sql else None)
        store.import_file(write_jsonl(tmp_path / "a.jsonl", _lines(first)))
        kept = _lines(first)[: first // 2] + _lines(second, offset=first)
        store.import_file(write_jsonl(tmp_path / "a.jsonl", kept), replace=True, allow_empty=True)
        assert store.verify() is None
    return statements


@pytest.mark.parametrize("count", [1, R - 1, R, R + 1, 2 * R + 3])
def test_rows_are_the_same_however_many_a_statement_inserts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    Store.create(tmp_path / "one" / "l.db").close()
    Store.create(tmp_path / "many" / "l.db").close()
    many = _import_twice(tmp_path / "many" / "l.db", tmp_path, count, count + 2)  # the same file: the same reason
    monkeypatch.setattr(store_module, "ROWS_PER_INSERT", 1)
    one = _import_twice(tmp_path / "one" / "l.db", tmp_path, count, count + 2)
    rows = _rows(tmp_path / "many" / "l.db")
    assert rows == _rows(tmp_path / "one" / "l.db")
    retracted = count - count // 2
    assert len(rows) == count + retracted + count + 2 and len(one) == len(rows)
    assert {row[6] for row in rows} == {"null", "text"} and {row[8] for row in rows} == {"text"}
    # one statement per R rows of a batch, the rest in one more
    batches = (count, retracted + count + 2)
    assert len(many) == sum(n // R + (1 if n % R else 0) for n in batches)


def test_the_bound_fast_decoder_is_decode_fast() -> None:
    body = b'{"asset":"BTC","at":"2024-01-02T12:00:00Z","price":"2","qty":"1","type":"buy","wallet":"w"}'
    lines = [
        body + b"\n",
        body.replace(b'"qty":"1"', b'"qty":"1.50"'),  # not normalized: the lenient decoder
        body.replace(b"BTC", b"B\\u0054C"),
        body.replace(b"01-02", b"02-30"),
        b"not json",
    ]
    decode = codec.fast_decoder()
    assert decode is codec.fast_decoder()  # built once per process
    got = [decode(line) for line in lines]
    assert got == [codec.decode_fast(line) for line in lines]
    assert [None if facts is None else facts.body for facts in got] == [
        body,
        body.replace(b'"qty":"1"', b'"qty":"1.5"'),
        None,  # a backslash: the precise path decides
        None,  # no 30 February
        None,
    ]


def test_id_keys_make_the_id_key() -> None:
    key_of = identity.id_keys("caf\u00e9.jsonl")
    assert key_of("e1") == identity.id_key("caf\u00e9.jsonl", "e1") == "caf\u00e9.jsonl:e1"


def test_lines_without_id_are_ranked_by_identical_body_in_file_order(db: Path, tmp_path: Path) -> None:
    a, b = {**BUY, "qty": "1"}, {**BUY, "qty": "2"}
    path = write_jsonl(tmp_path / "t.jsonl", [a, b, a, {**b, "id": "x"}, a, b])
    with Store.open(db) as store:
        added = store.import_file(path).added
    digest_a, digest_b = (
        hashlib.sha256(codec.canonical_body(codec.parse_event(e, tz=ZoneInfo("UTC"), where="t"))).hexdigest()
        for e in (a, b)
    )
    assert added == (
        f"t.jsonl:{digest_a}#1", f"t.jsonl:{digest_b}#1", f"t.jsonl:{digest_a}#2", "t.jsonl:x",
        f"t.jsonl:{digest_a}#3", f"t.jsonl:{digest_b}#2",
    )


def test_an_import_not_on_a_terminal_is_given_no_progress_callback(
    gainlog: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # without a bar to show, the import spares counting the file's lines for one
    given: list[Any] = []
    real = Store.import_file

    def spy(self: Store, path: Path, **options: Any) -> Any:
        given.append(options.get("progress"))
        return real(self, path, **options)

    monkeypatch.setattr(Store, "import_file", spy)
    result = gainlog("import", str(write_jsonl(tmp_path / "a.jsonl", [BUY])))
    assert result.code == 0 and given == [None]
