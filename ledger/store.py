"""The event store: one SQLite file holding the append-only, hash-chained log (issue #2, CONTRACT §1-2).

Every event gets a global gap-free `seq`, a stable `key` (`ledger.identity`), the `source` it came
from, the `batch` (= one transaction: an import or an `add`), `recorded_at` (the batch's commit
time, never decreasing along seq) and a chained `hash` (`ledger.chain`). Each write runs inside
`Store.atomic()` (`BEGIN IMMEDIATE ... COMMIT`, the one write transaction of the ledger): concurrent
writers queue on SQLite's write lock (each waits up to `Store.wait` seconds, default 30, then
ConcurrencyConflict), read the head under that lock, and so never lose, duplicate or reorder an
event; a process killed mid-import leaves nothing of its batch (WAL rollback).

What a write appends (duplicates, conflicts, `--replace` retractions, the corrected-export warning)
is decided by `ledger.write_plan.plan`, without SQLite; the store reads what the plan needs, checks
it against the log and appends.

Nothing is updated or deleted: triggers refuse it, and a correction is a `retract` event. The
projections replay `read()`; `resolve()` turns an `--as-of` knowledge point into a seq.

Duplicates across sources (issue #12): an import keeps the SHA-256 of its file in its batch row. A
file whose digest a batch of another source already has, with events still live, is refused
(DuplicateEvent, naming that source and batch) unless `force`; the same file under the same source
adds nothing, as before (its events are duplicates by key). New events whose `txid` is already on a
live event of another source are imported, and listed as `likely_duplicates` with a warning.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import msgspec

from . import chain, codec, identity, schema
from .errors import (
    ConcurrencyConflict,
    DuplicateEvent,
    GainlogError,
    IntegrityViolation,
    InvalidEvent,
    LedgerNotFound,
    UnknownKnowledgePoint,
    UnusableLedger,
    UsageError,
)
from .events import Event, Recorded, Retract, tag_of
from .speed import gc_paused
from .transaction import DEFAULT_WAIT, LedgerFile, OnWait

if TYPE_CHECKING:
    import sqlite_utils

    # the write side's planning and reading of files, imported where used (a report needs neither)
    from .importer import Parsed, Progress
    from .write_plan import Item as _Item
    from .write_plan import LikelyDuplicate, Stored

# Called inside the import's transaction with the batch's new records (read back); it may read the
# whole would-be log with `store.read()`, and raising aborts the import. A check that only cares about
# some events may have a method `needs(facts: Iterable[codec.Decoded]) -> bool`: when it says False for
# the new events, the batch is not read back and the check is not called (`api.checks.LotReferences`).
Check = Callable[[list[Recorded]], None]
MAX_SEQ = 2**62
# A batch's rows share `source`, `batch` and `recorded_at`: they are written into the statement as
# literals (`_sql_text`), bound once, not once per row. `target` travels as "" for every event but a
# retraction (whose target is a key, never empty) and is stored as NULL by `nullif`: a None parameter
# costs the sqlite3 module two failed attribute lookups (its adaptation protocol) per row.
_INSERT = "INSERT INTO events (seq, key, source, batch, recorded_at, type, target, body, prev_hash, hash) VALUES "
_ROW = "(?, ?, {source}, {batch:d}, {recorded}, ?, nullif(?, ''), ?, ?, ?)"
_ROW_WIDTH = 7  # the parameters of one `_ROW` (`_chained`)
# Rows per INSERT statement (`_insert_rows`): each step of a statement costs the sqlite3 module and
# SQLite a fixed toll (a lock, the GIL let go and taken back, a reset); fifty rows a statement make
# the inserts of a 20,000-line import about a sixth cheaper, and stay far below SQLite's limit of
# bound parameters (999 in old builds).
ROWS_PER_INSERT = 50
_CONTROL = re.compile(r"[\x00-\x1f]")
# An item's facts, type and class, read in C: the checks that look at every item of a large import
# for the few that matter (a retraction, a class, a sell naming lots) run at C speed.
_FACTS, _TAG, _CLASS = attrgetter("facts"), attrgetter("facts.tag"), attrgetter("facts.class_")
_KEY = attrgetter("key")
_LIVE = "NOT EXISTS (SELECT 1 FROM events r WHERE r.target = e.key AND r.seq > e.seq AND r.type = 'retract')"


class ImportResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one write did.

    Attributes:
        source: the source written to.
        batch: the batch number, or None when nothing was appended.
        added: keys of the events appended (in seq order, retractions excluded).
        duplicates: keys already live with the same body: nothing appended for them.
        retracted: keys of the live events this write retracted (`--replace`).
        warnings: sentences for the user (e.g. a corrected export imported without `--replace`).
        first_seq: seq of the first appended event.
        last_seq: seq of the last appended event.
        digest: the SHA-256 of the imported file (None for `add` and `import_events` without one).
        likely_duplicates: new events whose `txid` another source already has live.
    """

    source: str
    batch: int | None = None
    added: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()
    retracted: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    first_seq: int | None = None
    last_seq: int | None = None
    digest: str | None = None
    likely_duplicates: tuple[LikelyDuplicate, ...] = ()


class Tag(msgspec.Struct, frozen=True):
    """A named knowledge point."""

    name: str
    seq: int
    recorded_at: str


class Batch(msgspec.Struct, frozen=True):
    """One batch (an import or an `add`: one transaction), as `gainlog log --batches` lists it.

    Attributes:
        batch: its number, from 1.
        source: the source it wrote under.
        origin: the file it read (or `add`, `retract`, `transfers`).
        recorded_at: its commit time.
        first_seq: its first seq.
        last_seq: its last seq.
        digest: the SHA-256 of the file read (None for `add` and older ledgers).
        skipped: the export's rows that became no event, each `{"line", "type", "reason"}`.
    """

    batch: int
    source: str
    origin: str
    recorded_at: str
    first_seq: int
    last_seq: int
    digest: str | None
    skipped: list[dict[str, str]]


