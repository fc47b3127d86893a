"""Import semantics of CONTRACT §2 Identity: keys, duplicates, re-imports, `--replace`, retractions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BUY, SELL, Result, write_jsonl
from gainlog.ledger import codec
from gainlog.ledger.store import Store


def _keys(gainlog: Callable[..., Result], *args: str) -> list[str]:
    return [row["key"] for row in gainlog("log", "--json", *args).json()]


def test_two_identical_lines_are_two_events_with_ranked_keys(
    tmp_path: Path, gainlog: Callable[..., Result]
) -> None:
    # CONTRACT §2: SOURCE:sha256(canonical body)#rank, rank counting identical lines from 1.
    path = write_jsonl(tmp_path / "t.jsonl", [BUY, BUY, SELL])
    result = gainlog("import", str(path), "--json").json()
    assert result["added"] == 3 and result["duplicates"] == 0
    digest = codec.body_digest(
        codec.canonical_body(
            codec.parse_event(BUY, tz=Store.open(tmp_path / "ledger.db").timezone, where="t")
        )
    )
    assert _keys(gainlog)[:2] == [f"t.jsonl:{digest}#1", f"t.jsonl:{digest}#2"]


def test_reimport_adds_nothing_and_reports_duplicates(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [BUY, BUY, {**SELL, "id": "s1"}])
    gainlog("import", str(path))
    again = gainlog("import", str(path), "--json").json()
    assert again["added"] == 0 and again["duplicates"] == 3 and again["batch"] is None
    # the same events spelled differently (key order, decimals, offset) are the same canonical body
    write_jsonl(
        tmp_path / "t.jsonl",
        [
            {**BUY, "qty": "1.000", "at": "2024-01-02T07:00:00-05:00"},
            dict(reversed(list(BUY.items()))),
            {**SELL, "id": "s1", "price": "012000.0"},
        ],
    )
    assert gainlog("import", str(path), "--json").json()["duplicates"] == 3
    assert len(gainlog("log", "--json").json()) == 3


def test_source_default_and_explicit(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    # CONTRACT §2: default source is the file's base name with its extension.
    path = write_jsonl(tmp_path / "coinbase.jsonl", [{**BUY, "id": "b1"}])
    gainlog("import", str(path))
    gainlog("import", str(path), "--source", "cb", "--force")  # the same file again: issue #12 wants --force
    rows = gainlog("log", "--json").json()
    assert [(r["source"], r["key"]) for r in rows] == [
        ("coinbase.jsonl", "coinbase.jsonl:b1"),
        ("cb", "cb:b1"),
    ]
    assert gainlog("import", str(path), "--source", "a:b").code == 2


def test_replace_retracts_only_what_changed(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    # CONTRACT §1 import --replace: retract live events of the source the file no longer holds.
    path = write_jsonl(
        tmp_path / "x.jsonl",
        [
            {**BUY, "id": "b1"},
            {**BUY, "id": "b2", "qty": "2"},
            {**SELL, "id": "s1"},
            BUY,
        ],
    )
    gainlog("import", str(path))
    before = {r["key"]: r["seq"] for r in gainlog("log", "--json").json()}
    write_jsonl(path, [{**BUY, "id": "b1"}, {**BUY, "id": "b2", "qty": "3"}, {**BUY, "qty": "5"}])
    result = gainlog("import", str(path), "--replace", "--json").json()
    assert result["added"] == 2 and result["duplicates"] == 1 and result["retracted"] == 3
    assert sorted(result["retracted_keys"]) == sorted(k for k in before if k != "x.jsonl:b1")
    rows = gainlog("log", "--json").json()
    assert rows[0]["seq"] == before["x.jsonl:b1"]  # unchanged: left alone
    assert [(r["key"], r["qty"]) for r in rows[1:]][0] == ("x.jsonl:b2", "3")
    assert len(rows) == 3
    everything = gainlog("log", "--json", "--all").json()
    retracts = [r for r in everything if r["type"] == "retract"]
    assert len(retracts) == 3 and all("replaced by import of" in r["reason"] for r in retracts)
    old_b2 = next(r for r in everything if r["key"] == "x.jsonl:b2" and r["qty"] == "2")
    assert old_b2["retracted"] is True and old_b2["retracted_by"] in {r["seq"] for r in retracts}
    # idempotent afterwards
    assert gainlog("import", str(path), "--replace", "--json").json()["added"] == 0


def test_replace_does_not_touch_other_sources(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    gainlog("import", str(write_jsonl(tmp_path / "a.jsonl", [BUY])))
    gainlog("import", str(write_jsonl(tmp_path / "b.jsonl", [SELL])))
    result = gainlog(
        "import", str(write_jsonl(tmp_path / "b.jsonl", [])), "--replace", "--allow-empty", "--json"
    ).json()
    assert result["retracted"] == 1
    assert [r["source"] for r in gainlog("log", "--json").json()] == ["a.jsonl"]


def test_warning_without_replace(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    # CONTRACT §2: a corrected export imported without --replace warns and names --replace.
    path = write_jsonl(tmp_path / "x.jsonl", [BUY])
    gainlog("import", str(path))
    write_jsonl(path, [{**BUY, "price": "10001"}])
    result = gainlog("import", str(path))
    assert result.code == 0 and "--replace" in result.err and "warning" in result.err
    assert len(gainlog("log", "--json").json()) == 2


def test_a_retracted_key_imported_again_is_live_again(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [{**BUY, "id": "b1"}])
    gainlog("import", str(path))
    assert gainlog("retract", "x.jsonl:b1", "--reason", "typo").code == 0
    assert gainlog("log", "--json").json() == []
    result = gainlog("import", str(path), "--json").json()
    assert result["added"] == 1
    rows = gainlog("log", "--json").json()
    assert [(r["key"], r["seq"]) for r in rows] == [("x.jsonl:b1", 3)]


def test_retract_lines_in_a_file(tmp_path: Path, gainlog: Callable[..., Result]) -> None:
    gainlog("import", str(write_jsonl(tmp_path / "a.jsonl", [{**BUY, "id": "b1"}])))
    path = write_jsonl(tmp_path / "fix.jsonl", [{"type": "retract", "target": "a.jsonl:b1", "reason": "dup"}])
    assert gainlog("import", str(path)).code == 0
    assert gainlog("log", "--json").json() == []
    assert gainlog("import", str(path), "--json").json()["duplicates"] == 1


def test_check_hook_sees_the_new_records_and_can_abort(db: Path, tmp_path: Path) -> None:
    # issue #2: import_file(check=...) runs inside the transaction, before commit, with the batch's
    # new records; `store.read()` inside it sees the whole would-be log.
    path = write_jsonl(tmp_path / "x.jsonl", [BUY, SELL])
    seen: list[list[int]] = []

    class Refused(Exception):
        pass

    def refuse(records: list) -> None:  # type: ignore[type-arg]
        seen.append([r.seq for r in records])
        seen.append([r.seq for r in store.read()])
        raise Refused

    with Store.open(db) as store:
        store.append_all([codec.parse_event({**BUY, "id": "first"}, tz=store.timezone, where="t")])
        with pytest.raises(Refused):
            store.import_file(path, check=refuse)
        assert seen == [[2, 3], [1, 2, 3]]
        assert store.last_seq() == 1
        store.import_file(path, check=lambda records: None)
        assert store.last_seq() == 3
