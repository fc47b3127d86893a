"""Write planning (issue #11): `ledger.write_plan.plan` decides duplicates, conflicts, `--replace`
retractions and the corrected-export warning without SQLite; one `Store.atomic()` serves every writer."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from gainlog.ledger import checkpoints, integrity, schema, transaction
from gainlog.ledger.codec import Decoded
from gainlog.ledger.errors import ConcurrencyConflict, DuplicateEvent, InvalidEvent, UsageError
from gainlog.ledger.store import Store
from gainlog.ledger.write_plan import (
    Item,
    LikelyDuplicate,
    Stored,
    WritePlan,
    case_twin_warnings,
    check_classes,
    check_retract_targets,
    find_log_twins,
    likely_duplicates,
    likely_warnings,
    plan,
    scan_bodies,
    stored_of,
)
from hypothesis import given, settings
from hypothesis import strategies as st

SOURCE = "s"
Row = tuple[str, int, bytes, str]  # (key, seq, body, type) as the store reads a source's rows


def item(event_id: str, body: bytes, line: int = 1) -> Item:
    return Item("f.jsonl", Decoded(body, "buy", event_id), f"{SOURCE}:{event_id}", line)


def applied(rows: list[Row], planned: WritePlan) -> list[Row]:
    """The source's rows after appending `planned` (what the store does), retractions first."""
    seq = max((r[1] for r in rows), default=0)
    out = list(rows)
    for _ in planned.retractions:
        seq += 1
        out.append((f"{SOURCE}:retract#{seq}", seq, b"{}", "retract"))
    gone = planned.retracted()
    out = [r for r in out if r[0] not in gone or r[3] == "retract"]  # the store reads live rows only
    for new in planned.fresh:
        seq += 1
        out.append((new.key or "", seq, new.facts.body, "buy"))
    return out


ids = st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8)
bodies = st.sampled_from([b'{"n":1}', b'{"n":2}', b'{"n":3}'])
files = ids.flatmap(lambda names: st.tuples(st.just(names), st.lists(bodies, min_size=len(names), max_size=len(names))))


def items_of(file: tuple[list[str], list[bytes]]) -> list[Item]:
    names, contents = file
    return [item(n, b, i) for i, (n, b) in enumerate(zip(names, contents, strict=True), 1)]


@settings(max_examples=200, deadline=None)
@given(files, st.booleans())
def test_planning_the_same_items_twice_gives_all_duplicates(file: tuple[list[str], list[bytes]], replace: bool) -> None:
    items = items_of(file)
    first = plan(stored_of([], items), items, source=SOURCE, origin="f.jsonl", replace=replace, whole_source=True)
    assert [i.key for i in first.fresh] == [i.key for i in items]
    assert first.duplicates == first.retractions == first.warnings == ()
    rows = applied([], first)
    again = plan(stored_of(rows, items), items, source=SOURCE, origin="f.jsonl", replace=replace, whole_source=True)
    assert again.fresh == []
    assert again.duplicates == tuple(i.key for i in items)
    assert again.retractions == again.warnings == ()


@settings(max_examples=200, deadline=None)
@given(files, files)
def test_replace_retracts_exactly_the_live_keys_missing_or_changed(
    before: tuple[list[str], list[bytes]], after: tuple[list[str], list[bytes]]
) -> None:
    old, new = items_of(before), items_of(after)
    rows = applied([], plan(stored_of([], old), old, source=SOURCE, origin="a", replace=False, whole_source=True))
    planned = plan(stored_of(rows, new), new, source=SOURCE, origin="b", replace=True, whole_source=True)
    stored = {i.key: i.facts.body for i in old}
    changed = {i.key for i in new if i.key in stored and stored[i.key] != i.facts.body}
    missing = set(stored) - {i.key for i in new}
    assert planned.retracted() == missing | changed
    seqs = [seq for _, seq in planned.retractions]
    assert seqs == sorted(seqs)  # appended in seq order
    assert planned.duplicates == tuple(i.key for i in new if stored.get(i.key) == i.facts.body)
    assert [i.key for i in planned.fresh] == [i.key for i in new if stored.get(i.key) != i.facts.body]
    assert planned.warnings == ()
    # and after it, the same file again adds nothing
    rows = applied(rows, planned)
    assert plan(stored_of(rows, new), new, source=SOURCE, origin="b", replace=True, whole_source=True).retractions == ()


