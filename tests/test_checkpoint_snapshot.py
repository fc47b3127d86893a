"""The checkpoint's stored form is an explicit msgspec value (projections.checkpoint `EngineSnapshot`).

A lot engine state taken after any number of trades of a generated ledger, through `snapshot`, the
msgpack bytes and back through the typed decoder and `restore`, resumes to exactly what one fold of
the whole ledger gives (STYLE.md 23: the same fold). A blob of another `schema`, or one that does
not decode, is ignored and the report replays. The code version that keys checkpoints is computed
outside projections/, on first use: importing the projections reads no file.

The shards of a parallel replay (issue #19) each snapshot their state; merged
(`checkpoint.merge_snapshots`), they give the snapshot one process takes: on generated ledgers split
into random shards of assets at a random point of the fold, the merged snapshot restored, folded on
and finished gives the `Booked` of the one-process snapshot restored, folded on and finished. It is
None only when a pooling change is still due (or one that reports a problem, which the replay would
not shard); a shard whose trades stop before the 2025 change to wallets has it applied by the merge.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from decimal import localcontext
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from conftest import REPO, write_jsonl
from gainlog.api.checkpoints import save_checkpoint
from gainlog.api.reading import load
from gainlog.api.reports import schedule_d
from gainlog.fixtures.generate import generate
from gainlog.ledger import checkpoints as saved
from gainlog.ledger.events import TRADES, Recorded, Swap
from gainlog.ledger.store import Store
from gainlog.projections import checkpoint as cp
from gainlog.projections.engine import PRECISION, LotBookState, book, finish, fold_order, step
from gainlog.projections.model import Booked
from gainlog.projections.shards import UNSHARDABLE
from helpers import R_E5, records, served_by_checkpoint
from hypothesis import HealthCheck, given, settings
from hypothesis import event as statistic
from hypothesis import strategies as st

ZONES = ("UTC", "America/New_York")


def _json(booked: Booked) -> bytes:
    return msgspec.json.encode(booked)


def _resumed(known: list[Recorded], split: int, *, tz: ZoneInfo) -> tuple[Booked, cp.EngineSnapshot]:
    """Fold the first `split` trades, store the state as bytes and restore it, fold the rest into the
    restored state (the outputs made before the split carried over by hand: a checkpoint keeps its
    own) and finish; with the snapshot taken."""
    trades = fold_order(known)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        state = LotBookState(known, tz=tz)
        for record in trades[:split]:
            step(state, record)
        taken = cp.snapshot(state)
        blob = cp.freeze_engine(state)
        assert msgspec.msgpack.decode(blob, type=cp.EngineSnapshot) == taken  # the bytes hold the value
        restored = cp.thaw_engine(blob, tz=tz)
        assert restored is not None
        assert cp.snapshot(restored) == taken  # restore(snapshot) is the state snapshot was taken of
        restored.slices, restored.acquisitions = list(state.slices), list(state.acquisitions)
        restored.income, restored.problems = list(state.income), list(state.problems)
        for record in trades[split:]:
            step(restored, record)
        return finish(restored), taken


@st.composite
def generated(draw: st.DrawFn) -> tuple[list[Recorded], ZoneInfo]:
    """A generated ledger (fixtures.generate), sometimes with a `policy` carrying transfer fees, a
    wallet-scope election before 2025 and an `allocate` naming an early lot (R2.6, R3.3, R3.4)."""
    lines: list[str | dict[str, Any]] = [
        line.decode() for line in generate(draw(st.integers(20, 1500)), draw(st.integers(0, 10**6)))
    ]
    if draw(st.booleans()):
        lines.append({"type": "policy", "from": draw(st.sampled_from(["2019-01-01", "2023-06-01"])),
                      "transfer_fee": "carry"})
    if draw(st.booleans()):
        lines.append({"type": "method", "method": "LIFO", "from": "2022-01-01", "scope": "wallet", "asset": "C00"})
    buys = [json.loads(line) for line in lines if isinstance(line, str) and '"type":"buy"' in line]
    early = [b for b in buys if b["at"] < "2024" and b["asset"].startswith("C")]
    if draw(st.booleans()) and early:
        lot = draw(st.sampled_from(early))
        lines.append({"type": "allocate", "asset": lot["asset"],
                      "lots": [{"lot": lot["id"], "wallet": lot["wallet"], "qty": lot["qty"]}]})
    zone = draw(st.sampled_from(ZONES))
    return records(lines, tz=zone), ZoneInfo(zone)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger=generated(), data=st.data())
def test_a_restored_snapshot_resumes_to_the_full_fold(
    ledger: tuple[list[Recorded], ZoneInfo], data: st.DataObject
) -> None:
    known, tz = ledger
    split = data.draw(st.integers(0, len(fold_order(known))), label="split")
    resumed, _ = _resumed(known, split, tz=tz)
    assert _json(resumed) == _json(book(known, tz=tz))


def test_an_allocation_still_due_resolves_its_lots_after_a_restore() -> None:
    """R-E5 with its `allocate` (R3.4): a snapshot taken in 2024 keeps the lot key the allocation names,
    so the 2025 split gives XYZ 4 units of the 2019 lot, as a full fold does."""
    override = {"type": "allocate", "asset": "XYZ", "lots": [{"lot": "l2019", "wallet": "XYZ", "qty": "4"}]}
    sale = {"type": "sell", "at": "2025-02-01", "wallet": "XYZ", "asset": "XYZ", "qty": "4", "price": "9"}
    known = records([*R_E5, override, sale])
    tz = ZoneInfo("UTC")
    resumed, taken = _resumed(known, 3, tz=tz)  # the buys and the transfer
    assert taken.lot_keys == ["test:l2019"] and taken.next_transition == 0
    assert _json(resumed) == _json(book(known, tz=tz))
    assert [(s.wallet, s.lot, str(s.basis)) for s in resumed.slices] == [("XYZ", "test:l2019", "4")]
    assert resumed.problems == ()


def test_a_field_added_at_the_end_still_decodes() -> None:
    """The evolution rule: a newer gainlog's snapshot with one more trailing field restores here."""
    known = records(R_E5)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        state = LotBookState(known, tz=ZoneInfo("UTC"))
        for record in fold_order(known):
            step(state, record)
    taken = cp.snapshot(state)
    newer = msgspec.msgpack.encode([*msgspec.structs.astuple(taken), "a later field"])
    restored = cp.thaw_engine(newer, tz=ZoneInfo("UTC"))
    assert restored is not None and cp.snapshot(restored) == taken


