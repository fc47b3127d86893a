"""The store (issue #2): opening, append-only triggers, the hash chain, recording times, knowledge points."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import BUY, SELL, write_jsonl
from freezegun import freeze_time
from gainlog.ledger import chain, codec
from gainlog.ledger.errors import ConcurrencyConflict, LedgerNotFound, UnknownKnowledgePoint, UsageError
from gainlog.ledger.events import Recorded, Retract
from gainlog.ledger.store import Store

IGNORE = ["gainlog.ledger.codec"]  # freezegun must not turn parsed event times into FakeDatetime


def _event(raw: dict, store: Store):  # type: ignore[no-untyped-def,type-arg]
    return codec.parse_event(raw, tz=store.timezone, where="test")


def test_create_and_open(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    with Store.create(path, timezone="America/New_York") as store:
        assert store.timezone.key == "America/New_York" and store.last_seq() == 0
    with Store.open(path) as store:
        assert str(store.timezone) == "America/New_York"
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(UsageError, match="already holds a ledger"):
        Store.create(path)
    with pytest.raises(UsageError, match="unknown time zone"):
        Store.create(tmp_path / "m.db", timezone="Mars/Olympus")
    with pytest.raises(LedgerNotFound, match="gainlog init"):
        Store.open(tmp_path / "none.db")
    (tmp_path / "text.db").write_text("hello")
    with pytest.raises(LedgerNotFound, match="text.db is not a SQLite database"):
        Store.open(tmp_path / "text.db")


def test_read_returns_records_in_seq_order(db: Path, tmp_path: Path) -> None:
    with Store.open(db) as store:
        store.import_file(write_jsonl(tmp_path / "t.jsonl", [{**BUY, "id": "b"}, SELL]))
        store.retract("t.jsonl:b", reason="wrong")
        records = store.read()
        assert [r.seq for r in records] == [1, 2, 3]
        assert isinstance(records[0], Recorded) and records[0].key == "t.jsonl:b" and records[0].batch == 1
        assert (
            records[2].event == Retract(target="t.jsonl:b", reason="wrong")
            and records[2].key == "cli:retract#3"
        )
        assert [r.seq for r in store.read(after=1, until=2)] == [2]
        assert store.last_seq() == 3
        assert store.live_keys() == {records[1].key: 2}


def test_identical_adds_are_two_events(db: Path) -> None:
    # An add without id is always a new event: its rank follows those already stored.
    with Store.open(db) as store:
        first = store.append(_event(BUY, store))
        second = store.append(_event(BUY, store))
        assert first.added[0].endswith("#1") and second.added[0].endswith("#2")
        with_id = _event({**BUY, "id": "x"}, store)
        assert store.append(with_id).added == ("cli:x",)
        assert store.append(with_id).duplicates == ("cli:x",)
        assert store.last_seq() == 3


@pytest.mark.parametrize(
    "sql",
    ["UPDATE events SET body = '{}'", "DELETE FROM events", "UPDATE tags SET seq = 0", "DELETE FROM batches"],
)
def test_update_and_delete_are_refused_by_sqlite(db: Path, tmp_path: Path, sql: str) -> None:
    with Store.open(db) as store:
        store.import_file(write_jsonl(tmp_path / "t.jsonl", [BUY]))
        store.tag("t1")
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(sql)
    conn.close()
    with Store.open(db) as store:
        assert store.last_seq() == 1 and store.verify() is None


def test_verify_catches_a_body_edited_behind_the_triggers_back(db: Path, tmp_path: Path) -> None:
    with Store.open(db) as store:
        store.import_file(write_jsonl(tmp_path / "t.jsonl", [BUY, SELL, {**BUY, "qty": "3"}]))
        assert store.verify() is None
    conn = sqlite3.connect(db)
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events_no_update'").fetchone()[0]
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET body = replace(body, '12000', '12001') WHERE seq = 2")
    conn.execute(trigger)
    conn.commit()
    conn.close()
    with Store.open(db) as store:
        assert store.verify() == 2
        assert store.missing_guards() == []


def test_verify_catches_a_deleted_last_row_and_missing_triggers(db: Path, tmp_path: Path) -> None:
    with Store.open(db) as store:
        store.import_file(write_jsonl(tmp_path / "t.jsonl", [BUY, SELL]))
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute("DELETE FROM events WHERE seq = 2")
    conn.commit()
    conn.close()
    with Store.open(db) as store:
        assert store.verify() == 2
        assert store.missing_guards() == ["events_no_delete"]


def test_hash_chain_formula(db: Path, tmp_path: Path) -> None:
    # issue #2: hash = H(prev_hash, seq, key, source, batch, recorded_at, canonical body); the first
    # prev_hash is the genesis record over the time zone and schema version (issue #18; 64 zeros before).
    with Store.open(db) as store:
        store.import_file(write_jsonl(tmp_path / "t.jsonl", [BUY, SELL]))
        rows = store.conn.execute(
            "SELECT seq, key, source, batch, recorded_at, body, prev_hash, hash FROM events"
        )
        prev = chain.genesis("UTC", "1")
        for seq, key, source, batch, recorded, body, prev_hash, digest in rows:
            assert prev_hash == prev
            assert digest == chain.link(prev, seq, key, source, batch, recorded, body)
            prev = digest


def test_recorded_at_is_commit_time_and_never_decreases(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with Store.open(db) as store:
        with freeze_time("2025-03-01T10:00:00Z", ignore=IGNORE):
            store.import_file(write_jsonl(path, [BUY]))
        with freeze_time("2025-02-01T10:00:00Z", ignore=IGNORE):  # the clock went backwards
            store.import_file(write_jsonl(path, [SELL]))
        with freeze_time("2025-04-01T10:00:00.5Z", ignore=IGNORE):
            store.tag("april")
            store.import_file(write_jsonl(path, [{**BUY, "qty": "9"}, {**BUY, "id": "z"}]))
        times = [chain.time_text(r.recorded_at) for r in store.read()]
        assert times == ["2025-03-01T10:00:00.000000Z"] * 2 + ["2025-04-01T10:00:00.500000Z"] * 2
        assert store.read()[0].recorded_at == datetime(2025, 3, 1, 10, tzinfo=UTC)


def test_each_record_reads_its_own_batchs_source_and_time(db: Path, tmp_path: Path) -> None:
    """`iter_read` takes a row's source and time from the row before when they are equal (issue #19):
    batches of sources a, b, a again, one second apart, each read back as its own."""
    with Store.open(db) as store:
        for second, source, qty in ((1, "a", "1"), (2, "b", "2"), (3, "a", "3")):
            with freeze_time(f"2025-03-01T10:00:0{second}Z", ignore=IGNORE):
                store.import_file(write_jsonl(tmp_path / f"{source}.jsonl", [{**BUY, "qty": qty}]), source=source)
        read = list(store.iter_read(trail=False))
        assert [(r.source, r.batch, chain.time_text(r.recorded_at)) for r in read] == [
            ("a", 1, "2025-03-01T10:00:01.000000Z"), ("b", 2, "2025-03-01T10:00:02.000000Z"),
            ("a", 3, "2025-03-01T10:00:03.000000Z"),
        ]


def test_resolve_knowledge_points(db: Path, tmp_path: Path) -> None:
    # CONTRACT §1: K is a seq, a tag name, or @ + RFC 3339 recording time.
    path = tmp_path / "t.jsonl"
    with Store.open(db) as store:
        assert store.resolve(None) == 0 and store.resolve("@2030-01-01T00:00:00Z") == 0
        with freeze_time("2025-03-01T10:00:00Z", ignore=IGNORE):
            store.import_file(write_jsonl(path, [BUY, SELL]))
            assert store.tag("filed-2024") == 2
        with freeze_time("2025-05-01T10:00:00Z", ignore=IGNORE):
            store.import_file(write_jsonl(path, [{**BUY, "qty": "7"}]))
        assert store.resolve(None) == 3
        assert store.resolve("2") == 2 and store.resolve("0") == 0
        assert store.resolve("filed-2024") == 2
        assert store.resolve("@2025-03-01T10:00:00Z") == 2
        assert store.resolve("@2025-03-01T09:59:59Z") == 0
        assert store.resolve("@2025-05-01T06:00:00-04:00") == 3
        with pytest.raises(UnknownKnowledgePoint, match="log ends at seq 3"):
            store.resolve("4")
        with pytest.raises(UnknownKnowledgePoint, match="no tag named 'nope'.*filed-2024"):
            store.resolve("nope")
        with pytest.raises(UnknownKnowledgePoint, match="RFC 3339"):
            store.resolve("@yesterday")


@pytest.mark.parametrize("name", ["", "2024", "@x", "with space"])
def test_tag_names_are_checked(db: Path, name: str) -> None:
    with Store.open(db) as store, pytest.raises(UsageError):
        store.tag(name)


def test_tag_twice_is_an_error(db: Path) -> None:
    with Store.open(db) as store:
        store.tag("t")
        with pytest.raises(UsageError, match="already exists"):
            store.tag("t")
        assert [t.name for t in store.tags()] == ["t"]


def test_expect_last_seq_turns_a_race_into_a_conflict(db: Path) -> None:
    # STYLE.md 5: append_all(events, *, expect_last_seq) -> ConcurrencyConflict when the head moved.
    with Store.open(db) as store:
        event = _event(BUY, store)
        assert store.append_all([event], expect_last_seq=0).last_seq == 1
        with pytest.raises(ConcurrencyConflict, match="ends at seq 1"):
            store.append_all([event], expect_last_seq=0)
        assert store.last_seq() == 1


def test_import_reports_progress(db: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    path = write_jsonl(tmp_path / "t.jsonl", [{**BUY, "price": str(i + 1)} for i in range(2500)])
    with Store.open(db) as store:
        store.import_file(path, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1000, 2501), (2000, 2501), (2501, 2501)]  # the trailing newline makes an empty line