def test_a_changed_body_without_replace_is_refused_naming_the_line_and_the_way_out() -> None:
    stored = Stored({"s:a": (7, b'{"n":1}')}, {})
    with pytest.raises(DuplicateEvent) as raised:
        plan(stored, [item("a", b'{"n":2}', 3)], source=SOURCE, origin="f.jsonl", replace=False, whole_source=True)
    assert str(raised.value) == (
        "f.jsonl:3: field 'id': key 's:a' is already live (seq 7) with a different body; "
        "pass --replace to retract it and append this one"
    )
    with pytest.raises(DuplicateEvent, match=re.escape("retract s:a first, or use another --id")):
        plan(stored, [item("a", b'{"n":2}')], source=SOURCE, origin="add", replace=False, whole_source=False)


def test_a_changed_retraction_is_refused_even_with_replace() -> None:
    retract = Item("f.jsonl", Decoded(b'{"r":2}', "retract", "x", target="s:a"), "s:x", 2)
    with pytest.raises(DuplicateEvent, match=r"^f\.jsonl:2: field 'id': key 's:x' is already live \(seq 4\)"):
        plan(Stored({"s:x": (4, b'{"r":1}')}, {}), [retract], source=SOURCE, origin="f.jsonl", replace=True,
             whole_source=True)


def test_a_corrected_export_without_replace_warns_and_retracts_nothing() -> None:
    stored = Stored({}, {"s:gone": 2, "s:old": 5})
    planned = plan(stored, [item("a", b"{}")], source=SOURCE, origin="f.jsonl", replace=False, whole_source=True)
    assert planned.retractions == ()
    assert planned.warnings == (
        "source 's' has 2 live event(s) that f.jsonl does not contain: if it is a corrected export, import it "
        "again with --replace (a corrected line without an id gets a new key and would otherwise count twice)",
    )
    # `add` is not a whole source: the other live events are none of its business
    alone = plan(stored, [item("a", b"{}")], source=SOURCE, origin="add", replace=False, whole_source=False)
    assert alone.warnings == ()


def test_stored_of_keeps_the_last_row_of_a_key_and_drops_retracted_missing_keys() -> None:
    items = [item("a", b"A"), item("b", b"B")]
    rows: list[Row] = [("s:a", 1, b"A", "buy"), ("s:c", 2, b"C", "buy"), ("s:b", 3, b"old", "buy"),
                       ("s:b", 4, b"B", "buy"), ("s:d", 5, b"D", "buy"), ("s:d", 6, b"R", "retract")]
    stored = stored_of(rows, items)
    assert stored.hits == {"s:a": (1, b"A"), "s:b": (4, b"B")}
    assert stored.hits["s:a"][1] is items[0].facts.body  # an equal stored body is not held twice
    assert stored.missing == {"s:c": 2}


def test_the_retractions_a_plan_implies_name_the_import() -> None:
    planned = plan(Stored({}, {"s:old": 5}), [], source=SOURCE, origin="f.jsonl", replace=True, whole_source=True)
    (retract,) = planned.retract_items("f.jsonl")
    assert (retract.facts.tag, retract.facts.target, retract.key) == ("retract", "s:old", None)
    assert b'"reason":"replaced by import of f.jsonl"' in retract.facts.body


def test_a_retract_target_must_be_live_in_the_log_or_earlier_in_the_batch() -> None:
    def retract(target: str, line: int) -> Item:
        return Item("f.jsonl", Decoded(b"{}", "retract", target=target), f"{SOURCE}:r{line}", line)

    live = {"s:old"}.__contains__
    check_retract_targets([item("a", b"{}"), retract("s:a", 2), retract("s:old", 3)], retracted=set(), live=live)
    with pytest.raises(InvalidEvent) as raised:
        check_retract_targets([retract("s:old", 1), retract("s:old", 2)], retracted=set(), live=live)
    assert str(raised.value) == "f.jsonl:2: field 'target': no live event has key 's:old'"
    with pytest.raises(InvalidEvent, match=r"^f\.jsonl:4: field 'target'"):  # the plan retracts it already
        check_retract_targets([retract("s:old", 4)], retracted={"s:old"}, live=live)


