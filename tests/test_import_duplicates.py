"""Duplicates across sources (issue #12): the same file under two source names, and events whose
exchange id (`txid`) another source already has.

Each import keeps its file's SHA-256 in its batch row; a file another source imported (events still
live) is refused naming that source and batch, exit 2, unless `--force`; the same file under the
same source stays a no-op. Shared txids are imported and reported as likely duplicates.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BUY, REPO, Result, write_jsonl
from gainlog.ledger import schema
from gainlog.ledger.errors import DuplicateEvent
from gainlog.ledger.store import Store
from tampering import behind_the_back

Gainlog = Callable[..., Result]
REAL = REPO / "fixtures" / "real"


def _refusal(path: Path, *, earlier: str, batch: int, earlier_origin: Path, source: str) -> str:
    return (
        f"gainlog: {path}: this file (the same bytes) was already imported as source {earlier!r} (batch {batch}, "
        f"from {earlier_origin}); importing it as source {source!r} would count its events twice: "
        f"import it with --source {earlier} (it adds nothing new), or pass --force to import it anyway\n"
    )


def _log(gainlog: Gainlog) -> list[tuple[str, str]]:
    return [(row["source"], row["key"]) for row in gainlog("log", "--json").json()]


def _digests(db: Path) -> list[tuple[int, str, str | None]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT batch, source, digest FROM batches ORDER BY batch").fetchall()
    finally:
        conn.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def two(tmp_path: Path) -> Path:
    """A .jsonl file of two buys with ids."""
    return write_jsonl(tmp_path / "a.jsonl", [{**BUY, "id": "b1"}, {**BUY, "id": "b2", "qty": "2"}])


# -- the same file under another source ---------------------------------------------------------


def test_the_same_jsonl_under_another_source_is_refused(two: Path, gainlog: Gainlog, db: Path) -> None:
    first = gainlog("import", str(two), "--json")
    assert first.code == 0 and first.json()["digest"] == _sha(two)
    again = gainlog("import", str(two), "--source", "other")
    assert (again.code, again.out) == (2, "")
    assert again.err == _refusal(two, earlier="a.jsonl", batch=1, earlier_origin=two, source="other")
    assert _log(gainlog) == [("a.jsonl", "a.jsonl:b1"), ("a.jsonl", "a.jsonl:b2")]
    assert _digests(db) == [(1, "a.jsonl", _sha(two))]


def test_a_copy_of_the_file_under_another_name_is_refused_too(two: Path, tmp_path: Path, gainlog: Gainlog) -> None:
    assert gainlog("import", str(two)).code == 0
    copy = Path(shutil.copy(two, tmp_path / "copy.jsonl"))  # default source: copy.jsonl
    again = gainlog("import", str(copy))
    assert (again.code, again.err) == (
        2, _refusal(copy, earlier="a.jsonl", batch=1, earlier_origin=two, source="copy.jsonl")
    )


def test_the_same_file_under_the_same_source_adds_nothing(two: Path, gainlog: Gainlog, db: Path) -> None:
    assert gainlog("import", str(two)).code == 0
    again = gainlog("import", str(two), "--json")
    assert (again.code, again.err) == (0, "")
    out = again.json()
    assert (out["added"], out["duplicates"], out["batch"], out["likely_duplicates"]) == (0, 2, None, [])
    assert out["digest"] == _sha(two)
    assert len(_digests(db)) == 1


def test_force_imports_it_and_later_imports_under_either_source_stay_no_ops(
    two: Path, gainlog: Gainlog, db: Path
) -> None:
    assert gainlog("import", str(two)).code == 0
    forced = gainlog("import", str(two), "--source", "other", "--force", "--json")
    assert forced.code == 0
    out = forced.json()
    assert (out["added"], out["batch"]) == (2, 2)
    assert _log(gainlog) == [
        ("a.jsonl", "a.jsonl:b1"), ("a.jsonl", "a.jsonl:b2"), ("other", "other:b1"), ("other", "other:b2"),
    ]
    assert _digests(db) == [(1, "a.jsonl", _sha(two)), (2, "other", _sha(two))]
    for source in ("a.jsonl", "other"):
        again = gainlog("import", str(two), "--source", source, "--json")
        assert again.code == 0 and (again.json()["added"], again.json()["duplicates"]) == (0, 2)
    third = gainlog("import", str(two), "--source", "third")
    assert (third.code, third.err) == (2, _refusal(two, earlier="a.jsonl", batch=1, earlier_origin=two, source="third"))


def test_a_file_whose_earlier_import_is_all_retracted_may_go_elsewhere(
    two: Path, tmp_path: Path, gainlog: Gainlog
) -> None:
    assert gainlog("import", str(two)).code == 0
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    gone = gainlog("import", str(empty), "--source", "a.jsonl", "--replace", "--allow-empty", "--json")
    assert gone.code == 0 and gone.json()["retracted"] == 2
    moved = gainlog("import", str(two), "--source", "moved", "--json")
    assert moved.code == 0 and moved.json()["added"] == 2
    assert _log(gainlog) == [("moved", "moved:b1"), ("moved", "moved:b2")]


def test_a_csv_export_under_another_source_is_refused(tmp_path: Path, gainlog: Gainlog, db: Path) -> None:
    path = Path(shutil.copy(REAL / "kraken_trades.csv", tmp_path / "kraken_trades.csv"))
    first = gainlog("import", str(path), "--format", "kraken", "--json")
    assert first.code == 0 and first.json()["digest"] == _sha(path)
    before = _log(gainlog)
    again = gainlog("import", str(path), "--format", "kraken", "--source", "kraken-2")
    assert (again.code, again.err) == (
        2, _refusal(path, earlier="kraken_trades.csv", batch=1, earlier_origin=path, source="kraken-2")
    )
    assert _log(gainlog) == before
    assert _digests(db) == [(1, "kraken_trades.csv", _sha(path))]


def test_add_records_no_digest(gainlog: Gainlog, db: Path) -> None:
    assert gainlog("add", "buy", "--wallet", "w", "--asset", "BTC", "--qty", "1", "--price", "1",
                   "--at", "2024-01-02").code == 0
    assert _digests(db) == [(1, "cli", None)]


def test_the_library_refuses_with_duplicate_event(two: Path, db: Path) -> None:
    with Store.open(db) as store:
        assert store.import_file(two).digest == _sha(two)
        with pytest.raises(DuplicateEvent, match=r"already imported as source 'a.jsonl' \(batch 1"):
            store.import_file(two, source="x")
        assert len(store.import_file(two, source="x", force=True).added) == 2


# -- older ledgers and verify -----------------------------------------------------------------------


def _old_ledger(path: Path) -> Path:
    """A ledger as gainlog made them before issue #12 (and #18): no `digest` column on batches."""
    conn = schema.connect(str(path))
    for statement in (*schema.TABLES, *schema.INDEXES, *schema.guards()):
        conn.execute(statement)
    conn.executemany('INSERT INTO "meta" ("name", "value") VALUES (?, ?)',
                     [("timezone", "UTC"), ("schema_version", str(schema.SCHEMA_VERSION))])
    conn.close()
    return path