ASSET_TYPES = (  # the events of one asset (or a swap's two): what a shard of a parallel replay reads of its assets
    "buy", "sell", "swap", "transfer", "withdrawal", "deposit", "fee", "income", "split", "rename", "reorg",
    "gift_in", "gift_out", "donate", "lost", "worthless",
)


class Store(LedgerFile):
    """One ledger file. Use `Store.create` / `Store.open`, and `close()` (or `with`); every write
    inside `atomic()` (`ledger.transaction.LedgerFile`)."""

    def __init__(self, path: Path, conn: sqlite3.Connection, tz_name: str) -> None:
        super().__init__(path, conn)
        self._tz_name = tz_name
        self._tz = ZoneInfo(tz_name)
        # the first event's prev_hash: the genesis record (issue #18), or 64 zeros in an older ledger
        self.genesis = chain.GENESIS

    @property
    def db(self) -> sqlite_utils.Database:
        """The same connection as a sqlite-utils Database (imported on first use: start-up time)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, *, timezone: str = "UTC") -> Store:
        """A new, empty ledger at `path` whose dates are taken in `timezone` (an IANA name)."""
        path = Path(path)
        store = cls(path, schema.create_file(path, timezone=timezone), timezone).set_wait(DEFAULT_WAIT)
        store.genesis = chain.genesis(timezone, str(schema.SCHEMA_VERSION))
        return store

    def set_wait(self, seconds: float, *, on_wait: OnWait | None = None) -> Store:
        """`LedgerFile.set_wait`: at most `seconds` for another writer's lock; returns self."""
        super().set_wait(seconds, on_wait=on_wait)
        return self

    @classmethod
    def open(cls, path: Path) -> Store:
        """The ledger at `path`; LedgerNotFound when there is none."""
        path = Path(path)
        hint = "run `gainlog init` first (or pass --db / set $GAINLOG_DB)"
        if not path.is_file():
            raise LedgerNotFound(f"no ledger at {path}: {hint}")
        conn = schema.connect(str(path))
        try:
            meta = dict(conn.execute("SELECT name, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            conn.close()
            problem = describe_sqlite_error(path, exc)
            if problem is not None:
                not_sqlite = "file is not a database" in str(exc)  # most likely the wrong --db: exit 2
                raise (LedgerNotFound if not_sqlite else UnusableLedger)(problem) from None
            raise LedgerNotFound(f"{path} is not a gainlog ledger: {hint}") from None
        try:
            version, tz_name = _meta(meta)
        except IntegrityViolation as exc:
            conn.close()
            raise IntegrityViolation(f"{path} is damaged: {exc}") from None
        if version != schema.SCHEMA_VERSION:
            conn.close()
            raise LedgerNotFound(
                f"{path} has ledger schema {version}; this gainlog reads {schema.SCHEMA_VERSION}"
            )
        store = cls(path, conn, tz_name).set_wait(DEFAULT_WAIT)
        store.genesis = meta.get("genesis") or chain.GENESIS
        return store

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def timezone(self) -> ZoneInfo:
        """The ledger's time zone: it decides the calendar date of a trade."""
        return self._tz

    @property
    def timezone_name(self) -> str:
        return self._tz_name

    # -- reading ---------------------------------------------------------------------------

    def read(self, *, after: int = 0, until: int | None = None) -> list[Recorded]:
        """Every stored event (retractions included) with after < seq <= until, in seq order."""
        with gc_paused():
            return list(self.iter_read(after=after, until=until))

    def iter_read(
        self, *, after: int = 0, until: int | None = None, types: Sequence[str] = (),
        assets: Sequence[str] | None = None, trail: bool = True, keys: Collection[str] | None = None,
    ) -> Iterator[Recorded]:
        """`read` one record at a time, straight from the cursor: a caller that keeps only some of
        them (`projections.pipeline.replay`) never holds the whole log at once. `types`: only events
        of these types (CONTRACT §2 `type`), the others never decoded. `assets`: of the trades
        (`ASSET_TYPES`), only those whose `asset`, `give_asset` or `get_asset` is one of these (a
        shard of a parallel replay, `api.parallel`); every other event is read. `trail=False`: the
        trades without their `id`, `note` and `txid` (`codec.body_decoder`), for a replay that only
        folds them. `keys`: only events with one of these keys (one JSON parameter: any number), the
        others never decoded (`explain`'s few events of a long log)."""
        only = f" AND type IN ({', '.join('?' * len(types))})" if types else ""
        named: tuple[str, ...] = ()
        if keys is not None:
            only += " AND key IN (SELECT value FROM json_each(?))"
            named = (json.dumps(list(keys)),)
        if assets is not None:
            # only a swap names `give_asset` and `get_asset`, and it has no `asset`: one body parse per
            # trade of another asset, not three (SQLite 3.40 parses the body for each json_extract)
            marks = ", ".join("?" * len(assets))
            only += (
                f" AND (type NOT IN ({', '.join(repr(t) for t in ASSET_TYPES)}) OR CASE type WHEN 'swap'"
                f" THEN json_extract(body, '$.give_asset') IN ({marks})"
                f" OR json_extract(body, '$.get_asset') IN ({marks})"
                f" ELSE json_extract(body, '$.asset') IN ({marks}) END)"
            )
            named = (*named, *assets, *assets, *assets)
        rows = self.conn.execute(
            "SELECT seq, key, source, batch, recorded_at, CAST(body AS BLOB) FROM events"
            f" WHERE seq > ? AND seq <= ?{only} ORDER BY seq",
            (after, MAX_SEQ if until is None else until, *types, *named),
        )
        decode = codec.body_decoder(trail=trail)
        # one str per source and one datetime per batch, not per event: a batch's rows are one run
        # of seqs sharing both (`_insert`), so each row's are compared with the row before's (no hash)
        text, at, name = "", datetime.min, ""  # no stored time is "", no source either
        for seq, key, source, batch, recorded, body in rows:
            try:
                if recorded != text:
                    text, at = recorded, chain.parse_time_text(recorded)
                event = decode(body)
            except (msgspec.DecodeError, ValueError, TypeError) as exc:
                raise _undecodable(seq, exc) from None
            if source != name:
                name = source
            yield Recorded(seq=seq, key=key, source=name, batch=batch, recorded_at=at, event=event)

    def retract_targets(self, *, until: int | None = None) -> set[str]:
        """The keys the `retract` events with seq <= until target (from the index on `target`)."""
        rows = self.conn.execute(
            "SELECT DISTINCT target FROM events WHERE target IS NOT NULL AND seq <= ?",
            (MAX_SEQ if until is None else until,),
        )
        return {row[0] for row in rows}

    def retractions(self, *, until: int | None = None) -> tuple[dict[int, int], set[int]]:
        """In the log up to `until`: the seq of each retracted event -> the seq of the `retract` that
        retracted it (the latest event of its target key before it), and the seqs of every `retract`.
        Read from the indexes on `target` and `key` (no body): a log with few retractions costs little."""
        # `+seq`: no range on the primary key, or SQLite scans the table instead of using the indexes
        targets = "SELECT target FROM events WHERE target IS NOT NULL AND +seq <= ?1"
        rows = self.conn.execute(
            "SELECT seq, key, target FROM events WHERE seq IN (SELECT seq FROM events WHERE target IS NOT NULL"
            f" AND +seq <= ?1 UNION ALL SELECT seq FROM events WHERE key IN ({targets}) AND +seq <= ?1) ORDER BY seq",
            (MAX_SEQ if until is None else until,),
        )
        key_to_live_seq: dict[str, int] = {}
        retracted: dict[int, int] = {}
        retracts: set[int] = set()
        for seq, key, target in rows:
            if target is None:
                key_to_live_seq[key] = seq
                continue
            retracts.add(seq)
            if (found := key_to_live_seq.pop(target, None)) is not None:
                retracted[found] = seq
        return retracted, retracts

    def seqs_from_end(self, *, until: int, count: int, skip: Callable[[int], bool]) -> int:
        """The seq after which the last `count` events up to `until` that `skip` keeps lie (0: from the
        start): `log --tail` reads those alone, walking the seqs down without their bodies."""
        kept = 0
        for (seq,) in self.conn.execute("SELECT seq FROM events WHERE seq <= ? ORDER BY seq DESC", (until,)):
            if kept == count:
                return int(seq)
            if not skip(seq):
                kept += 1
        return 0

    def last_seq(self) -> int:
        """The head of the log (0 when empty)."""
        row = self.conn.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def tags(self) -> list[Tag]:
        """Every tag, in the order they were made."""
        rows = self.conn.execute("SELECT name, seq, recorded_at FROM tags ORDER BY recorded_at, name")
        return [Tag(*row) for row in rows]

    def resolve(self, point: str | None, *, option: str = "--as-of") -> int:
        """A knowledge point (seq digits, tag name or @RFC3339 recording time) as a seq; `option` names
        where the user gave it, for messages."""
        head = self.last_seq()
        if point is None:
            return head
        text = point.strip()
        if text.isdigit():
            seq = int(text)
            if seq > head:
                raise UnknownKnowledgePoint(f"{option} {text}: the log ends at seq {head}")
            return seq
        if text.startswith("@"):
            try:
                at = codec.parse_at(text[1:], tz=self._tz, where=option, field="")
            except InvalidEvent:
                raise UnknownKnowledgePoint(
                    f"{option} {point!r}: expected @ and an RFC 3339 time with an offset, "
                    "e.g. @2025-04-15T00:00:00Z"
                ) from None
            row = self.conn.execute(
                "SELECT max(last_seq) FROM batches WHERE recorded_at <= ?",  # a batch shares one time
                (chain.time_text(at),),
            ).fetchone()
            return int(row[0] or 0)
        row = self.conn.execute("SELECT seq FROM tags WHERE name = ?", (text,)).fetchone()
        if row is None:
            names = ", ".join(t.name for t in self.tags()) or "none yet"
            raise UnknownKnowledgePoint(
                f"{option} {point!r}: no tag named {text!r} (tags: {names}); use a seq, a tag or @TIME"
            )
        return int(row[0])

    def live_keys(self, *, source: str | None = None) -> dict[str, int]:
        """Key -> seq of the live events (retract events excluded), optionally of one source."""
        sql = f"SELECT key, seq FROM events e WHERE type != 'retract' AND {_LIVE}"
        args: tuple[Any, ...] = ()
        if source is not None:
            sql += " AND source = ?"
            args = (source,)
        return dict(self.conn.execute(sql, args).fetchall())

    def resolve_key(self, text: str) -> str:
        """The key of the live event `text` names: its full key, its seq, or an unambiguous start of
        its key (`gainlog retract`). InvalidEvent (exit 2) when it names none, or several."""
        if self.conn.execute(
            f"SELECT 1 FROM events e WHERE key = ? AND type != 'retract' AND {_LIVE}", (text,)
        ).fetchone():
            return text
        if text.isdigit():  # a key always holds `:`, so digits are a seq
            return self._live_key_at(int(text))
        rows = self.conn.execute(
            f"SELECT key FROM events e WHERE key >= ? AND key < ? AND type != 'retract' AND {_LIVE} ORDER BY seq",
            (text, text + "\U0010ffff"),
        ).fetchall()
        keys = [row[0] for row in rows if row[0].startswith(text)] if text else []
        if not keys:
            raise InvalidEvent(f"retract: no live event has key {text!r} or a key starting with it (see `gainlog log`)")
        if len(keys) > 1:
            shown = ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")
            raise InvalidEvent(
                f"retract: {text!r} starts the keys of {len(keys)} live events ({shown}); give more of it"
            )
        return str(keys[0])

    def _live_key_at(self, seq: int) -> str:
        """The key of the live event at `seq` (InvalidEvent naming why there is none)."""
        row = self.conn.execute("SELECT key, type FROM events WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise InvalidEvent(f"retract: no event has seq {seq} (the log ends at seq {self.last_seq()})")
        key, kind = row
        if kind == "retract":
            raise InvalidEvent(f"retract: seq {seq} is a retraction ({key}), not an event that can be retracted")
        by = self.conn.execute(
            "SELECT min(seq) FROM events WHERE target = ? AND seq > ? AND type = 'retract'", (key, seq)
        ).fetchone()[0]
        if by is not None:
            raise InvalidEvent(f"retract: seq {seq} ({key}) is already retracted (by seq {by})")
        return str(key)

    # -- writing ---------------------------------------------------------------------------

    def import_file(
        self,
        path: Path,
        *,
        source: str | None = None,
        replace: bool = False,
        progress: Progress | None = None,
        check: Check | None = None,
        allow_empty: bool = False,
        force: bool = False,
    ) -> ImportResult:
        """Append a canonical `.jsonl` file atomically (CONTRACT §1 `import`, §2 Identity).

        With `replace`, a file holding no event is refused (it would retract the whole source) unless
        `allow_empty`. A file another source already imported is refused unless `force`."""
        from . import importer

        path = Path(path)
        name = source if source is not None else identity.default_source(path)
        origin = str(path)
        with gc_paused():  # a line's objects are acyclic: the collector's passes over them are pure overhead
            items = self._keyed(importer.decode_jsonl(path, tz=self._tz, progress=progress), source=name)
            return self._write(
                items, source=name, replace=replace, origin=origin, whole_source=True, check=check,
                allow_empty=allow_empty, digest=_digest_of(path), force=force,
            )

    def import_events(
        self,
        parsed: Sequence[Parsed],
        *,
        source: str,
        replace: bool = False,
        origin: str,
        check: Check | None = None,
        allow_empty: bool = False,
        digest: str | None = None,
        force: bool = False,
        skipped: Sequence[dict[str, str]] = (),
    ) -> ImportResult:
        """Append a whole file's validated events as one batch; keys per CONTRACT §2 Identity.

        Keys live under `source` with the same body are duplicates; with a different body they are
        an error unless `replace`. With `replace`, live events of `source` the file no longer holds
        are retracted; without it, their existence is a warning. With `replace`, an empty `parsed` is
        refused (UsageError) unless `allow_empty`. `digest`: the SHA-256 of the file read
        (`importer.file_digest`): kept in the batch, and a file another source already imported is
        refused (DuplicateEvent) unless `force`. `skipped`: the export's rows that became no event
        (`{"line", "type", "reason"}`), kept with the batch (`batches.skipped`, `batch_rows`).
        """
        identity.check_source(source)
        items = self._keyed(((p.where, 0, codec.decoded(p.event)) for p in parsed), source=source)
        return self._write(
            items, source=source, replace=replace, origin=origin, whole_source=True, check=check,
            allow_empty=allow_empty, digest=digest, force=force,
            skipped=json.dumps(list(skipped), ensure_ascii=False) if skipped else None,
        )

    @staticmethod
    def _keyed(entries: Iterable[tuple[str, int, codec.Decoded]], *, source: str) -> list[_Item]:
        """Each (where, line, facts) with its key: `SOURCE:ID`, or `SOURCE:sha256#rank` by identical bodies.

        Every entry is decoded (its errors first) before the source and then the ids are refused.
        """
        from .write_plan import Item as _Item

        items: list[_Item] = []
        append = items.append
        body_to_rank: dict[bytes, int] = {}  # a plain dict: a Counter's `+= 1` calls its Python `__missing__`
        ids: list[str] = []
        add_id, id_key = ids.append, identity.id_keys(source)
        hash_key, body_digest = identity.hash_key, codec.body_digest
        for where, line, facts in entries:
            event_id = facts.id
            if event_id is None:
                body = facts.body
                rank = body_to_rank[body] = body_to_rank.get(body, 0) + 1
                append(_Item(where, facts, hash_key(source, body_digest(body), rank), line))
            else:
                add_id(event_id)
                append(_Item(where, facts, id_key(event_id), line))
        identity.check_source(source)
        # One test over every id at once; the message (the first bad id in file order) only on failure.
        unique = set(ids)
        if len(unique) != len(ids) or "" in unique or _CONTROL.search("".join(unique)):
            problem = _first_id_problem(items)
            if problem is not None:
                raise InvalidEvent(problem)
        return items

    def append_all(
        self,
        events: Iterable[Event],
        *,
        source: str = identity.CLI_SOURCE,
        where: str = "add",
        check: Check | None = None,
        expect_last_seq: int | None = None,
    ) -> ImportResult:
        """Append validated events as one batch (`add`, `retract`); an event without `id` is always new.

        With `expect_last_seq`, the write is refused with ConcurrencyConflict unless the log still ends
        there (optimistic concurrency for callers that decided what to append from what they read).
        """
        from .write_plan import Item as _Item

        identity.check_source(source)
        items = []
        for event in events:
            if event.id is not None:
                _check_id(event.id, where)
            key = identity.id_key(source, event.id) if event.id is not None else None
            items.append(_Item(where, codec.decoded(event), key))
        return self._write(
            items,
            source=source,
            replace=False,
            origin=where,
            whole_source=False,
            check=check,
            expect_last_seq=expect_last_seq,
        )

    def append(self, event: Event, *, source: str = identity.CLI_SOURCE, where: str = "add") -> ImportResult:
        return self.append_all([event], source=source, where=where)

    def retract(
        self, key: str, *, reason: str | None = None, source: str = identity.CLI_SOURCE
    ) -> ImportResult:
        """Append a retraction of the live event `key` (CONTRACT §1 `retract`)."""
        return self.append(Retract(target=key, reason=reason), source=source, where="retract")

    def tag(self, name: str) -> int:
        """Name the current head of the log; returns its seq. Names are unique (CONTRACT §1 `tag`)."""
        identity.check_tag_name(name)
        with self.atomic():
            row = self.conn.execute("SELECT seq FROM tags WHERE name = ?", (name,)).fetchone()
            if row is not None:
                raise UsageError(f"tag {name!r} already exists (seq {row[0]}); tags are never moved")
            head = self.last_seq()
            now = chain.time_text(datetime.now(UTC))
            if self.tags_have_hash():  # issue #18: the tag names the head's hash too
                self.conn.execute(
                    "INSERT INTO tags (name, seq, recorded_at, hash) VALUES (?, ?, ?, ?)",
                    (name, head, now, self.hash_at(head)),
                )
            else:
                self.conn.execute("INSERT INTO tags (name, seq, recorded_at) VALUES (?, ?, ?)", (name, head, now))
        return head

    def tags_have_hash(self) -> bool:
        """Whether `tags` has the `hash` column (ledgers created since issue #18)."""
        return any(row[1] == "hash" for row in self.conn.execute('PRAGMA table_info("tags")'))

    def hash_at(self, seq: int) -> str:
        """The chain's hash at `seq`: the event's hash, or the genesis for seq 0 (KeyError past the head)."""
        if seq == 0:
            return self.genesis
        row = self.conn.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise KeyError(seq)
        return str(row[0])

    def _write(
        self,
        items: list[_Item],
        *,
        source: str,
        replace: bool,
        origin: str,
        whole_source: bool,
        check: Check | None,
        expect_last_seq: int | None = None,
        allow_empty: bool = True,
        digest: str | None = None,
        force: bool = False,
        skipped: str | None = None,
    ) -> ImportResult:
        if replace and whole_source and not items and not allow_empty:
            count = len(self.live_keys(source=source))
            raise UsageError(
                f"{origin}: holds no event; with --replace that would retract every live event of source "
                f"{source!r} ({count} now): pass --allow-empty as well if that is what you want"
            )
        with self.atomic():
            if expect_last_seq is not None and (head := self.last_seq()) != expect_last_seq:
                raise ConcurrencyConflict(
                    f"the log ends at seq {head}, not {expect_last_seq}: another writer appended first"
                )
            if digest is not None and not force:
                self._refuse_imported_file(digest, source=source, origin=origin)
            return self._write_locked(
                items, source=source, replace=replace, origin=origin, whole_source=whole_source, check=check,
                digest=digest, skipped=skipped,
            )

    def _write_locked(
        self,
        items: list[_Item],
        *,
        source: str,
        replace: bool,
        origin: str,
        whole_source: bool,
        check: Check | None,
        digest: str | None = None,
        skipped: str | None = None,
    ) -> ImportResult:
        """Plan the write (`write_plan.plan`), check it against the log, and append. Empties `items`."""
        from . import write_plan

        stored = self._stored(source, items)
        planned = write_plan.plan(
            stored, items, source=source, origin=origin, replace=replace, whole_source=whole_source
        )
        del stored
        fresh = planned.fresh
        gone = planned.retracted()
        self._check_retract_targets(fresh, retracted=gone)
        self._check_classes(fresh, retracted=gone)
        found = write_plan.scan_bodies(fresh)  # asset names and txids: one pass over the bodies
        warnings = [*planned.warnings, *self._case_twins(found.names, origin=origin)]
        rows = planned.retract_items(origin)
        retracted = len(rows)
        rows += fresh
        del fresh, planned.fresh[:]
        items.clear()  # `rows` holds what is left; the duplicates' bodies can go
        if not rows:
            return ImportResult(
                source=source, duplicates=planned.duplicates, warnings=tuple(warnings), digest=digest
            )
        self._assign_keys(rows, source=source)
        # the scan saw an import's keys, given from the start (only `add` keys in `_assign_keys`, and an
        # `add` is not compared: not whole_source)
        likely = self._likely_duplicates(found.txids, source=source) if whole_source else ()
        warnings += write_plan.likely_warnings(likely, origin=origin)
        batch, first, last, added = self._insert(
            rows, source=source, origin=origin, check=check, retracted=retracted, digest=digest, skipped=skipped
        )
        return ImportResult(
            source=source,
            batch=batch,
            added=added,
            duplicates=planned.duplicates,
            retracted=tuple(key for key, _ in planned.retractions),
            warnings=tuple(warnings),
            first_seq=first,
            last_seq=last,
            digest=digest,
            likely_duplicates=likely,
        )

    def batches_have_digest(self) -> bool:
        """Whether `batches` has the `digest` column (ledgers created since issue #12)."""
        return any(row[1] == "digest" for row in self.conn.execute('PRAGMA table_info("batches")'))

    def batches_have_skipped(self) -> bool:
        """Whether `batches` has the `skipped` column (ledgers created since it was added, issue #12)."""
        return any(row[1] == "skipped" for row in self.conn.execute('PRAGMA table_info("batches")'))

    def batch_rows(self, *, until: int | None = None) -> list[Batch]:
        """Every batch (up to the one holding seq `until`), in order, with the rows it skipped."""
        skipped = "skipped" if self.batches_have_skipped() else "NULL"
        digest = "digest" if self.batches_have_digest() else "NULL"
        sql = (f"SELECT batch, source, origin, recorded_at, first_seq, last_seq, {digest}, {skipped} FROM batches"
               + (" WHERE first_seq <= ?" if until is not None else "") + " ORDER BY batch")
        out = []
        for number, source, origin, recorded, first, last, file_digest, rows in self.conn.execute(
            sql, () if until is None else (until,)
        ):
            try:
                listed = json.loads(rows) if rows else []
            except ValueError:
                listed = []  # `verify` names it; a listing still shows the batch
            out.append(Batch(number, source, origin, recorded, first, last, file_digest, listed))
        return out

    def _refuse_imported_file(self, digest: str, *, source: str, origin: str) -> None:
        """DuplicateEvent when a batch of another source read a file with this digest and still has a
        live event, unless a batch of `source` read it too (the same file under the same source is
        left to the keys: it adds nothing, also after a `force`d import under a second source)."""
        if not self.batches_have_digest():
            return
        if self.conn.execute(
            "SELECT 1 FROM batches WHERE digest = ? AND source = ? LIMIT 1", (digest, source)
        ).fetchone() is not None:
            return
        row = self.conn.execute(
            "SELECT b.batch, b.source, b.origin FROM batches b WHERE b.digest = ? AND b.source != ? AND EXISTS "
            "(SELECT 1 FROM events e WHERE e.seq BETWEEN b.first_seq AND b.last_seq AND e.type != 'retract'"
            f" AND {_LIVE}) ORDER BY b.batch LIMIT 1",
            (digest, source),
        ).fetchone()
        if row is None:
            return
        batch, earlier, earlier_origin = row
        raise DuplicateEvent(
            f"{origin}: this file (the same bytes) was already imported as source {earlier!r} (batch {batch}, "
            f"from {earlier_origin}); importing it as source {source!r} would count its events twice: "
            f"import it with --source {earlier} (it adds nothing new), or pass --force to import it anyway"
        )

    def _likely_duplicates(self, txid_to_keys: dict[str, list[str]], *, source: str) -> tuple[LikelyDuplicate, ...]:
        """The new events whose `txid` (`write_plan.scan_bodies`: txid -> keys) a live event of another
        source has (`write_plan.likely_duplicates`)."""
        from . import write_plan

        if not txid_to_keys:
            return ()
        rows = _json_rows(
            self.conn,
            "SELECT key, source, json_extract(body, '$.txid') FROM events e WHERE type != 'retract'"
            f" AND instr(body, '\"txid\":') > 0 AND source != ? AND {_LIVE} ORDER BY seq",
            (source,),
        )
        return write_plan.likely_duplicates(txid_to_keys, rows)

    def _stored(self, source: str, items: list[_Item]) -> Stored:
        """What `source` holds (its live events and every retract it recorded), against `items`
        (`write_plan.stored_of`, fed straight from the cursor)."""
        from . import write_plan

        if self.conn.execute("SELECT 1 FROM events WHERE source = ? LIMIT 1", (source,)).fetchone() is None:
            return write_plan.NOTHING_STORED  # a new source: nothing to compare
        rows = self.conn.execute(
            "SELECT key, seq, CAST(body AS BLOB), type FROM events e"
            f" WHERE source = ? AND (type = 'retract' OR {_LIVE})",
            (source,),
        )
        return write_plan.stored_of(rows, items)

    def _check_retract_targets(self, items: list[_Item], *, retracted: set[str]) -> None:
        """`write_plan.check_retract_targets`, asking the log whether a target is live."""
        from . import write_plan

        if "retract" not in map(_TAG, items):
            return
        write_plan.check_retract_targets(items, retracted=retracted, live=self._is_live)

    def _is_live(self, key: str) -> bool:
        """Whether the log holds a live (not retracted) event with `key`."""
        row = self.conn.execute(
            f"SELECT 1 FROM events e WHERE key = ? AND type != 'retract' AND {_LIVE}", (key,)
        ).fetchone()
        return row is not None

    def _check_classes(self, items: list[_Item], *, retracted: set[str]) -> None:
        """`write_plan.check_classes` over the log's live events that name a class."""
        from . import write_plan

        if set(map(_CLASS, items)) <= {None}:
            return
        rows = _json_rows(
            self.conn,
            "SELECT key, seq, json_extract(body, '$.asset'), json_extract(body, '$.class') FROM events e "
            f"WHERE type IN ('buy', 'income', 'gift_in') AND json_extract(body, '$.class') IS NOT NULL AND {_LIVE} "
            "ORDER BY seq",
        )
        write_plan.check_classes(items, retracted=retracted, stored=rows)

    def _case_twins(self, names: dict[bytes, str], *, origin: str) -> list[str]:
        """`write_plan.case_twin_warnings` for the asset `names` of the new events (`write_plan.scan_bodies`),
        against the log's names (`write_plan.find_log_twins`: one pass over its bodies at most)."""
        from . import write_plan

        if not names:
            return []
        return write_plan.case_twin_warnings(
            names, write_plan.find_log_twins(names, self._body_chunks()), origin=origin
        )

    def _body_chunks(self, size: int = 20_000) -> Iterator[list[bytes]]:
        """The log's bodies in seq order, `size` at a time."""
        cursor = self.conn.execute("SELECT CAST(body AS BLOB) FROM events ORDER BY seq")
        while rows := cursor.fetchmany(size):
            yield [row[0] for row in rows]

    def _assign_keys(self, items: list[_Item], *, source: str) -> None:
        """Final keys: rank hash keys of `add` after those already stored; name store retractions."""
        if None not in map(_KEY, items):
            return  # an import: every key is given
        head = self.last_seq()
        digest_to_rank: dict[str, int] = {}
        for offset, item in enumerate(items, 1):
            if item.key is not None:
                continue
            if item.facts.tag == "retract":
                item.key = identity.retract_key(source, head + offset)
                continue
            digest = codec.body_digest(item.facts.body)
            rank = digest_to_rank.get(digest)
            if rank is None:
                prefix = identity.hash_key(source, digest, 0)[:-1]
                rank = self.conn.execute(
                    "SELECT count(*) FROM events WHERE key > ? AND key < ?", (prefix, prefix[:-1] + "$")
                ).fetchone()[0]
            rank += 1
            digest_to_rank[digest] = rank
            item.key = identity.hash_key(source, digest, rank)

    def _insert(
        self, rows: list[_Item], *, source: str, origin: str, check: Check | None, retracted: int,
        digest: str | None = None, skipped: str | None = None,
    ) -> tuple[int, int, int, tuple[str, ...]]:
        """Number, time-stamp, chain and insert `rows` (inside the open transaction); empties `rows`.

        `check` then sees the new records, read back inside the transaction, and may still abort it.
        Returns the batch, the first and last seq, and the keys after the first `retracted` rows.
        """
        last = self.conn.execute(
            "SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        head, prev, last_time = (last[0], last[1], last[2]) if last else (0, self.genesis, "")
        batch = int(self.conn.execute("SELECT coalesce(max(batch), 0) FROM batches").fetchone()[0]) + 1
        recorded = max(chain.time_text(datetime.now(UTC)), last_time)
        count = len(rows)
        if check is not None and not _needed(check, rows):
            check = None
        keys = [r.key for r in rows[retracted:]] if check is None else []
        self._pending += count
        with self._indexes_rebuilt(count > head):
            self._insert_rows(
                _ROW.format(source=_sql_text(source), batch=batch, recorded=_sql_text(recorded)), count,
                _chained(rows, head=head, prev=prev, source=source, batch=batch, recorded=recorded),
            )
        rows.clear()  # the bodies are in the table now: `check` gets the memory
        columns = ["batch", "source", "origin", "recorded_at", "first_seq", "last_seq"]
        values: list[Any] = [batch, source, origin, recorded, head + 1, head + count]
        if digest is not None and self.batches_have_digest():
            columns.append("digest")
            values.append(digest)
        if skipped is not None and self.batches_have_skipped():
            columns.append("skipped")
            values.append(skipped)
        self.conn.execute(
            f"INSERT INTO batches ({', '.join(columns)}) VALUES ({', '.join('?' * len(values))})", values
        )
        if check is not None:
            records = self.read(after=head)
            keys = [r.key for r in records[retracted:]]
            check(records)
        return batch, head + 1, head + count, tuple(keys)  # type: ignore[arg-type]

    def _insert_rows(self, row: str, count: int, params: Iterator[tuple[Any, ...]]) -> None:
        """Insert `count` rows, `row` being the VALUES term of one and `params` their parameters,
        ROWS_PER_INSERT rows a statement (the last statement takes the rest)."""
        flat = itertools.chain.from_iterable(params)
        full, rest = divmod(count, ROWS_PER_INSERT)
        if full:
            width = _ROW_WIDTH * ROWS_PER_INSERT
            self.conn.executemany(
                _INSERT + ", ".join([row] * ROWS_PER_INSERT),
                (tuple(itertools.islice(flat, width)) for _ in range(full)),
            )
        if rest:
            self.conn.execute(_INSERT + ", ".join([row] * rest), tuple(flat))

    @contextmanager
    def _indexes_rebuilt(self, rebuild: bool) -> Iterator[None]:
        """With `rebuild`, the indexes of `events` are dropped for the block and made again after it,
        from their own stored SQL, inside the open transaction (nothing else sees them missing).

        Inserting a batch into the indexes row by row costs more than building them over the whole
        table afterwards, once the batch is larger than the log already is (a first import): the
        inserts and indexes of a 200,000-line import take about a third less CPU. Only the order of
        the rows of `sqlite_master` (and the schema cookie) change."""
        if not rebuild:
            yield
            return
        indexes = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL"
            " ORDER BY rowid"
        ).fetchall()
        for name, _ in indexes:
            self.conn.execute(f'DROP INDEX "{name}"')
        yield
        for _, sql in indexes:
            self.conn.execute(sql)

    # -- integrity -------------------------------------------------------------------------

    def verify(self) -> int | None:
        """Recompute the hash chain; the first broken seq, or None when the log is intact."""
        prev, expected = self.genesis, 1
        rows = self.conn.execute(
            "SELECT seq, key, source, batch, recorded_at, type, target, body, prev_hash, hash"
            " FROM events ORDER BY seq"
        )
        for seq, key, source, batch, recorded, kind, target, body, prev_hash, digest in rows:
            if seq != expected or prev_hash != prev:
                return expected if seq > expected else seq
            if chain.link(prev, seq, key, source, batch, recorded, body) != digest:
                return int(seq)
            if not _columns_match(body, kind, target):
                return int(seq)
            prev, expected = digest, expected + 1
        promised = self.conn.execute("SELECT coalesce(max(last_seq), 0) FROM batches").fetchone()[0]
        return expected if promised >= expected else None

    def missing_guards(self) -> list[str]:
        """Names of the append-only triggers that are missing (an intact ledger has none missing)."""
        present = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        return [name for name in schema.guard_names() if name not in present]


def _json_rows(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> Iterator[Any]:
    """The rows of a query that reads stored bodies with `json_extract`: a body that is not JSON
    any more (edited behind gainlog's back) is an IntegrityViolation, not a database error."""
    try:
        yield from conn.execute(sql, args)
    except sqlite3.OperationalError as exc:
        if "malformed JSON" not in str(exc):
            raise
        raise IntegrityViolation(f"a stored event body is not JSON ({exc}); run `gainlog verify`") from None


def _digest_of(path: Path) -> str | None:
    """The SHA-256 of the file just read, or None when it cannot be read again (it changed)."""
    from . import importer

    try:
        return importer.file_digest(path)
    except OSError:
        return None


def _undecodable(seq: int, exc: Exception) -> IntegrityViolation:
    """A stored row that no longer decodes: the file was changed behind gainlog's back."""
    what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return IntegrityViolation(f"stored event seq {seq} cannot be decoded: {what[:200]}; run `gainlog verify`")


def _meta(meta: dict[str, Any]) -> tuple[int, str]:
    """The schema version and time zone a ledger's `meta` table records; IntegrityViolation names
    the entry that is missing or makes no sense (the table was edited or damaged)."""
    for name in ("schema_version", "timezone"):
        if name not in meta:
            raise IntegrityViolation(f"its meta table has no {name!r} entry")
    raw_version, tz_name = meta["schema_version"], meta["timezone"]
    if not (isinstance(raw_version, str | int) and str(raw_version).isdigit() and len(str(raw_version)) < 10):
        raise IntegrityViolation(f"meta 'schema_version' is {str(raw_version)[:40]!r}, not a version number")
    try:
        ZoneInfo(tz_name)
    except (KeyError, ValueError, TypeError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise IntegrityViolation(
            f"meta 'timezone' is {str(tz_name)[:40]!r}, not an IANA time zone this system knows"
        ) from None
    return int(raw_version), tz_name


def describe_sqlite_error(path: Path, exc: sqlite3.Error) -> str | None:
    """What is wrong with the ledger file at `path`, in words, when SQLite's `exc` says it is the
    file (not a database, damaged, not writable where it must be); None for any other error."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name == "SQLITE_NOTADB" or "file is not a database" in text:
        return f"{path} is not a SQLite database (the file is damaged or truncated, or is another kind of file)"
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return (
            f"{path} is damaged (SQLite: {text}): the file was truncated or corrupted; "
            "restore it from a backup"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if name == "SQLITE_READONLY_DIRECTORY" or (
        ("readonly" in text or "unable to open" in text) and not os.access(folder, os.W_OK)
    ):
        return (
            f"cannot write {path}: directory {folder} is read-only (SQLite needs to create "
            f"{path.name}-wal and {path.name}-shm there); make it writable or move the ledger"
        )
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return f"cannot write {path}: the file is read-only (SQLite: {text})"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return f"cannot open {path} (SQLite: {text})"
    return None


def _needed(check: Check, rows: list[_Item]) -> bool:
    """Whether `check` wants to see these rows (it does unless its `needs` says no)."""
    needs: Callable[[Iterable[codec.Decoded]], bool] | None = getattr(check, "needs", None)
    return needs is None or needs(map(_FACTS, rows))


def _chained(
    rows: list[_Item], *, head: int, prev: str, source: str, batch: int, recorded: str
) -> Iterator[tuple[Any, ...]]:
    """The parameters of `_INSERT` for `rows` (whose source, batch and time are in the statement),
    numbered from head + 1 and hash-chained from `prev`."""
    link = chain.linker(source, batch, recorded)
    seq = head
    for item in rows:
        seq += 1
        facts = item.facts
        body = facts.body.decode()
        digest = link(prev, seq, item.key, body)  # type: ignore[arg-type]
        yield (seq, item.key, facts.tag, facts.target or "", body, prev, digest)
        prev = digest


def _sql_text(text: str) -> str:
    """`text` as an SQL string literal (a source has no NUL: `identity.check_source`)."""
    return "'" + text.replace("'", "''") + "'"


def _columns_match(body: str, kind: str, target: str | None) -> bool:
    """The indexed columns agree with the body they were derived from."""
    try:
        event = codec.decode_body(body)
    except msgspec.DecodeError:
        return False
    return tag_of(event) == kind and (event.target if isinstance(event, Retract) else None) == target


def _first_id_problem(items: list[_Item]) -> str | None:
    """Why the first refused id in `items` is refused (see `_id_problem`), or None."""
    id_to_item: dict[str, _Item] = {}
    for item in items:
        event_id = item.facts.id
        if event_id is not None:
            problem = _id_problem(event_id, item, id_to_item.setdefault(event_id, item))
            if problem is not None:
                return problem
    return None


def _check_id(event_id: str, where: str) -> None:
    if not event_id or _CONTROL.search(event_id):
        raise InvalidEvent(f"{where}: field 'id': must be non-empty text without control characters")


def _id_problem(event_id: str, item: _Item, first: _Item) -> str | None:
    """Why `item`'s id is refused (`first` is the first item with that id), or None."""
    if not event_id or _CONTROL.search(event_id):
        return f"{item.place()}: field 'id': must be non-empty text without control characters"
    if first is not item:
        return (
            f"{item.place()}: field 'id': {event_id!r} is already used by {first.place()} "
            "(ids are unique within a source)"
        )
    return None


__all__ = ["Check", "GainlogError", "ImportResult", "Store", "Tag", "describe_sqlite_error"]