def test_an_assets_class_is_fixed_by_the_first_live_event_naming_one() -> None:
    def buy(asset: str, cls: str, line: int) -> Item:
        return Item("f.jsonl", Decoded(b"{}", "buy", asset=asset, class_=cls), f"{SOURCE}:{line}", line)

    stored = [("x:1", 4, "AAPL", "stock"), ("x:2", 9, "AAPL", "crypto")]
    check_classes([buy("AAPL", "stock", 1), buy("BTC", "crypto", 2)], retracted=set(), stored=stored)
    with pytest.raises(InvalidEvent) as raised:
        check_classes([buy("AAPL", "crypto", 3)], retracted=set(), stored=stored)
    assert str(raised.value) == (
        "f.jsonl:3: field 'class': AAPL is already stock (fixed by seq 4 (x:1)); an asset's class never changes"
    )
    check_classes([buy("AAPL", "crypto", 3)], retracted={"x:1"}, stored=stored)  # then seq 9 fixes it
    with pytest.raises(InvalidEvent, match=r"BTC is already crypto \(fixed by f\.jsonl:1\)"):
        check_classes([buy("BTC", "crypto", 1), buy("BTC", "stock", 2)], retracted=set(), stored=[])


def test_case_twins_within_the_file_and_against_the_log() -> None:
    items = [item("a", b'{"asset":"btc"}'), item("b", b'{"give_asset":"BTC","get_asset":"Eth"}')]
    names = scan_bodies(items).names
    assert names == {b'"btc"': "btc", b'"BTC"': "BTC", b'"Eth"': "Eth"}
    assert case_twin_warnings(names, {b'"Eth"': "ETH"}, origin="f.jsonl") == [
        "assets 'BTC', 'btc' in f.jsonl differ only by case: gainlog keeps them as different assets, "
        "with separate lots",
        "asset 'Eth' in f.jsonl differs only by case from 'ETH', already in the ledger: gainlog keeps them as "
        "different assets, with separate lots",
    ]


def test_log_twins_one_pass_first_variant_in_seq_order_unless_spelled_exactly() -> None:
    names = {b'"Eth"': "Eth", b'"btc"': "btc", b'"Sol"': "Sol", b'"NEW"': "NEW"}
    names[b'"\xc3\x89t\xc3\xa9"'] = "\u00c9t\u00e9"
    log = [
        [b'{"asset":"ETH","qty":"1"}', b'{"give_asset":"BTC","get_asset":"sol"}'],
        [b'{"asset":"eTH"}', b'{"asset":"btc"}', b'{"asset":"\xc3\xa9t\xc3\xa9"}'],  # btc spelled so: no twin
    ]
    # Eth: ETH, the first body with a variant; Sol: sol; NEW: none; \u00c9t\u00e9: only ASCII letters fold
    assert find_log_twins(names, iter(log)) == {b'"Eth"': "ETH", b'"Sol"': "sol"}


def test_log_twins_stop_reading_once_every_name_is_spelled_exactly() -> None:
    read: list[int] = []

    def chunks() -> Iterator[list[bytes]]:
        for n, chunk in enumerate([[b'{"asset":"BTC"}'], [b'{"asset":"ETH"}'], [b'{"asset":"eth"}']]):
            read.append(n)
            yield chunk

    assert find_log_twins({b'"BTC"': "BTC", b'"ETH"': "ETH"}, chunks()) == {}
    assert read == [0, 1]
    assert find_log_twins({}, iter([[b'{"asset":"btc"}']])) == {}


