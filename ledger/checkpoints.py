"""The store side of checkpoints: saved projection states in the ledger's own SQLite file (issue #7).

`checkpoints(seq, hash, version, horizon, created_at, state)` and `checkpoint_parts(version, seq, name,
blob)` are a cache, not part of the log: no append-only triggers, `verify` never reads them, and
dropping them only makes the next report replay in full. The tables are created when the first
checkpoint is saved. A row counts only while `hash` still equals the events' hash at `seq` (a rebuilt
file makes it stale) and its `version` is the running projection code's (`code_version`, computed here
on first use, so that projections/ reads no file and no import pays for it). A checkpoint is stored in
named parts (the lot engine's state, each year's Schedule D totals); what they mean is the
projections' business (projections.checkpoint, projections.year_checkpoint), here they are opaque
blobs. The part named `STATE_PART` is the `state` column.

Since issue #18 every part carries the SHA-256 of its bytes (`digest` columns): a part whose bytes no
longer match is never used, and `verify` names it, as it names a checkpoint whose `hash` is not the
chain's at its seq (the log was rewritten). Tables saved by an older gainlog (no `digest`) are
ignored by reports and dropped by the next save: a cache costs only a replay.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import sqlite3
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from . import chain
from .errors import ConcurrencyConflict

if TYPE_CHECKING:
    from .store import Store

TABLE = "checkpoints"
PARTS = "checkpoint_parts"
STATE_PART = "state"
CODE_FORM = "2"  # bump by hand to retire every stored checkpoint without a source change
CODE_FOLDERS = ("projections", "ledger")  # the code a fold (and the events it reads) depends on


CACHE = Path("ledger", "__pycache__", "code-version.json")  # under the code's root: the digest of its sources
SETTLED_NS = 2_000_000_000  # a source changed less than this long ago is too fresh to cache its digest by


class _Cached(msgspec.Struct, frozen=True):
    """What `CACHE` holds: the sources' stat signature and the `source_digest` they had then."""

    signature: str
    digest: str


@functools.cache
def code_version() -> str:
    """The version checkpoints are saved and looked up under: `CODE_FORM` plus a digest of every
    module of the fold's code (`source_digest`), so any change retires old checkpoints. Computed on
    first use (a checkpoint read or written), then kept for the process; across processes the digest
    is found again by the sources' stat signature (`cached_digest`), without reading them."""
    return f"{CODE_FORM}-{cached_digest(Path(__file__).resolve().parent.parent)}"