def test_an_older_ledger_without_digests_still_imports(two: Path, tmp_path: Path, gainlog: Gainlog) -> None:
    old = _old_ledger(tmp_path / "old.db")
    assert gainlog("import", str(two), ledger=old).code == 0
    other = gainlog("import", str(two), "--source", "other", "--json", ledger=old)
    assert other.code == 0 and other.json()["added"] == 2  # nothing recorded to compare with
    assert gainlog("verify", ledger=old).code == 0
    with Store.open(old) as store:
        assert not store.batches_have_digest()


def test_verify_passes_with_digests_and_names_an_edited_one(two: Path, gainlog: Gainlog, db: Path) -> None:
    assert gainlog("import", str(two)).code == 0
    assert gainlog("import", str(REAL / "schwab.csv"), "--format", "schwab").code == 0
    assert gainlog("verify").code == 0
    with behind_the_back(db) as conn:
        conn.execute("UPDATE batches SET digest = 'not-a-digest' WHERE batch = 2")
    result = gainlog("verify")
    assert (result.code, result.err) == (
        4, "gainlog: batch 2: its file digest 'not-a-digest' is not a SHA-256 (64 hex digits)\n"
    )


# -- events another source already has -------------------------------------------------------------


def test_a_txid_live_in_another_source_is_reported_not_refused(tmp_path: Path, gainlog: Gainlog) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [{**BUY, "id": "x1", "txid": "T1"}, {**BUY, "id": "x2", "txid": "T2"}])
    b = write_jsonl(tmp_path / "b.jsonl", [
        {**BUY, "id": "e1", "txid": "T1", "note": "same trade"},
        {**BUY, "id": "e2", "txid": "T9"},
        {**BUY, "id": "e3", "txid": "T2", "qty": "3"},
        {**BUY, "id": "e4"},
    ])
    assert gainlog("import", str(a)).code == 0
    result = gainlog("import", str(b), "--json")
    assert result.code == 0
    out = result.json()
    assert out["added"] == 4
    assert out["likely_duplicates"] == [
        {"key": "b.jsonl:e1", "txid": "T1", "other_source": "a.jsonl", "other_key": "a.jsonl:x1"},
        {"key": "b.jsonl:e3", "txid": "T2", "other_source": "a.jsonl", "other_key": "a.jsonl:x2"},
    ]
    warning = (
        f"2 event(s) of {b} have an exchange id (txid) already live in source 'a.jsonl' (txid 'T1': b.jsonl:e1 "
        "here, a.jsonl:x1 there): likely the same transactions imported twice; if so, retract one copy "
        "(gainlog retract KEY)"
    )
    assert out["warnings"] == [warning]
    assert result.err == f"gainlog: warning: {warning}\n"
    assert [key for _, key in _log(gainlog)] == [
        "a.jsonl:x1", "a.jsonl:x2", "b.jsonl:e1", "b.jsonl:e2", "b.jsonl:e3", "b.jsonl:e4",
    ]