@settings(max_examples=200, deadline=None)
@given(
    log=st.lists(st.lists(st.sampled_from(["BTC", "btc", "Btc", "ETH", "eth", "SOL", "x_y", "X_Y", "a%"]), max_size=3),
                 max_size=12),
    new=st.sets(st.sampled_from(["BTC", "btc", "bTc", "Eth", "SOL", "sol", "X_Y", "x_Y", "A%", "NEW"]), min_size=1),
    size=st.integers(1, 4),
)
def test_log_twins_equal_a_search_per_name_in_sqlite(log: list[list[str]], new: set[str], size: int) -> None:
    """The one pass gives what the former two SQLite queries per name gave: an exact `instr`, then the
    first body `LIKE` a case variant (ASCII folding, `%` and `_` escaped) and its differing spelling."""
    bodies = [json.dumps({f"a{i}_asset": a for i, a in enumerate(assets)}, separators=(",", ":")).encode()
              for assets in log]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO events (body) VALUES (?)", [(b.decode(),) for b in bodies])
    names = {json.dumps(n).encode(): n for n in new}
    expected: dict[bytes, str] = {}
    for raw, name in names.items():
        pattern = 'asset":' + raw.decode()
        if conn.execute("SELECT 1 FROM events WHERE instr(body, ?) > 0", (pattern,)).fetchone():
            continue
        like = "%" + re.sub(r"([\\%_])", r"\\\1", pattern) + "%"
        row = conn.execute("SELECT body FROM events WHERE body LIKE ? ESCAPE '\\' ORDER BY seq", (like,)).fetchone()
        if row is not None:
            spellings = re.findall(r'asset":"([^"]*)"', row[0])
            twins = [o for o in spellings if o != name and o.casefold() == name.casefold()]
            if twins:
                expected[raw] = twins[0]
    chunks = [bodies[i : i + size] for i in range(0, len(bodies), size)]
    assert find_log_twins(names, iter(chunks)) == expected


def test_likely_duplicates_by_txid_with_other_sources() -> None:
    bodies = [b'{"txid":"T1"}', b'{"n":1}', b'{"txid":"T1"}', b'{"txid":"T2"}']
    items = [item(name, body) for name, body in zip("abcd", bodies, strict=True)]
    found = scan_bodies(items).txids
    assert found == {"T1": ["s:a", "s:c"], "T2": ["s:d"]}
    likely = likely_duplicates(found, [("k:9", "kraken", "T1"), ("k:10", "kraken", "T1"), ("k:11", "kraken", "T3")])
    assert likely == (
        LikelyDuplicate(key="s:a", txid="T1", other_source="kraken", other_key="k:9"),
        LikelyDuplicate(key="s:c", txid="T1", other_source="kraken", other_key="k:9"),
    )
    assert likely_warnings(likely, origin="f.jsonl") == [
        "2 event(s) of f.jsonl have an exchange id (txid) already live in source 'kraken' (txid 'T1': s:a here, "
        "k:9 there): likely the same transactions imported twice; if so, retract one copy (gainlog retract KEY)"
    ]



@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["asset", "give_asset", "txid", "note"]), st.text()), max_size=4))
def test_the_body_patterns_find_every_json_string(fields: list[tuple[str, str]]) -> None:
    import json

    import gainlog.ledger.write_plan as write_plan_module

    body = json.dumps(dict(fields), separators=(",", ":"), ensure_ascii=False).encode()
    string = rb'("(?:[^"\\]|\\.)*")'  # the plain form of a JSON string, before the loop was unrolled
    for pattern, prefix in ((write_plan_module.ASSET_NAME, rb'asset":'), (write_plan_module.TXID, rb'"txid":')):
        assert pattern.findall(body) == re.findall(prefix + string, body)
    names = [json.dumps(v, ensure_ascii=False).encode() for k, v in dict(fields).items() if k.endswith("asset")]
    assert write_plan_module.ASSET_NAME.findall(body) == names

def test_txids_are_found_in_every_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    import gainlog.ledger.write_plan as write_plan_module

    monkeypatch.setattr(write_plan_module, "CASE_CHUNK", 2)  # chunks (a, b) (c, d) (e): only the second has txids
    bodies = [b'{"n":1}', b'{"n":2}', b'{"txid":"T1"}', b'{"note":"txid","txid":"T2"}', b'{"n":3}']
    items = [item(name, body) for name, body in zip("abcde", bodies, strict=True)]
    assert scan_bodies(items).txids == {"T1": ["s:c"], "T2": ["s:d"]}
    assert scan_bodies(items[:2] + items[4:]).txids == {}
    # a chunk that says `txid` only in a text or another key holds no txid
    others = [item("f", b'{"note":"txid","other_txid":"T3"}'), item("g", b'{"txids":"T4"}')]
    assert scan_bodies(others).txids == {}

