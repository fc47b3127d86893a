"""The checkpoint's stored form is an explicit msgspec value (projections.checkpoint `EngineSnapshot`).

A lot engine state taken after any number of trades of a generated ledger, through `snapshot`, the
msgpack bytes and back through the typed decoder and `restore`, resumes to exactly what one fold of
the whole ledger gives (STYLE.md 23: the same fold). A blob of another `schema`, or one that does
not decode, is ignored and the report replays. The code version that keys checkpoints is computed
outside projections/, on first use: importing the projections reads no file.
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
from gainlog.ledger.events import Recorded
from gainlog.ledger.store import Store
from gainlog.projections import checkpoint as cp
from gainlog.projections.engine import PRECISION, LotBookState, book, finish, fold_order, step
from gainlog.projections.model import Booked
from helpers import R_E5, records, served_by_checkpoint
from hypothesis import HealthCheck, given, settings
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
