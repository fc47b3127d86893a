"""Tamper evidence (issue #18, CONTRACT §4 "Integrity"): the full `verify` and the cheap check reports run.

`verify(store)` walks everything that can change a result and names the first bad place:
1. `meta`: the time zone and schema version against the genesis record (ledgers created since #18);
2. every event: seq contiguous from 1, the hash chain from the genesis record, the body re-validated
   through the codec's rules in its canonical form (a negative `qty` is refused), the indexed
   columns agree with the body, and the event's batch exists with the same source, recording time
   and a seq range holding it;
3. the batches: numbered 1, 2, ..., seq ranges contiguous from seq 1 to the head, recording times
   never decreasing, each file digest (since #12) NULL or a SHA-256 in lower-case hex, and each
   batch's skipped rows NULL or a JSON list of `{"line", "type", "reason"}`;
4. the append-only triggers: exactly gainlog's, with gainlog's SQL text (no-op triggers of the same
   names fail), and no other trigger on the ledger's tables;
5. the tags: each names a seq within the log that ends a batch and (since #18) the hash the chain
   has at that seq;
6. the `verified` record of the last full verify: the chain still has its hash at its seq (a chain
   rewritten and recomputed since then fails here);
7. `--head SEQ:HASH` when given: the chain's hash at SEQ is HASH (an anchor kept outside the file);
8. the checkpoints: each part matches its stored digest and the head it claims is the chain's.

`since_verify(store)` is the cheap version every report runs (a handful of indexed queries, no walk):
the triggers' SQL, the meta against the `verified` record, the hash at the verified seq, the tags'
hashes, and the newest rows' links and batch. What it cannot see is in docs/concepts.md.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

import msgspec

from . import chain, checkpoints, codec, schema
from .errors import ConcurrencyConflict, InvalidEvent
from .events import Retract, tag_of
from .store import Store

if TYPE_CHECKING:
    from .codec.fast_import import FastDecode

LEDGER_TABLES = ("events", "batches", "tags", "meta")


class Outcome(msgspec.Struct):
    """What a full verify found.

    Attributes:
        events: how many events the log holds.
        head_seq: the last seq of the log.
        head_hash: the chain's hash at the head (the genesis record for an empty log).
        problem: the first bad place and what is wrong there, or None when all is intact.
        broken_seq: the seq of the problem, when it is an event's.
        missing_triggers: names of gainlog's append-only triggers that are gone.
        notes: things that are fine but worth knowing (an older ledger's uncovered meta).
    """

    events: int = 0
    head_seq: int = 0
    head_hash: str = chain.GENESIS
    problem: str | None = None
    broken_seq: int | None = None
    missing_triggers: list[str] = msgspec.field(default_factory=list)
    notes: list[str] = msgspec.field(default_factory=list)

    def fail(self, problem: str, *, seq: int | None = None) -> None:
        """Keep the first problem only."""
        if self.problem is None:
            self.problem, self.broken_seq = problem, seq


def expected_triggers() -> dict[str, str]:
    """Trigger name -> the exact SQL text gainlog wrote."""
    return dict(zip(schema.guard_names(), schema.guards(), strict=True))


def parse_head(text: str) -> tuple[int, str]:
    """`SEQ:HASH` (as `tag` prints it) into its parts; InvalidEvent-free: UsageError on a bad shape."""
    from .errors import UsageError

    seq, _, digest = text.partition(":")
    digest = digest.strip().lower()
    if not seq.strip().isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise UsageError(f"--head {text!r}: expected SEQ:HASH, e.g. 42:{'0' * 64} (as `gainlog tag` prints it)")
    return int(seq), digest


def verify(store: Store, *, head: tuple[int, str] | None = None) -> Outcome:
    """Check everything listed in the module docstring; the first problem is `Outcome.problem`."""
    conn = store.conn
    out = Outcome()
    meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
    genesis = _check_meta(meta, out)
    seq_to_batch = {
        row[0]: row[1:] for row in conn.execute(
            "SELECT batch, source, recorded_at, first_seq, last_seq FROM batches ORDER BY batch"
        )
    }
    _walk(store, out, genesis=genesis, seq_to_batch=seq_to_batch)
    _check_batches(out, seq_to_batch)
    _check_digests(store, out)
    _check_triggers(conn, out)
    _check_tags(store, out, ends={0, *(info[3] for info in seq_to_batch.values())})
    _check_verified(store, meta, out)
    if head is not None:
        _check_head(store, out, head, option="--head")
    _check_checkpoints(store, out)
    return out


def record(store: Store, outcome: Outcome) -> bool:
    """Save what an intact `verify` saw as the `verified` meta record (reports compare against it);
    False when the file refuses the write (read-only): verify's answer stands anyway."""
    text = chain.verified_text(outcome.head_seq, outcome.head_hash, store.timezone_name, str(schema.SCHEMA_VERSION))
    try:
        with store.atomic():
            store.conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('verified', ?)", (text,))
    except (sqlite3.Error, ConcurrencyConflict):
        return False
    return True


# -- the steps of verify ------------------------------------------------------------------------


def _check_meta(meta: dict[str, str], out: Outcome) -> str:
    """The time zone and schema version against the genesis record; the hash seq 1 must chain from."""
    zone, version = meta.get("timezone"), meta.get("schema_version")
    if zone is None or version is None:
        out.fail("meta: the 'timezone' or 'schema_version' record is missing")
        return chain.GENESIS
    recorded = meta.get("genesis")
    if recorded is None:
        out.notes.append(
            "this ledger predates the genesis record: its time zone and schema version are not in the "
            "hash chain (a manifest from `report all` still covers them)"
        )
        return chain.GENESIS
    if recorded != chain.genesis(zone, version):
        out.fail(
            f"meta: the time zone {zone!r} and schema version {version} are not the ones the genesis "
            "record was made for: meta was edited behind gainlog's back"
        )
    return recorded


def _walk(store: Store, out: Outcome, *, genesis: str, seq_to_batch: dict[int, tuple[str, str, int, int]]) -> None:
    """Every event in seq order: chain, canonical valid body, columns, batch."""
    prev, expected = genesis, 1
    rows = store.conn.execute(
        "SELECT seq, key, source, batch, recorded_at, type, target, CAST(body AS BLOB), prev_hash, hash"
        " FROM events ORDER BY seq"
    )
    tz = store.timezone
    decode_fast = codec.fast_decoder()  # bound once (`codec.decode_fast` binds it at every call)
    for seq, key, source, batch, recorded, kind, target, body, prev_hash, digest in rows:
        out.events += 1
        if out.problem is not None:
            continue  # count the rest
        if seq != expected:
            at = expected if seq > expected else seq
            out.fail(f"hash chain broken at seq {at}: seq {expected} is missing from the log", seq=at)
            continue
        text = body.decode("utf-8", "replace")
        if prev_hash != prev or chain.link(prev, seq, key, source, batch, recorded, text) != digest:
            what = "does not chain from the genesis record" if seq == 1 and prev_hash != prev else "was edited"
            out.fail(
                f"hash chain broken at seq {seq}: the log was edited behind gainlog's back (seq {seq} {what})",
                seq=seq,
            )
            continue
        problem = _body_problem(body, kind, target, tz=tz, where=f"seq {seq}", decode_fast=decode_fast)
        if problem is not None:
            out.fail(problem, seq=seq)
            continue
        info = seq_to_batch.get(batch)
        if info is None:
            out.fail(f"seq {seq}: its batch {batch} has no row in batches", seq=seq)
        elif info[0] != source or info[1] != recorded or not (info[2] or 0) <= seq <= (info[3] or 0):
            out.fail(
                f"batch {batch}: its source, recorded_at or seq range ({info[2]}-{info[3]}) disagree "
                f"with seq {seq}, which the chain covers",
                seq=seq,
            )
        prev, expected = digest, expected + 1
        out.head_seq, out.head_hash = seq, digest
    if out.head_seq == 0:
        out.head_hash = genesis


def _body_problem(
    body: bytes, kind: str, target: str | None, *, tz: object, where: str, decode_fast: FastDecode
) -> str | None:
    """Why a stored body is not a valid canonical event of its columns, or None.

    A body the import's fast path takes as it is (most of a log) is a valid canonical event of the
    type it names (`Decoded.tag`), a type without a target (a retraction never takes the fast path):
    its columns are checked against that, not against a second decode of the body (which was a
    sixth of `verify`'s time).
    """
    fast = decode_fast(body)
    if fast is not None and fast.body == body:
        return None if fast.tag == kind and target is None else f"{where}: {_COLUMNS_DISAGREE}"
    try:
        event = codec.decode_line(body, tz=tz, where=where)  # type: ignore[arg-type]
    except InvalidEvent as exc:
        return f"{exc} (a stored event the event rules refuse)"
    if codec.canonical_body(event) != body:
        return f"{where}: the stored body is not in canonical form"
    try:
        event = codec.decode_body(body)
    except msgspec.DecodeError:
        return f"{where}: the stored body does not decode"
    if tag_of(event) != kind or (event.target if isinstance(event, Retract) else None) != target:
        return f"{where}: {_COLUMNS_DISAGREE}"
    return None


_COLUMNS_DISAGREE = "the type/target columns disagree with the body"


def _check_batches(out: Outcome, seq_to_batch: dict[int, tuple[str, str, int, int]]) -> None:
    """Batches 1, 2, ... cover seq 1 to the head without gap or overlap, in recording order."""
    last_seq, last_time = 0, ""
    for number, (batch, (_, recorded, first, last)) in enumerate(sorted(seq_to_batch.items()), 1):
        if batch != number:
            out.fail(f"batch {number}: missing from batches (the next is batch {batch})")
            return
        if first != last_seq + 1 or last is None or last < first:
            out.fail(f"batch {batch}: its seqs {first}-{last} do not follow seq {last_seq}")
            return
        if recorded is None or recorded < last_time:
            out.fail(f"batch {batch}: recorded_at {recorded} is before the previous batch's {last_time}")
            return
        last_seq, last_time = last, recorded
    if last_seq != out.head_seq and out.problem is None:
        out.fail(
            f"batch {len(seq_to_batch)}: the batches end at seq {last_seq} but the log at seq {out.head_seq}",
            seq=min(last_seq, out.head_seq) + 1,
        )


def _check_digests(store: Store, out: Outcome) -> None:
    """Each batch's file digest (issue #12) is NULL or 64 lower-case hex digits: the duplicate-file
    check compares them, so an edited one could let a file in twice, or refuse a new one."""
    if not store.batches_have_digest():
        return
    row = store.conn.execute(
        "SELECT batch, digest FROM batches WHERE digest IS NOT NULL AND (typeof(digest) != 'text'"
        " OR length(digest) != 64 OR digest GLOB '*[^0-9a-f]*') ORDER BY batch LIMIT 1"
    ).fetchone()
    if row is not None:
        out.fail(f"batch {row[0]}: its file digest {str(row[1])[:80]!r} is not a SHA-256 (64 hex digits)")
    _check_skipped(store, out)


SKIPPED_KEYS = ("line", "reason", "type")


def _check_skipped(store: Store, out: Outcome) -> None:
    """Each batch's skipped rows (issue #12) are NULL or a JSON list of `{"line", "type", "reason"}`
    strings: `log --batches` shows them as what the import left out."""
    if not store.batches_have_skipped():
        return
    for batch, text in store.conn.execute("SELECT batch, skipped FROM batches WHERE skipped IS NOT NULL"):
        try:
            rows = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            rows = None
        if not isinstance(rows, list) or not rows or not all(
            isinstance(r, dict) and sorted(r) == list(SKIPPED_KEYS) and all(isinstance(v, str) for v in r.values())
            for r in rows
        ):
            out.fail(f"batch {batch}: its skipped rows {str(text)[:80]!r} are not a list of "
                     '{"line", "type", "reason"} (edited behind gainlog\'s back)')
            return


def _check_triggers(conn: sqlite3.Connection, out: Outcome) -> None:
    problem, missing = trigger_problem(conn)
    out.missing_triggers = missing
    if problem is not None:
        out.fail(problem)


def trigger_problem(conn: sqlite3.Connection) -> tuple[str | None, list[str]]:
    """The first trigger that is not exactly gainlog's (and the names of those missing), from sqlite_master."""
    placeholders = ", ".join("?" * len(LEDGER_TABLES))
    present = dict(
        conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({placeholders})",
            LEDGER_TABLES,
        ).fetchall()
    )
    expected = expected_triggers()
    missing = [name for name in expected if name not in present]
    if missing:
        return f"append-only trigger(s) missing: {', '.join(missing)}", missing
    for name, sql in expected.items():
        if present[name] != sql:
            return f"trigger {name}: its SQL is not gainlog's (replaced behind gainlog's back): {present[name]!r}", []
    for name in present:
        if name not in expected:
            return f"trigger {name}: not one of gainlog's (a trigger on the ledger's tables can change it)", []
    return None, []