# -- one atomic() ---------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def test_only_the_one_transaction_helper_writes_begin_and_commit() -> None:
    """Every writer goes through `Store.atomic()` (`ledger.transaction.LedgerFile.atomic`), a new
    file's tables included (`schema.create_file`)."""
    hand_written = {
        str(path.relative_to(ROOT))
        for folder in ("ledger", "api", "cli", "projections")
        for path in (ROOT / folder).rglob("*.py")
        if re.search(r"""execute\(\s*["'](BEGIN|COMMIT|ROLLBACK)""", path.read_text())
    }
    assert hand_written == {"ledger/transaction.py"}
    assert Store.atomic is transaction.LedgerFile.atomic


@pytest.mark.parametrize("existed", [False, True])
def test_a_failure_mid_create_leaves_no_half_made_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existed: bool
) -> None:
    """The tables, the meta rows and the integrity additions are one transaction: a statement failing
    after the tables were made rolls all of it back and removes the file it made (an empty file it
    found stays empty), so the same `init` works once the cause is gone."""
    path = tmp_path / "l.db"
    if existed:
        path.write_bytes(b"")
    made: list[str] = []
    real = schema.add_integrity

    def failing(conn: sqlite3.Connection, *, timezone: str) -> None:
        made.extend(row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
        conn.execute("INSERT INTO nowhere VALUES (1)")

    monkeypatch.setattr(schema, "add_integrity", failing)
    with pytest.raises(UsageError, match=r"^cannot create a ledger at .*l\.db: no such table: nowhere$"):
        Store.create(path)
    assert made == ["meta", "events", "batches", "tags"]  # it failed mid-create, the tables made
    assert (path.exists(), path.stat().st_size if existed else None) == (existed, 0 if existed else None)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["l.db"] if existed else [])
    monkeypatch.setattr(schema, "add_integrity", real)
    with Store.create(path, timezone="UTC") as store:
        assert store.last_seq() == 0


def test_an_interrupt_mid_create_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "l.db"

    def interrupted(conn: sqlite3.Connection, *, timezone: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(schema, "add_integrity", interrupted)
    with pytest.raises(KeyboardInterrupt):
        schema.create_file(path, timezone="UTC")
    assert list(tmp_path.iterdir()) == []


def _locked(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_checkpoint_save_and_the_verified_record_wait_for_the_lock_through_atomic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transaction, "WAIT_NOTICE", 0.01)
    path = tmp_path / "l.db"
    Store.create(path).close()
    waited: list[float] = []
    with Store.open(path) as store:
        store.set_wait(0.1, on_wait=lambda _p, seconds: waited.append(seconds))
        other = _locked(path)
        try:
            assert checkpoints.save(store, 0, store.genesis, "v", "h", b"state") is False
            assert waited == [0.1]  # the lock wait of every writer, announced once
            locked = r"is locked by another gainlog writing to it; gave up after 0\.1 s"
            with pytest.raises(ConcurrencyConflict, match=locked):
                store.tag("t")
            outcome = integrity.verify(store)
            assert integrity.record(store, outcome) is False
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert store.conn.in_transaction is False
        assert checkpoints.save(store, 0, store.genesis, "v", "h", b"state") is True
        assert integrity.record(store, integrity.verify(store)) is True


def test_clearing_checkpoints_waits_for_the_lock_and_drops_both_tables_at_once(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    Store.create(path).close()
    with Store.open(path) as store:
        assert checkpoints.save(store, 0, store.genesis, "v", "h", b"state", [("part", b"x")]) is True
        store.set_wait(0.05)
        other = _locked(path)
        try:
            with pytest.raises(ConcurrencyConflict, match=r"gave up after 0\.05 s \(--wait SECONDS to wait longer\)"):
                checkpoints.clear(store)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert checkpoints.clear(store) == 1
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not tables & {checkpoints.TABLE, checkpoints.PARTS}
        assert store.conn.in_transaction is False