# ---------------------------------------------------------------- blobs that are not this schema's


def _ledger_with_checkpoint(tmp_path: Path) -> tuple[Path, Store]:
    path = tmp_path / "l.db"
    store = Store.create(path)
    store.import_file(REPO / "fixtures" / "sample" / "events.jsonl", source="sample")
    more = [{"type": "buy", "id": "m1", "at": "2026-06-30T12:00:00Z", "wallet": "coinbase", "asset": "ETH",
             "qty": "2", "price": "3000"}]
    assert save_checkpoint(path) == store.last_seq()
    store.import_file(write_jsonl(tmp_path / "more.jsonl", more), source="more")  # type: ignore[arg-type]
    return path, store


def _other_schema(blob: bytes) -> bytes:
    taken = msgspec.msgpack.decode(blob, type=cp.EngineSnapshot)
    return msgspec.msgpack.encode(msgspec.structs.replace(taken, schema=cp.SCHEMA + 1))


BROKEN: dict[str, Callable[[bytes], bytes]] = {
    "another schema": _other_schema,
    "garbage": lambda blob: b"\x00garbage",
    "another shape": lambda blob: msgspec.msgpack.encode(["UTC", "print"]),
    "truncated": lambda blob: blob[: len(blob) // 2],
    # the stored form before the snapshot: Python's own object serialisation (this blob names os.system)
    "the old format": lambda blob: (
        b"\x80\x05\x95\x0e\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94."
    ),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_a_blob_of_another_schema_or_garbage_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    path, store = _ledger_with_checkpoint(tmp_path)
    newest = saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version())[0]
    blob = saved.part(store, newest, cp.STATE)
    assert blob is not None and cp.thaw_engine(blob, tz=store.timezone) is not None
    served = served_by_checkpoint(monkeypatch)
    full = msgspec.json.encode(load(path, None).tax_years(through=2026).years[2026])
    assert msgspec.json.encode(schedule_d(path, 2026, as_of=None)) == full and served == [True]  # the intact one serves
    bad = BROKEN[broken](blob)
    assert cp.thaw_engine(bad, tz=store.timezone) is None
    # with a matching digest, so the blob itself is what gets refused (issue #18 digests guard the bytes)
    store.conn.execute("UPDATE checkpoints SET state = ?, digest = ?", (bad, saved.digest(bad)))
    store.close()
    assert msgspec.json.encode(schedule_d(path, 2026, as_of=None)) == full  # by a full replay
    assert served == [True, False]


def test_a_snapshot_for_another_time_zone_is_ignored(tmp_path: Path) -> None:
    _, store = _ledger_with_checkpoint(tmp_path)
    newest = saved.usable(store, at_or_before=store.last_seq(), version=saved.code_version())[0]
    blob = saved.part(store, newest, cp.STATE)
    assert blob is not None
    assert cp.thaw_engine(blob, tz=ZoneInfo("America/New_York")) is None
    with pytest.raises(ValueError, match="^checkpoint made for time zone UTC, the ledger's is America/New_York$"):
        cp.restore(msgspec.msgpack.decode(blob, type=cp.EngineSnapshot), ZoneInfo("America/New_York"))
    with pytest.raises(ValueError, match=f"^checkpoint schema {cp.SCHEMA + 1}, this gainlog reads {cp.SCHEMA}$"):
        cp.restore(msgspec.msgpack.decode(_other_schema(blob), type=cp.EngineSnapshot), ZoneInfo("UTC"))


# ---------------------------------------------------------------- the code version


SPY_ON_FILES = """
import builtins, io, os, pathlib
opened = []
def spy(real):
    def wrapper(*args, **kwargs):
        opened.append(str(args[0]))
        return real(*args, **kwargs)
    return wrapper
builtins.open = spy(builtins.open)
io.open = spy(io.open)
os.open = spy(os.open)
for name in ("open", "read_bytes", "read_text"):
    setattr(pathlib.Path, name, spy(getattr(pathlib.Path, name)))
from gainlog.projections import checkpoint  # noqa: F401
from gainlog import projections
from gainlog.projections import year_checkpoint  # noqa: F401
from gainlog.projections import pipeline  # noqa: F401
from gainlog.ledger import checkpoints  # noqa: F401
from gainlog import ledger
print(opened)
"""


def test_importing_the_checkpoint_modules_reads_no_file() -> None:
    done = subprocess.run([sys.executable, "-c", SPY_ON_FILES], capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


class _Opened:
    """A spy on the files `ledger.checkpoints` opens (its module-level `open`)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        monkeypatch.setattr(saved, "open", self, raising=False)

    def __call__(self, path: str, mode: str = "r") -> Any:
        self.paths.append(Path(path))
        return open(path, mode)  # noqa: SIM115 (the caller closes it)


def test_the_code_version_is_computed_on_first_use_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # the first use in a process without the cache reads the sources; the next uses read nothing; a new
    # process (cache_clear) finds the digest by the sources' stat signature and reads none of them
    (REPO / saved.CACHE).unlink(missing_ok=True)
    monkeypatch.setattr(saved, "SETTLED_NS", 0)  # the worktree's files may be fresh: cache all the same
    opened = _Opened(monkeypatch)
    saved.code_version.cache_clear()
    first = saved.code_version()
    assert REPO / "projections" / "checkpoint.py" in opened.paths and REPO / "ledger" / "events.py" in opened.paths
    assert all(p.suffix == ".py" and p.relative_to(REPO).parts[0] in ("projections", "ledger") for p in opened.paths)
    count = len(opened.paths)
    assert saved.code_version() == first and len(opened.paths) == count  # once per process
    assert first.startswith(f"{saved.CODE_FORM}-") and len(first) == len(saved.CODE_FORM) + 17
    saved.code_version.cache_clear()
    assert saved.code_version() == first and len(opened.paths) == count  # the cache: no source read
    assert first == f"{saved.CODE_FORM}-{saved.source_digest(REPO)}"


def _sources(root: Path) -> Path:
    for folder in saved.CODE_FOLDERS:
        (root / folder / "rules").mkdir(parents=True)
        (root / folder / "rules" / "x.py").write_text("X = 1\n")
    return root / "projections" / "rules" / "x.py"


def test_an_edit_that_keeps_size_and_mtime_still_changes_the_cached_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the guarantee (any change of the sources retires checkpoints) through the cache: the ctime moves on
    # every write, whatever the size and mtime; a file replaced by another (a new inode) or added misses too
    import os
    import time

    monkeypatch.setattr(saved, "SETTLED_NS", 0)
    source = _sources(tmp_path)
    before = saved.cached_digest(tmp_path)
    assert before == saved.source_digest(tmp_path) and (tmp_path / saved.CACHE).exists()
    opened = _Opened(monkeypatch)
    assert saved.cached_digest(tmp_path) == before and opened.paths == []  # served by the stat signature
    stat = source.stat()
    time.sleep(0.05)  # past the file system's timestamp tick
    source.write_text("X = 2\n")
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (source.stat().st_size, source.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    edited = saved.cached_digest(tmp_path)
    assert edited != before and edited == saved.source_digest(tmp_path)
    replacement = tmp_path / "other.py"
    replacement.write_text("X = 3\n")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    replacement.replace(source)
    assert saved.cached_digest(tmp_path) == saved.source_digest(tmp_path) != edited
    (tmp_path / "ledger" / "new.py").write_text("")
    assert saved.cached_digest(tmp_path) == saved.source_digest(tmp_path)
    assert len({before, edited, saved.source_digest(tmp_path)}) == 3


def test_a_digest_of_sources_changed_just_now_is_not_cached(tmp_path: Path) -> None:
    # git's racy entries: an edit within the same clock tick as the signature could leave the stat as it was
    _sources(tmp_path)
    assert saved.cached_digest(tmp_path) == saved.source_digest(tmp_path)
    assert not (tmp_path / saved.CACHE).exists()


def test_a_damaged_cache_is_recomputed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(saved, "SETTLED_NS", 0)
    _sources(tmp_path)
    (tmp_path / saved.CACHE).parent.mkdir(parents=True)
    (tmp_path / saved.CACHE).write_text("{not json")
    assert saved.cached_digest(tmp_path) == saved.source_digest(tmp_path)
    assert msgspec.json.decode((tmp_path / saved.CACHE).read_bytes())["digest"] == saved.source_digest(tmp_path)


def test_the_code_version_follows_the_code(tmp_path: Path) -> None:
    for folder in saved.CODE_FOLDERS:
        (tmp_path / folder / "rules").mkdir(parents=True)
        (tmp_path / folder / "rules" / "x.py").write_text("X = 1\n")
    before = saved.source_digest(tmp_path)
    (tmp_path / "README.md").write_text("not code")
    assert saved.source_digest(tmp_path) == before
    (tmp_path / "projections" / "rules" / "x.py").write_text("X = 2\n")
    assert saved.source_digest(tmp_path) != before


# -- the shards' snapshots merged (issue #19) ----------------------------------------------------


def _names(record: Recorded) -> set[str]:
    event = record.event
    if isinstance(event, Swap):
        return {event.give_asset, event.get_asset}
    return {event.asset} if isinstance(event, TRADES) else set()  # type: ignore[union-attr]


def _shard_of(known: list[Recorded], assets: frozenset[str]) -> list[Recorded]:
    """What a shard reads (`Store.iter_read(assets=...)`): every event but the trades of other assets."""
    return [r for r in known if not isinstance(r.event, TRADES) or _names(r) & assets]


def _state(known: list[Recorded], tz: ZoneInfo, upto: set[int], assets: frozenset[str] | None) -> LotBookState:
    """The engine state after folding the trades of `known` whose seq is in `upto` (a shard's when `assets`)."""
    state = LotBookState(known, tz=tz)
    state.assets = assets
    for record in fold_order(known):
        if record.seq in upto:
            step(state, record)
    return state


def _on(snap: cp.EngineSnapshot, rest: list[Recorded], tz: ZoneInfo) -> Booked:
    """`snap` restored, the trades `rest` folded into it, finished."""
    state = cp.restore(snap, tz)
    for record in rest:
        step(state, record)
    return finish(state)


def _merged(known: list[Recorded], tz: ZoneInfo, shards: list[frozenset[str]], split: int
            ) -> tuple[cp.EngineSnapshot, cp.EngineSnapshot | None, list[Recorded], bool]:
    """The one-process snapshot after the first `split` trades, the shards' snapshots merged, the
    rest, and whether the shards had applied different numbers of pooling changes."""
    trades = fold_order(known)
    upto = {r.seq for r in trades[:split]}
    one = _state(known, tz, upto, None)
    whole = cp.snapshot(one)
    parts = [cp.snapshot(_state(_shard_of(known, shard), tz, upto, shard)) for shard in shards]
    via_bytes = cp.merge_engines([cp.freeze_engine(cp.restore(p, tz)) for p in parts], tz=tz)
    merged = cp.merge_snapshots(parts, tz=tz)
    assert (via_bytes is None) == (merged is None)
    assert via_bytes is None or msgspec.msgpack.decode(via_bytes, type=cp.EngineSnapshot) == merged
    if merged is None:  # one process has a pooling change still due, or its change reported a problem
        unshardable = any(p.code in UNSHARDABLE for p in one.problems)  # the replay would not shard
        assert whole.next_transition < len(one.transitions) or unshardable
    return whole, merged, trades[split:], len({p.next_transition for p in parts}) > 1


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger=generated(), data=st.data())
def test_merged_shard_snapshots_resume_to_the_one_process_fold(
    ledger: tuple[list[Recorded], ZoneInfo], data: st.DataObject
) -> None:
    known, tz = ledger
    assets = sorted({a for r in known for a in _names(r)})
    jobs = data.draw(st.integers(2, 4), label="jobs")
    home = data.draw(st.lists(st.integers(0, jobs - 1), min_size=len(assets), max_size=len(assets)), label="home")
    shards = [frozenset(a for a, h in zip(assets, home, strict=True) if h == i) for i in range(jobs)]
    trades = fold_order(known)
    late = next((i for i, r in enumerate(trades) if r.event.at.year >= 2025), len(trades))  # type: ignore[union-attr]
    after_2025 = st.integers(min(late + 1, len(trades)), len(trades))  # mostly a split with the change applied
    split = data.draw(st.one_of(after_2025, st.integers(0, len(trades))), label="split")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        whole, merged, rest, lagging = _merged(known, tz, shards, split)
        if merged is None:
            statistic("no merge: a pooling change still due, or one that reports a problem")
            return
        assert merged.next_transition == whole.next_transition
        assert {(p.asset, p.wallet) for p in merged.pools} == {(p.asset, p.wallet) for p in whole.pools}
        assert merged.holdings == whole.holdings and merged.scope_now == whole.scope_now
        assert sorted(merged.lot_keys) == sorted(whole.lot_keys)
        assert sorted(merged.allocation_used) == sorted(whole.allocation_used)
        statistic(f"merged {jobs} shards" + (", one brought up to the others' pooling changes" if lagging else ""))
        assert msgspec.json.encode(_on(merged, rest, tz)) == msgspec.json.encode(_on(whole, rest, tz))


def test_a_shard_whose_trades_stop_before_2025_gets_the_change_to_wallets() -> None:
    """BTC is last traded in 2024 (its shard has not applied the 2025 change: universal pool), ETH in
    2025 (applied): the merge splits BTC's universal lots to the wallets holding them, as one process
    did when ETH's 2025 trade came; a later BTC sale from wallet B takes B's lot (HIFO over the
    universal pool would have taken A's dearer one)."""
    lines: list[dict[str, Any]] = [
        {"type": "method", "method": "HIFO", "from": "2019-01-01"},
        {"type": "buy", "id": "a", "at": "2024-02-01", "wallet": "A", "asset": "BTC", "qty": "1", "price": "900"},
        {"type": "buy", "id": "b", "at": "2024-03-01", "wallet": "B", "asset": "BTC", "qty": "1", "price": "100"},
        {"type": "buy", "id": "e", "at": "2025-02-01", "wallet": "A", "asset": "ETH", "qty": "1", "price": "50"},
        {"type": "sell", "id": "s", "at": "2025-03-01", "wallet": "B", "asset": "BTC", "qty": "1", "price": "300"},
    ]
    known, tz = records(lines), ZoneInfo("UTC")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        whole, merged, rest, lagging = _merged(known, tz, [frozenset({"BTC"}), frozenset({"ETH"})], 3)
        assert lagging and merged is not None and merged.next_transition == whole.next_transition == 1
        assert sorted((p.asset, p.wallet) for p in merged.pools) == [("BTC", "A"), ("BTC", "B"), ("ETH", "A")]
        booked = _on(merged, rest, tz)
        assert msgspec.json.encode(booked) == msgspec.json.encode(_on(whole, rest, tz))
        assert [(s.lot, str(s.basis)) for s in booked.slices] == [("test:b", "100")]
        # every shard before the change (the log's last trade in 2024): no checkpoint to merge into
        _, none, _, _ = _merged(known, tz, [frozenset({"BTC"}), frozenset({"ETH"})], 2)
        assert none is None


def test_shards_that_disagree_on_an_asset_or_the_settings_do_not_merge() -> None:
    lines = [
        {"type": "buy", "id": "a", "at": "2025-02-01", "wallet": "A", "asset": "BTC", "qty": "1", "price": "9"},
        {"type": "method", "id": "m", "method": "HIFO", "from": "2019-01-01"},
    ]
    known, tz = records(lines), ZoneInfo("UTC")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        one = cp.snapshot(_state(known, tz, {1}, None))
        other = msgspec.structs.replace(one, holdings={"BTC": {"A": one.holdings["BTC"]["A"] + 1}}, pools=[])
        assert cp.merge_snapshots([one, other], tz=tz) is None  # one asset's holdings in two shards, different
        assert cp.merge_snapshots([one, msgspec.structs.replace(one, pools=[])], tz=tz) is not None  # the same
        assert cp.merge_snapshots([one, one], tz=tz) is None  # one pool in two shards
        assert cp.merge_snapshots([one, msgspec.structs.replace(one, settings_events=[], pools=[])], tz=tz) is None
        assert cp.merge_snapshots([one, msgspec.structs.replace(one, extended=True, pools=[])], tz=tz) is None
        assert cp.merge_engines([cp.freeze_engine(cp.restore(one, tz)), b"garbage"], tz=tz) is None
