"""The fast write path keeps the stored bytes, the messages and the checks (issue #7).

`init` writes the schema without sqlite-utils, the chain is hashed over bytes, ids are checked all at
once, the lot check is skipped when no new sell names lots, and typer builds only the command a
line names: each must do exactly what the slower way did.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import BUY, REPO, SELL, write_jsonl
from gainlog.ledger import chain, codec, schema
from gainlog.ledger.errors import InvalidEvent
from gainlog.ledger.store import Store


def _master(path: Path) -> list[tuple[Any, ...]]:
    """Everything a schema is: sqlite_master (quoting aside), the schema cookie, meta, the journal mode."""
    conn = sqlite3.connect(path)
    try:
        rows = [
            (kind, name, table, page, sql and sql.replace("[", '"').replace("]", '"'))
            for kind, name, table, page, sql in conn.execute("SELECT * FROM sqlite_master")
        ]
        return [
            *rows,
            conn.execute("PRAGMA schema_version").fetchone(),
            conn.execute("PRAGMA journal_mode").fetchone(),
            *conn.execute("SELECT rowid, name, value FROM meta"),
        ]
    finally:
        conn.close()


def test_schema_is_the_one_sqlite_utils_wrote(tmp_path: Path) -> None:
    import sqlite_utils
    old = tmp_path / "old.db"
    conn = schema.connect(str(old))
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode = WAL")
    with db.conn:  # ledger/schema.py `create` before issue #7, verbatim
        db.execute("BEGIN IMMEDIATE")
        db["meta"].create({"name": str, "value": str}, pk="name")
        db["events"].create(
            {"seq": int, "key": str, "source": str, "batch": int, "recorded_at": str, "type": str,
             "target": str, "body": str, "prev_hash": str, "hash": str},
            pk="seq",
            not_null={"key", "source", "batch", "recorded_at", "type", "body", "prev_hash", "hash"},
        )
        db["batches"].create(
            {"batch": int, "source": str, "origin": str, "recorded_at": str, "first_seq": int, "last_seq": int},
            pk="batch",
        )
        db["tags"].create({"name": str, "seq": int, "recorded_at": str}, pk="name")
        for column in ("key", "source", "target"):
            db["events"].create_index([column])
        for table in schema.APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                db.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: {action} refused'); END"
                )
        db["meta"].insert_all(
            [{"name": "timezone", "value": "America/New_York"}, {"name": "schema_version", "value": "1"}]
        )
        schema.add_integrity(db.conn, timezone="America/New_York")  # issue #18's additions, the same for both
    conn.close()
    new = tmp_path / "new.db"
    Store.create(new, timezone="America/New_York").close()
    assert _master(new) == _master(old)


@pytest.mark.parametrize(
    ("key", "body"),
    [("a.jsonl:e1", b'{"qty":"1","type":"buy"}'), ("caf\u00e9:\u00fcber", '{"note":"\u20ac 5"}'.encode())],
)
def test_batch_linker_is_the_chain_formula(key: str, body: bytes) -> None:
    link = chain.linker("src\u00e9", 3, "2025-01-01T00:00:00.000000Z")
    expected = chain.link(chain.GENESIS, 7, key, "src\u00e9", 3, "2025-01-01T00:00:00.000000Z", body.decode())
    assert link(chain.GENESIS, 7, key, body.decode()) == expected


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["a", "b", "a"], "t.jsonl:3: field 'id': 'a' is already used by t.jsonl:1"),
        (["a", "b\x01", "a"], "t.jsonl:2: field 'id': must be non-empty text"),
        (["a", "a", "b\x01"], "t.jsonl:2: field 'id': 'a' is already used by t.jsonl:1"),
        (["a", None, ""], "t.jsonl:3: field 'id': must be non-empty text"),
    ],
)
def test_the_first_bad_id_in_file_order_is_named(db: Path, tmp_path: Path, ids: list[str | None], message: str) -> None:
    lines = [{**BUY, "qty": str(n + 1)} if i is None else {**BUY, "id": i} for n, i in enumerate(ids)]
    path = write_jsonl(tmp_path / "t.jsonl", lines)  # type: ignore[arg-type]
    with Store.open(db) as store, pytest.raises(InvalidEvent) as caught:
        store.import_file(path)
    assert str(caught.value).replace(str(tmp_path) + "/", "").startswith(message)


class _Counting:
    """A check that records its calls and says whether it needs them."""

    def __init__(self, *, needed: bool) -> None:
        self.needed = needed
        self.calls: list[list[int]] = []

    def needs(self, new: Any) -> bool:
        return self.needed

    def __call__(self, records: list[Any]) -> None:
        self.calls.append([r.seq for r in records])


@pytest.mark.parametrize("needed", [False, True])
def test_a_check_that_needs_nothing_is_not_called(db: Path, tmp_path: Path, needed: bool) -> None:
    check = _Counting(needed=needed)
    with Store.open(db) as store:
        result = store.import_file(write_jsonl(tmp_path / "t.jsonl", [BUY, SELL]), check=check)
    assert check.calls == ([[1, 2]] if needed else [])
    assert len(result.added) == 2 and result.last_seq == 2


def _event(raw: dict[str, Any]) -> Any:
    from zoneinfo import ZoneInfo

    return codec.parse_event(raw, tz=ZoneInfo("UTC"), where="t")


def test_lot_check_needs_only_sells_that_name_lots(db: Path) -> None:
    from gainlog.api.checks import lot_references

    with Store.open(db) as store:
        check = lot_references(store)
        plain = [codec.decoded(_event(raw)) for raw in (BUY, SELL, {**BUY, "note": '"lots":'})]
        named = codec.decoded(_event({**SELL, "lots": [{"lot": "x:a", "qty": "1"}]}))
        assert not check.needs(plain)
        assert check.needs([*plain, named])
        fast = codec.decode_fast(codec.canonical_body(_event({**SELL, "lots": [{"lot": "x:a", "qty": "1.0"}]})))
        assert fast is not None and check.needs([fast])


def test_a_command_line_builds_only_its_command() -> None:
    import typer.main
    from gainlog.cli import main

    main._register()
    before = (list(main.app.registered_commands), list(main.app.registered_groups))
    names = {c.name for c in main.app.registered_commands} | {g.name for g in main.app.registered_groups}
    assert {"init", "import", "report", "add"} <= names
    assert typer.main.get_command(main._narrowed(main._words(["--db", "x", "init", "--json"]))).commands.keys() == {
        "init"
    }
    report = typer.main.get_command(main._narrowed(main._words(["report", "all", "--out", "d"])))
    assert list(report.commands) == ["report"] and list(report.commands["report"].commands) == ["all"]  # type: ignore[attr-defined]
    assert main._narrowed(main._words(["--help"])) is main.app
    assert main._narrowed(main._words(["nonsense"])) is main.app
    assert (list(main.app.registered_commands), list(main.app.registered_groups)) == before


def test_init_and_import_load_neither_the_store_nor_rich_needlessly(tmp_path: Path) -> None:
    ledger = write_jsonl(tmp_path / "t.jsonl", [BUY, SELL])
    script = (
        "import sys; from gainlog.cli.main import main; "
        f"main(['--db', {str(tmp_path / 'l.db')!r}, *sys.argv[1:]]); "
        "print(sorted(m for m in ('gainlog.ledger.store', 'gainlog.ledger.codec', 'rich', 'sqlite_utils', 'pydantic') "
        "if m in sys.modules))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    loaded = []
    for args in (["init"], ["import", str(ledger)]):
        done = subprocess.run(
            [sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=REPO, check=True,
            env={**env, "COLUMNS": "200"},
        )
        loaded.append(done.stdout.splitlines()[-1])
    assert loaded == ["[]", "['gainlog.ledger.codec', 'gainlog.ledger.store']"]


def _indexes(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
    finally:
        conn.close()


def _drops(store: Store) -> list[str]:
    """Starts recording the statements of `store`'s connection that drop an index."""
    seen: list[str] = []
    store.conn.set_trace_callback(lambda sql: seen.append(sql) if sql.startswith("DROP INDEX") else None)
    return seen