def _check_tags(store: Store, out: Outcome, *, ends: set[int]) -> None:
    """Each tag names a seq within the log that ends a batch (a tag names the head when it is made)
    and, since #18, the chain's hash there."""
    with_hash = store.tags_have_hash()
    columns = "name, seq, hash" if with_hash else "name, seq, NULL"
    legacy = 0
    for name, seq, digest in store.conn.execute(f"SELECT {columns} FROM tags ORDER BY recorded_at, name"):
        if not isinstance(seq, int) or seq < 0 or seq > out.head_seq:
            out.fail(f"tag {name!r}: names seq {seq}, but the log ends at seq {out.head_seq}")
            return
        actual = store.hash_at(seq)
        if digest is not None and actual != digest:
            out.fail(f"tag {name!r}: names seq {seq} with hash {digest}, but the chain has {actual} there")
            return
        if seq not in ends:
            out.fail(f"tag {name!r}: names seq {seq}, inside a batch: a tag can only name the head, the end of a batch")
            return
        legacy += digest is None
    if legacy:
        out.notes.append(f"{legacy} tag(s) made before tags kept their head's hash: only their seq is checked")


def _check_verified(store: Store, meta: dict[str, str], out: Outcome) -> None:
    state = _verified(meta)
    if state is None:
        if "genesis" in meta:  # a ledger made since #18 has had one from `init` on
            out.fail("meta: the 'verified' record (what the last verify saw) is missing: deleted behind gainlog's back")
        return
    seq, digest = state["seq"], state["hash"]
    if seq > out.head_seq:
        out.fail(f"seq {out.head_seq + 1}: the log ends at seq {out.head_seq}, but the last verify saw it up to "
                 f"seq {seq}: events were removed", seq=out.head_seq + 1)
        return
    try:
        actual = store.hash_at(seq)
    except KeyError:
        actual = ""
    if actual != digest:
        out.fail(f"seq {seq}: its hash is not the one the last verify recorded ({digest}): the chain was "
                 "rewritten since", seq=seq)