def cached_digest(root: Path) -> str:
    """`source_digest(root)`, read from `root / CACHE` while the sources' stat signature is the one it was
    computed under; else computed and saved there (when the directory is writable). The signature holds
    each `.py` file's path, size, inode, mtime and ctime (which no edit can keep: even one that restores
    size and mtime sets the ctime), the Python minor version and msgspec's version, so any change of a
    source misses and recomputes. It is taken before the files are read (an edit in between only misses
    next time), and a digest is not saved while a source changed within `SETTLED_NS` of now (an edit in
    the same clock tick could leave the stat unchanged: git's "racy" index entries)."""
    cache = root / CACHE
    files = _sources(root)
    now, stats = time.time_ns(), [os.stat(path) for _, path in files]
    signature = hashlib.sha256(repr((_VERSIONS, [
        (name, st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
        for (name, _), st in zip(files, stats, strict=True)
    ])).encode()).hexdigest()
    try:
        cached = msgspec.json.decode(cache.read_bytes(), type=_Cached)
    except (OSError, msgspec.DecodeError):
        cached = None
    if cached is not None and cached.signature == signature:
        return cached.digest
    digest = _digest(files)
    if all(now - max(st.st_mtime_ns, st.st_ctime_ns) >= SETTLED_NS for st in stats):
        temporary = cache.with_name(f"{cache.name}.{os.getpid()}")
        try:
            cache.parent.mkdir(exist_ok=True)
            temporary.write_bytes(msgspec.json.encode(_Cached(signature, digest)))
            os.replace(temporary, cache)  # atomic: a concurrent command reads the old file or this one
        except OSError:  # a read-only install: computed each time, as before
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
    return digest


_VERSIONS = f"{sys.version_info[:2]} msgspec {msgspec.__version__}"


def source_digest(root: Path) -> str:
    """A digest of the `.py` files under `root`'s `CODE_FOLDERS` (names and contents), the Python
    minor version and msgspec's version."""
    return _digest(_sources(root))


def _digest(files: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256(_VERSIONS.encode())
    for name, path in files:
        digest.update(name.encode())
        with open(path, "rb") as source:
            digest.update(source.read())
    return digest.hexdigest()[:16]


def _sources(root: Path) -> list[tuple[str, str]]:
    """(path relative to `root` in POSIX form, path) of every `.py` file under `CODE_FOLDERS`, sorted by
    the relative path's parts (plain strings: this runs on every first checkpoint use)."""
    found: list[tuple[str, str]] = []
    top = str(root)
    for folder in CODE_FOLDERS:
        for directory, subdirectories, names in os.walk(os.path.join(top, folder)):
            subdirectories[:] = [d for d in subdirectories if d != "__pycache__"]
            relative = os.path.relpath(directory, top).replace(os.sep, "/")
            found += [(f"{relative}/{n}", os.path.join(directory, n)) for n in names if n.endswith(".py")]
    return sorted(found, key=lambda item: item[0].split("/"))


def _create(store: Store) -> None:
    """The two cache tables, when missing, inside the caller's transaction (sqlite-utils only when
    they are made: a `report all` after an append saves into existing ones)."""
    if _exists(store):
        if _has_digests(store):
            return  # both there (plain SQL: sqlite-utils' import would cost a save after an append more)
        _drop(store)  # saved by a gainlog before issue #18
    db = store.db
    db.table(TABLE).create(
        {"seq": int, "hash": str, "version": str, "horizon": str, "created_at": str, "state": bytes, "digest": str},
        pk=("version", "seq"), not_null={"seq", "hash", "version", "horizon", "created_at", "state", "digest"},
        if_not_exists=True,
    )
    db.table(PARTS).create(
        {"version": str, "seq": int, "name": str, "blob": bytes, "digest": str},
        pk=("version", "seq", "name"), not_null={"version", "seq", "name", "blob", "digest"}, if_not_exists=True,
    )


def _has_digests(store: Store) -> bool:
    """Whether both cache tables have their `digest` column (issue #18)."""
    for table in (TABLE, PARTS):
        if not any(row[1] == "digest" for row in store.conn.execute(f'PRAGMA table_info("{table}")')):
            return False
    return True


def digest(blob: bytes) -> str:
    """A part's digest."""
    return hashlib.sha256(blob).hexdigest()


class Checkpoint(msgspec.Struct, frozen=True):
    """One saved state's key (the blob is read separately: it can be hundreds of MB).

    Attributes:
        seq: the log position the state covers (every event up to it).
        hash: the events' hash at `seq` when it was saved.
        version: the projection code that made it.
        horizon: the event-time horizon of the state, in the projections' text form.
        created_at: when it was saved (UTC, RFC 3339).
    """

    seq: int
    hash: str
    version: str
    horizon: str
    created_at: str


def _exists(store: Store) -> bool:
    row = store.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone()
    return row is not None  # plain SQL: a report asks this on every run, sqlite-utils' import costs more


def usable(store: Store, *, at_or_before: int, version: str) -> list[Checkpoint]:
    """The checkpoints of `version` at or before seq `at_or_before` whose hash still matches the log, newest first."""
    if not _exists(store):
        return []
    try:
        rows = store.conn.execute(
            f"SELECT c.seq, c.hash, c.version, c.horizon, c.created_at FROM {TABLE} c"
            " JOIN events e ON e.seq = c.seq AND e.hash = c.hash"
            " WHERE c.version = ? AND c.seq <= ? AND c.digest IS NOT NULL ORDER BY c.seq DESC",
            (version, at_or_before),
        ).fetchall()
    except sqlite3.OperationalError:  # no digest column: saved by a gainlog before issue #18
        return []
    return [Checkpoint(*row) for row in rows]


def part(store: Store, checkpoint: Checkpoint, name: str) -> bytes | None:
    """One saved part of `checkpoint` (None if it was not saved, or vanished meanwhile)."""
    if name == STATE_PART:
        query = f"SELECT state, digest FROM {TABLE} WHERE version = ? AND seq = ? AND hash = ?"
        args: tuple[object, ...] = (checkpoint.version, checkpoint.seq, checkpoint.hash)
    else:
        query = (f"SELECT p.blob, p.digest FROM {PARTS} p JOIN {TABLE} c ON c.version = p.version AND c.seq = p.seq"
                 " WHERE p.version = ? AND p.seq = ? AND c.hash = ? AND p.name = ?")
        args = (checkpoint.version, checkpoint.seq, checkpoint.hash, name)
    try:
        row = store.conn.execute(query, args).fetchone()
    except sqlite3.OperationalError:  # no parts table: a file checkpointed by an older gainlog
        return None
    if row is None or digest(bytes(row[0])) != row[1]:
        return None  # gone, or edited behind gainlog's back (`verify` names it)
    return bytes(row[0])


def has_part(store: Store, checkpoint: Checkpoint, name: str) -> bool:
    """Whether `checkpoint` was saved with the part `name` (not read: `part` reads and checks it)."""
    query = f"SELECT 1 FROM {PARTS} WHERE version = ? AND seq = ? AND name = ?"
    try:
        return store.conn.execute(query, (checkpoint.version, checkpoint.seq, name)).fetchone() is not None
    except sqlite3.OperationalError:  # no parts table: a file checkpointed by an older gainlog
        return False


def save(
    store: Store, seq: int, hash: str, version: str, horizon: str, state: bytes,
    more: Iterable[tuple[str, bytes]] = (), *, keep: int = 2, also: int | None = None,
) -> bool:
    """Save a checkpoint for `seq`: its `state` part and the (name, bytes) parts of `more` (written as
    they are produced), then prune to the `keep` newest and the one at seq `also`; False when the
    file refused the write (read-only, locked): a cache that cannot be written is simply not used."""
    conn = store.conn
    try:
        with store.atomic():
            _create(store)
            conn.execute(
                f"INSERT OR REPLACE INTO {TABLE} (seq, hash, version, horizon, created_at, state, digest)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (seq, hash, version, horizon, chain.time_text(datetime.now(UTC)), state, digest(state)),
            )
            conn.execute(f"DELETE FROM {PARTS} WHERE version = ? AND seq = ?", (version, seq))
            for name, blob in more:
                conn.execute(f"INSERT INTO {PARTS} (version, seq, name, blob, digest) VALUES (?, ?, ?, ?, ?)",
                             (version, seq, name, blob, digest(blob)))
            conn.execute(
                f"DELETE FROM {TABLE} WHERE rowid NOT IN"
                f" (SELECT rowid FROM {TABLE} WHERE version = ? ORDER BY seq DESC LIMIT ?)"
                " AND NOT (version = ? AND seq IS ?)",
                (version, keep, version, also),
            )
            conn.execute(
                f"DELETE FROM {PARTS} WHERE NOT EXISTS"
                f" (SELECT 1 FROM {TABLE} c WHERE c.version = {PARTS}.version AND c.seq = {PARTS}.seq)"
            )
    except (sqlite3.Error, ConcurrencyConflict):
        return False
    return True


def hash_at(store: Store, seq: int) -> str | None:
    """The events' hash at `seq` (None past the head)."""
    row = store.conn.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else str(row[0])


def clear(store: Store) -> int:
    """Drop every checkpoint; how many there were."""
    if not _exists(store):
        return 0
    with store.atomic():
        return _drop(store)


def _drop(store: Store) -> int:
    """Drop both cache tables (inside the caller's transaction); how many checkpoints there were."""
    count = int(store.conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])
    store.db.table(TABLE).drop()
    store.db.table(PARTS).drop(ignore=True)
    return count


def verify(store: Store) -> tuple[str | None, str | None]:
    """`gainlog verify`'s look at the checkpoints: the first whose bytes do not match their digests or
    whose claimed head is not the chain's hash at its seq (as a sentence), and a note, or None."""
    if not _exists(store):
        return None, None
    if not _has_digests(store):
        return None, "checkpoints saved by an older gainlog are ignored (no digests); `gainlog checkpoint` remakes them"
    conn = store.conn
    rows = conn.execute(f"SELECT c.seq, c.hash, c.version, c.state, c.digest, e.hash FROM {TABLE} c"
                        " LEFT JOIN events e ON e.seq = c.seq ORDER BY c.seq, c.version")
    for seq, claimed, version, state, stored, actual in rows:
        where = f"checkpoint at seq {seq}"
        if actual != claimed:
            return f"{where}: claims the chain's hash {claimed} there, but the chain has {actual}", None
        if digest(bytes(state)) != stored:
            return f"{where}: its engine state does not match its digest (edited behind gainlog's back)", None
        parts = conn.execute(f"SELECT name, blob, digest FROM {PARTS} WHERE version = ? AND seq = ? ORDER BY name",
                             (version, seq))
        for name, blob, part_digest in parts:
            if digest(bytes(blob)) != part_digest:
                return f"{where}: its part {name!r} does not match its digest (edited behind gainlog's back)", None
    return None, None