def test_a_batch_larger_than_the_log_rebuilds_the_indexes(db: Path, tmp_path: Path) -> None:
    before = _indexes(db)
    with Store.open(db) as store:
        drops = _drops(store)
        store.import_file(write_jsonl(tmp_path / "a.jsonl", [BUY, {**BUY, "qty": "2"}]))
        assert drops == [f'DROP INDEX "idx_events_{column}"' for column in ("key", "source", "target")]
        drops.clear()
        store.import_file(write_jsonl(tmp_path / "b.jsonl", [{**BUY, "qty": "3"}]))  # 1 line into a log of 2
        assert drops == []
        plan = store.conn.execute("EXPLAIN QUERY PLAN SELECT seq FROM events WHERE key = 'a.jsonl:x'").fetchall()
        assert "idx_events_key" in str(plan)
        assert store.verify() is None
    assert _indexes(db) == before  # the same indexes, from the same SQL


def test_a_refused_batch_leaves_the_schema_as_it_was(db: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(db)
    schema_before = conn.execute("SELECT * FROM sqlite_master ORDER BY rowid").fetchall()
    conn.close()

    def refuse(records: list[Any]) -> None:
        raise InvalidEvent("refused")

    refuse.needs = lambda new: True  # type: ignore[attr-defined]
    with Store.open(db) as store:
        drops = _drops(store)
        with pytest.raises(InvalidEvent, match="refused"):
            store.import_file(write_jsonl(tmp_path / "a.jsonl", [BUY, SELL]), check=refuse)
        assert len(drops) == 3 and store.count() == 0
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT * FROM sqlite_master ORDER BY rowid").fetchall() == schema_before
    conn.close()


def test_a_source_with_quotes_is_stored_as_given(db: Path, tmp_path: Path) -> None:
    # the batch's source and time are literals in the insert statement: quoted, typed as when bound
    source = "o'brien \"x\" \u00e9'--"
    with Store.open(db) as store:
        result = store.import_file(write_jsonl(tmp_path / "a.jsonl", [BUY, SELL]), source=source)
        rows = store.conn.execute(
            "SELECT source, typeof(source), batch, typeof(batch), recorded_at, typeof(target) FROM events"
        ).fetchall()
        assert store.verify() is None
    assert len(result.added) == 2 and all(key.startswith(f"{source}:") for key in result.added)
    assert [row[:4] for row in rows] == [(source, "text", 1, "integer")] * 2
    assert rows[0][5] == "null" and rows[0][4].endswith("Z")