def test_a_retracted_txid_or_one_of_the_same_source_is_no_duplicate(tmp_path: Path, gainlog: Gainlog) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [{**BUY, "id": "x1", "txid": "T1"}, {**BUY, "id": "x2", "txid": "T2"}])
    assert gainlog("import", str(a)).code == 0
    assert gainlog("retract", "a.jsonl:x1").code == 0
    more = write_jsonl(tmp_path / "more.jsonl", [{**BUY, "id": "x3", "txid": "T2", "qty": "5"}])
    same = gainlog("import", str(more), "--source", "a.jsonl", "--json")
    assert same.code == 0 and same.json()["likely_duplicates"] == []
    b = write_jsonl(tmp_path / "b.jsonl", [{**BUY, "id": "e1", "txid": "T1"}])
    other = gainlog("import", str(b), "--json")
    assert (other.code, other.err) == (0, "")
    assert (other.json()["added"], other.json()["likely_duplicates"], other.json()["warnings"]) == (1, [], [])


def test_a_converted_export_reports_the_txids_of_a_forced_second_import(tmp_path: Path, gainlog: Gainlog) -> None:
    path = REAL / "kraken_trades.csv"
    first = gainlog("import", str(path), "--format", "kraken", "--json").json()
    forced = gainlog("import", str(path), "--format", "kraken", "--source", "again", "--force", "--json")
    assert forced.code == 0
    out = forced.json()
    assert out["added"] == first["added"]
    likely = out["likely_duplicates"]
    assert len(likely) == first["added"]
    assert likely[0] == {
        "key": "again:TQ4ZJ3-QKN2T-7XWLAB", "txid": "TQ4ZJ3-QKN2T-7XWLAB",
        "other_source": "kraken_trades.csv", "other_key": "kraken_trades.csv:TQ4ZJ3-QKN2T-7XWLAB",
    }
    assert f"gainlog: warning: {first['added']} event(s) of {path} have an exchange id (txid) already live in " \
        "source 'kraken_trades.csv' (txid 'TQ4ZJ3-QKN2T-7XWLAB'" in forced.err