def _check_head(store: Store, out: Outcome, head: tuple[int, str], *, option: str) -> None:
    seq, digest = head
    if seq > out.head_seq:
        out.fail(f"{option}: seq {seq} is past the log's end (seq {out.head_seq}): events were removed")
        return
    actual = store.hash_at(seq)
    if actual != digest:
        out.fail(f"{option}: the chain's hash at seq {seq} is {actual}, not {digest}: the log up to seq {seq} "
                 "was changed (and its chain recomputed)", seq=seq)


def check_anchor(store: Store, out: Outcome, seq: int, digest: str, *, option: str) -> None:
    """`verify --manifest`: the manifest's seq and head against the chain."""
    _check_head(store, out, (seq, digest), option=option)


def _check_checkpoints(store: Store, out: Outcome) -> None:
    problem, note = checkpoints.verify(store)
    if problem is not None:
        out.fail(problem)
    if note is not None:
        out.notes.append(note)


def _verified(meta: dict[str, str]) -> dict[str, Any] | None:
    text = meta.get("verified")
    if text is None:
        return None
    try:
        state = json.loads(text)
        if isinstance(state.get("seq"), int) and isinstance(state.get("hash"), str):
            return state  # type: ignore[no-any-return]
    except (ValueError, AttributeError):
        pass
    return {"seq": -1, "hash": ""}  # unreadable: counts as changed


# -- the cheap check reports run ---------------------------------------------------------------


class Drift(msgspec.Struct, frozen=True):
    """What `since_verify` found.

    Attributes:
        change: a sentence saying what changed since the last verify, or None.
        verified: whether the ledger has a `verified` record at all.
    """

    change: str | None
    verified: bool


def since_verify(store: Store) -> Drift:
    """Whether the log is still the one the last full `verify` saw, by a few indexed queries.

    Appends made by gainlog since then are not a change: only the prefix up to the verified seq is
    compared (its hash), plus the triggers, the meta, the tags and the newest rows' links.
    """
    conn = store.conn
    problem, _ = trigger_problem(conn)
    if problem is not None:
        return Drift(problem, verified=True)
    meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
    state = _verified(meta)
    if state is None:
        if "genesis" in meta:  # a ledger made since #18 has had one from `init` on
            return Drift("the record of the last verify is missing", True)
        return Drift(None, verified=False)
    zone, version = meta.get("timezone"), meta.get("schema_version")
    if (state.get("timezone"), state.get("schema_version")) != (zone, version):
        return Drift(f"the time zone or schema version is not the one verified ({state.get('timezone')!r})", True)
    if "genesis" in meta and meta["genesis"] != chain.genesis(str(zone), str(version)):
        return Drift("meta does not match its genesis record", True)
    seq, digest = state["seq"], state["hash"]
    try:
        actual = store.hash_at(int(seq))
    except (KeyError, ValueError, TypeError):
        return Drift(f"seq {seq}, which the last verify saw, is gone", True)
    if actual != digest:
        return Drift(f"the hash at seq {seq} is not the one the last verify recorded", True)
    head = conn.execute("SELECT seq, prev_hash, batch FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    if head is not None:
        head_seq, prev_hash, batch = head
        if head_seq > int(seq):
            try:
                before = store.hash_at(head_seq - 1)
            except KeyError:
                before = ""
            if before != prev_hash:
                return Drift(f"seq {head_seq} does not chain from seq {head_seq - 1}", True)
        last = conn.execute("SELECT batch, last_seq FROM batches ORDER BY batch DESC LIMIT 1").fetchone()
        if last is None or tuple(last) != (batch, head_seq):
            return Drift(f"seq {head_seq} is not the end of the last batch", True)
    if store.tags_have_hash():
        row = conn.execute(
            "SELECT t.name FROM tags t LEFT JOIN events e ON e.seq = t.seq"
            " WHERE t.hash IS NOT NULL AND t.seq > 0 AND e.hash IS NOT t.hash LIMIT 1"
        ).fetchone()
        if row is not None:
            return Drift(f"tag {row[0]!r} no longer names the hash it was made for", True)
    return Drift(None, verified=True)


def backup(store: Store, path: object) -> None:
    """A consistent copy of the ledger at `path` through SQLite's online backup API: it reads through
    the connection, so committed events still in the `-wal` file are copied too."""
    target = sqlite3.connect(str(path))
    try:
        store.conn.backup(target)
    finally:
        target.close()
