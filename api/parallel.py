"""Parallel replay, sharded by asset (issue #19): `report all --jobs N` and `report 8949 --jobs N`.

`stream(db, as_of, jobs=N)` is `api.reading.stream` with the fold and the wash-sale pass run in N
worker processes (`Workers`), one shard of assets each. The workers start first and each counts the
assets of its part of the log (`asset_counts`) while the parent reads what joins assets (renames,
reorgs, paired transfers: `asset_links`); the parent plans the shards from both
(`projections.shards.plan`) and sends each worker its assets. A worker reads only its shard
(`Store.iter_read(assets=...)`: the trades of its assets and every other event), replays it with
the one pipeline and sends back, as msgpack messages on its pipe: its problems, log and income
(`projections.shards.Part`) once folded, then its slices a chunk at a time as its wash-sale pass
hands them out, then its year-end lots. The parent merges the parts (`projections.shards.merge`)
into the `Replay` one process makes, byte for byte, its slices merged from the workers' streams as
the reports read them: the parent writes the first rows while the workers still send theirs, and
holds a chunk per worker, never all the rows. Workers start with `forkserver` (else `spawn`):
nothing is inherited.

`report all` (`stream_sharded(..., texts=True)`) has the workers make the rest of the per-row work
too: each turns its slices into 8949 rows, adds up their year totals and makes their text as
`report all` writes it, and sends that (`projections.shards.RowText`) instead of its slices; the
parent only merges ready text in 8949 order and adds up the totals (`ShardRows`). On two cores
the parent's serial half (decoding the slices, every row and its text) was what made a sharded
replay no faster than one process.

A checkpoint (`freeze`: a full `report all` of a large log, `api.report_cache`): each worker also
snapshots its engine state before `finish`, as one process does (`Part.engine`), and sends its rows of
the last year it has rows in (`ShardRows.open_rows`: those of the log's open year are what the
checkpoint keeps); the parent merges the states into the one one process would have taken
(`projections.checkpoint.merge_engines`; None, and no checkpoint, when that cannot be done exactly).
The cost in the workers is one process's split between them: the snapshot of their pools, and their
open year's rows encoded once more.

One process instead (the same result, `api.reading.stream`): `jobs` < 2, a log of fewer than
`PARALLEL_FROM` events (starting processes costs more than it saves), fewer than two shards, or a
shard that saw a problem the merge cannot order exactly (`projections.shards.UNSHARDABLE`), or a
worker that failed (the replay in one process then reports the error as every command does). A
worker that fails after the rows began to flow hands over to a replay in one process, which skips
the slices already handed out (the same slices in the same order).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import msgspec

from ..ledger.speed import gc_paused
from .progress import LARGE_LOG, working

T = TypeVar("T")

if TYPE_CHECKING:
    import sqlite3
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess
    from zoneinfo import ZoneInfo

    from ..projections.form8949 import Row
    from ..projections.glance import RowSums
    from ..projections.model import IncomeRow, OpenLot, Slice
    from ..projections.pipeline import Replay
    from ..projections.shards import MergedText, Part, RowText, ShardTotals
    from ..projections.tax_year import YearBoxes
    from .reading import Streamed
    from .report_files import MissingBasis

# events: below this a replay in one process is faster than starting workers (at 100,000 events on the
# loaded 2-core benchmark machine one process still was: 3.6-4.0 s against 4.3-5.7 s for `report all`)
PARALLEL_FROM = 200_000
MAX_SHARD_ASSETS = 10_000  # a shard's assets are SQL parameters (three times each)


def usable_cores() -> int:
    """The cores this process may run on (`os.sched_getaffinity`, else `os.cpu_count`)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_jobs() -> int:
    """`--jobs`'s default: every usable core (a log under `PARALLEL_FROM` events still replays in one
    process). A sharded `report all` leaves the checkpoint one process leaves (`freeze`), so the run
    after an append is served from it either way."""
    return usable_cores()


class Sharding(msgspec.Struct, frozen=True):
    """How a replay was run: the shards' assets (one shard: one process), why one process when so,
    the workers' process ids (they end once their streams are read, or dropped), and with
    `texts=True` the rows the workers made (`ShardRows`; None: the replay's slices hold them)."""

    shards: list[list[str]]
    reason: str = ""
    pids: tuple[int, ...] = ()
    rows: ShardRows | None = None


def asset_counts(conn: sqlite3.Connection, after: int, until: int) -> dict[str, int]:
    """How many trades (`ASSET_TYPES`) with seq in (after, until] name each asset (a swap counts for
    both sides): one SQL pass, each body parsed once (`json_extract` of the three fields at once).
    A worker counts its part of the log while the others count theirs (`Workers`)."""
    import json

    from ..ledger.store import ASSET_TYPES

    types = ", ".join(repr(t) for t in ASSET_TYPES)
    counts: dict[str, int] = {}
    rows = conn.execute(
        "SELECT json_extract(body, '$.asset', '$.give_asset', '$.get_asset'), count(*) FROM events"
        f" WHERE seq > ? AND seq <= ? AND type IN ({types}) GROUP BY 1",
        (after, until),
    )
    for names, n in rows:
        for name in set(json.loads(names)) - {None}:
            counts[name] = counts.get(name, 0) + n
    return counts


def asset_links(conn: sqlite3.Connection, seq: int) -> list[tuple[str, str]]:
    """The pairs of assets the log up to `seq` joins (`projections.shards.plan`): a rename's two
    names, a reorg's asset and each it becomes, a paired transfer's asset and each leg's.

    One scan of the log (no index on `type`): its renames, reorgs and transfers, materialised once,
    are what the three kinds of link are read from (a scan per kind was 0.8 s at a million events,
    for `report all` and for each import of a sell naming lots, `api.checks`)."""
    # CROSS JOIN keeps SQLite's join order: the few reorgs and paired transfers outside, the key index inside
    links = conn.execute(
        "WITH few AS MATERIALIZED (SELECT type, body FROM events WHERE seq <= ? AND type IN ('rename', 'reorg',"
        " 'transfer')) SELECT json_extract(body, '$.asset'), json_extract(body, '$.to') FROM few WHERE type = 'rename'"
        " UNION ALL SELECT json_extract(e.body, '$.asset'), json_extract(part.value, '$.asset')"
        " FROM few AS e CROSS JOIN json_each(e.body, '$.into') AS part WHERE e.type = 'reorg'"
        " UNION ALL SELECT json_extract(t.body, '$.asset'), json_extract(leg.body, '$.asset')"
        " FROM few AS t CROSS JOIN json_each(t.body, '$.legs') AS named CROSS JOIN events AS leg"
        " WHERE t.type = 'transfer' AND leg.key = named.value",
        (seq,),
    )
    return [(a, b) for a, b in links if a is not None and b is not None]


class WorkerFailed(Exception):
    """A worker raised (its error's type name) or went away: the replay runs in one process, which
    reports any error in the log itself."""


def serve_shard(
    db: str, seq: int, year_ends: bool, count: tuple[int, int], chunk: int, conn: Connection, texts: bool = False,
    freeze: bool = False,
) -> None:
    """A worker (top level, so that `spawn` and `forkserver` can call it). It counts the assets of
    its part `count` (after, until] of the log (`asset_counts`) and sends them; receives its shard's
    assets (none: it is not needed); replays that shard of the ledger at `db` as of `seq` and sends,
    each as one message: the `Part` (with `freeze`, its engine state for a checkpoint), its slices
    `chunk` at a time (with `texts`: its 8949 rows as text, `shards.RowText`, `chunk` rows at a
    time, then their totals, `shards.ShardTotals`, and with `freeze` its rows of the last year it has
    rows in), its year-end lots. Each message is msgpack behind a tag byte (`C`ounts, `P`art,
    `S`lices, `R`ows, `T`otals, `O`pen year's rows, `Y`ear ends, `E`rror: the type's name)."""
    from contextlib import suppress

    from ..ledger.store import Store
    from ..projections.pipeline import replay
    from ..projections.shards import chunks, part

    encode = msgspec.msgpack.Encoder().encode
    try:
        with gc_paused(), Store.open(Path(db)) as store:
            conn.send_bytes(b"C" + encode(asset_counts(store.conn, *count)))
            assets = msgspec.msgpack.decode(conn.recv_bytes(), type=list[str])
            if not assets:
                return
            shard = frozenset(assets)
            run = replay(store.iter_read(until=seq, assets=assets, trail=False), tz=store.timezone, until_seq=seq,
                         targets=store.retract_targets(until=seq), year_ends=year_ends, assets=shard, freeze=freeze)
            head = part(run, shard)
            conn.send_bytes(b"P" + encode(head))
            if head.unshardable:
                return
            if texts:
                _send_texts(run, chunk, conn, open_year=_open_year(run, store.timezone) if freeze else None)
            else:
                for piece in chunks(run.slices, chunk):
                    conn.send_bytes(b"S" + encode(piece))
            conn.send_bytes(b"Y" + encode(run.year_end_lots))
    except (OSError, EOFError):  # the parent stopped listening
        return
    except Exception as exc:  # noqa: BLE001 - the parent falls back to one process, which reports it
        with suppress(OSError):
            conn.send_bytes(b"E" + type(exc).__name__.encode())
    finally:
        conn.close()


def _open_year(run: Replay, tz: ZoneInfo) -> int | None:
    """The year of the shard's last trade (`report_checkpoint.open_year_of`): the log's open year is
    this one or a later one, so of a shard's rows only this year's may be rows of the log's open year."""
    from ..projections.checkpoint import last_trade
    from ..projections.report_checkpoint import open_year_of

    return open_year_of(last_trade(run.log), tz)


def _send_texts(run: Replay, chunk: int, conn: Connection, *, open_year: int | None = None) -> None:
    """A worker's rows for `report all`: made, added up and turned into text here, in the worker
    (`shards.row_text`, `shards.totals`), `chunk` rows a message; with `open_year`, then its rows of
    that year, its shard's last (`_open_year`), as rows (a checkpoint keeps those of the log's open
    year: a shard whose last rows are of an earlier year has none of it, `ShardRows.open_rows`).
    Only that year's rows are kept on the way: not each year's until the next begins, which held
    a year of rows next to the slices still to come (issue #19)."""
    from ..projections.form8949 import row_chunks
    from ..projections.glance import RowSums
    from ..projections.rules.form_box import wallet_reports
    from ..projections.shards import row_text, totals

    encoder = msgspec.msgpack.Encoder()
    encode = encoder.encode
    year_boxes: YearBoxes = {}
    sums = RowSums()
    kept: list[Row] = []  # with `open_year`: the rows of that year
    for rows in row_chunks(run.slices, wallet_reports(run.log), size=chunk):
        sums.add(rows, year_boxes)
        message = bytearray(b"R")  # the rows' text encoded after the tag: no second copy of it
        encoder.encode_into(row_text(rows), message, 1)
        conn.send_bytes(message)
        del message  # gone before the next chunk's rows are made
        if rows[0].date_sold.year == open_year:
            kept += rows
    conn.send_bytes(b"T" + encode(totals(year_boxes, sums)))
    if open_year is not None:
        conn.send_bytes(b"O" + encode(kept))


class Workers:
    """`jobs` worker processes (`serve_shard`), started before the shard plan is known: they count
    the log's assets a part each while the parent reads the links, then each replays the shard it is
    sent and streams it back. Started with `forkserver` (else `spawn`): nothing is inherited."""

    def __init__(
        self, db: Path, seq: int, jobs: int, *, year_ends: bool, texts: bool = False, freeze: bool = False,
    ) -> None:
        import multiprocessing

        from ..projections.shards import CHUNK

        methods = multiprocessing.get_all_start_methods()
        context: multiprocessing.context.BaseContext
        if "forkserver" in methods:
            server = multiprocessing.get_context("forkserver")
            root = __name__.rsplit(".", 2)[0]  # the workers' modules, imported once by the server they fork from
            server.set_forkserver_preload([__name__, f"{root}.projections.shards", f"{root}.ledger.store"])
            context = server
        else:
            context = multiprocessing.get_context("spawn")
        self.freeze = freeze
        self.conns: list[Connection] = []
        self.processes: list[BaseProcess] = []
        try:
            for i in range(jobs):
                mine, theirs = context.Pipe()
                count = (seq * i // jobs, seq * (i + 1) // jobs)
                process = context.Process(
                    target=serve_shard, args=(str(db), seq, year_ends, count, CHUNK, theirs, texts, freeze),
                    daemon=True,
                )
                self.conns.append(mine)
                process.start()
                self.processes.append(process)
                theirs.close()
        except BaseException:
            self.stop()
            raise

    def counts(self) -> dict[str, int]:
        """Each asset's trades over the whole log, from the workers' parts of it."""
        total: dict[str, int] = {}
        for conn in self.conns:
            for asset, n in msgspec.msgpack.decode(self._received(conn, b"C")[1:], type=dict[str, int]).items():
                total[asset] = total.get(asset, 0) + n
        return total

    def replay(self, shards: list[list[str]]) -> list[Part]:
        """Send each worker its shard (those left over: none, and they end), and receive each
        shard's `Part` once its fold is done."""
        from ..projections.shards import Part

        encode = msgspec.msgpack.Encoder().encode
        for i, conn in enumerate(self.conns):
            conn.send_bytes(encode(shards[i] if i < len(shards) else []))
        decode = msgspec.msgpack.Decoder(Part).decode
        return [decode(self._received(conn, b"P")[1:]) for conn in self.conns[:len(shards)]]

    def slices(self, index: int, tails: dict[int, dict[int, tuple[OpenLot, ...]]]) -> Iterator[Slice]:
        """Worker `index`'s slices as they come, a message at a time; then its year-end lots in `tails[index]`."""
        from ..projections.model import OpenLot, Slice

        decode = msgspec.msgpack.Decoder(list[Slice]).decode
        conn = self.conns[index]
        while (data := self._received(conn, b"SY"))[0] == ord("S"):
            yield from decode(data[1:])
        tails[index] = msgspec.msgpack.decode(data[1:], type=dict[int, tuple[OpenLot, ...]])

    def texts(
        self, index: int, tails: dict[int, dict[int, tuple[OpenLot, ...]]], sums: dict[int, ShardTotals],
        last: dict[int, list[Row]],
    ) -> Iterator[RowText]:
        """Worker `index`'s rows as text (`texts=True`) as they come, a message at a time; then its
        totals in `sums[index]`, with `freeze` its rows of its last year with rows in `last[index]`,
        and its year-end lots in `tails[index]`."""
        from ..projections.form8949 import Row
        from ..projections.model import OpenLot
        from ..projections.shards import RowText, ShardTotals

        decode = msgspec.msgpack.Decoder(RowText).decode
        conn = self.conns[index]
        while (data := self._received(conn, b"RT"))[0] == ord("R"):
            yield decode(data[1:])
        sums[index] = msgspec.msgpack.decode(data[1:], type=ShardTotals)
        if self.freeze:
            last[index] = msgspec.msgpack.decode(self._received(conn, b"O")[1:], type=list[Row])
        data = self._received(conn, b"Y")
        tails[index] = msgspec.msgpack.decode(data[1:], type=dict[int, tuple[OpenLot, ...]])

    @staticmethod
    def _received(conn: Connection, tags: bytes) -> memoryview:
        """The next message, which must bear one of `tags` (its first byte): else (an error, or the
        worker gone) `WorkerFailed`."""
        try:
            data = conn.recv_bytes()
        except (OSError, EOFError) as exc:
            raise WorkerFailed(type(exc).__name__) from None
        tag = data[:1]
        if tag == b"E":
            raise WorkerFailed(data[1:].decode())
        if not tag or tag not in tags:
            raise WorkerFailed(f"message {tag!r}")
        return memoryview(data)

    def stop(self, *, done: bool = False) -> None:
        """Close the pipes and end the workers: wait for them when `done` (each has sent its last
        message), else kill those still at work."""
        for conn in self.conns:
            conn.close()
        for process in self.processes:
            if not done:
                process.kill()
            process.join()
        self.conns, self.processes = [], []


def stream(
    db: Path, as_of: str | None = None, *, strict: bool = False, check: bool = True, option: str = "--as-of",
    year_ends: bool = False, jobs: int = 1, parallel_from: int | None = None, freeze: bool = False,
) -> Streamed:
    """`api.reading.stream` in up to `jobs` processes (the module docstring); the same `Streamed`.
    `parallel_from`: the fewest events worth sharding (default `PARALLEL_FROM`). `freeze`: keep the
    engine's state for a checkpoint (`Replay.engine`; sharded: the workers' states merged,
    `checkpoint.merge_engines`, None when they cannot be merged exactly)."""
    return stream_sharded(db, as_of, strict=strict, check=check, option=option, year_ends=year_ends, jobs=jobs,
                          parallel_from=parallel_from, freeze=freeze)[0]


def stream_sharded(
    db: Path, as_of: str | None = None, *, strict: bool = False, check: bool = True, option: str = "--as-of",
    year_ends: bool = False, jobs: int = 1, parallel_from: int | None = None, freeze: bool = False,
    texts: bool = False,
) -> tuple[Streamed, Sharding]:
    """`stream`, and how it ran (`Sharding`: for tests and the benchmark). `texts` (`report all`):
    when sharded, the workers make the 8949 rows and their text (`Sharding.rows`), and the replay's
    slices are empty."""
    from .reading import Streamed, open_ledger
    from .reading import stream as one_process

    least = PARALLEL_FROM if parallel_from is None else parallel_from
    if jobs < 2:
        return one_process(db, as_of, strict=strict, check=check, option=option, year_ends=year_ends,
                           freeze=freeze), Sharding(shards=[], reason="--jobs 1")
    store = open_ledger(db, strict=strict, check=check)
    seq = store.resolve(as_of, option=option)
    shards: list[list[str]] = []
    reason = f"fewer than {least:,} events" if seq < least else ""
    workers: Workers | None = None
    if not reason:
        from ..projections.shards import plan  # here: a log too small to shard (most) never loads the merge

        with gc_paused(), working(f"Replaying {seq:,} events in {jobs} processes", large=seq >= LARGE_LOG):
            try:
                workers = Workers(store.path, seq, jobs, year_ends=year_ends, texts=texts, freeze=freeze)
                links = asset_links(store.conn, seq)
                shards = plan(workers.counts(), links, jobs)
                if len(shards) < 2:
                    reason = "one group of assets"
                elif max(len(s) for s in shards) > MAX_SHARD_ASSETS:
                    reason = f"more than {MAX_SHARD_ASSETS:,} assets in a shard"
                parts = workers.replay([] if reason else shards)
            except (WorkerFailed, OSError) as exc:  # one process again says what it is, as one line
                parts, reason = [], f"a worker failed ({exc if isinstance(exc, WorkerFailed) else type(exc).__name__})"
            except BaseException:  # e.g. ^C: no worker is left waiting for its shard
                if workers is not None:
                    workers.stop()
                raise
        reason = reason or next((p.unshardable for p in parts if p.unshardable), "")
        if not reason and workers is not None:
            import weakref

            from ..projections.checkpoint import merge_engines
            from ..projections.shards import merge, merged_income

            ends: dict[int, tuple[OpenLot, ...]] = {}
            tails: dict[int, dict[int, tuple[OpenLot, ...]]] = {}
            pids = tuple(p.pid for p in workers.processes if p.pid is not None)
            engine = merge_engines([p.engine for p in parts], tz=store.timezone) if freeze else None
            if texts:
                merged = merge(parts, [() for _ in parts], ends)
                assert merged is not None  # no part is unshardable
                merged = msgspec.structs.replace(merged, engine=engine)
                rows = ShardRows(workers, parts, ends, db=db, seq=seq)
                weakref.finalize(rows, workers.stop)  # rows never read to their end
                return Streamed(store=store, seq=seq, replay=merged), Sharding(shards=shards, pids=pids, rows=rows)
            merged = merge(parts, [workers.slices(i, tails) for i in range(len(parts))], ends)
            assert merged is not None  # no part is unshardable
            slices = _handed_out(merged.slices, workers, ends, tails, db=db, seq=seq, year_ends=year_ends)
            weakref.finalize(slices, workers.stop)  # a stream never read to its end (`report 8949`)
            replay = msgspec.structs.replace(merged, slices=slices, engine=engine, income=merged_income(parts))
            return Streamed(store=store, seq=seq, replay=replay), Sharding(shards=shards, pids=pids)
    if workers is not None:
        workers.stop()
    store.close()
    return one_process(db, str(seq), strict=strict, check=False, year_ends=year_ends, freeze=freeze), Sharding(
        shards=[], reason=reason)


def _handed_out(
    merged: Iterator[Slice], workers: Workers, ends: dict[int, tuple[OpenLot, ...]],
    tails: dict[int, dict[int, tuple[OpenLot, ...]]], *, db: Path, seq: int, year_ends: bool,
) -> Iterator[Slice]:
    """The merged slices; once read to the end, the year-end lots in `ends` (`shards.year_end_lots`)
    and the workers ended. When a worker fails mid-way, the log is replayed in one process, which
    hands out the same slices in the same order: those already handed out are skipped, and its
    year-end lots go in `ends`."""
    from itertools import islice

    from ..projections.shards import year_end_lots
    from .reading import stream as one_process

    def rest(handed: int) -> Iterator[Slice]:
        streamed = one_process(db, str(seq), check=False, year_ends=year_ends)
        with streamed.store, gc_paused():
            slices = streamed.replay.slices
            next(islice(slices, handed, handed), None)  # skip those handed out
            yield from slices
            ends.update(streamed.replay.year_end_lots)

    def finish() -> None:
        ends.update(year_end_lots([tails[i] for i in sorted(tails)]))

    return _handing_over(merged, workers, lambda _: 1, rest, finish, (WorkerFailed,))


def _handing_over(
    items: Iterator[T], workers: Workers, count: Callable[[T], int], rest: Callable[[int], Iterator[T]],
    finish: Callable[[], None], failures: tuple[type[Exception], ...],
) -> Iterator[T]:
    """`items` as the workers send them, then the workers ended and `finish()` (after them: what it
    decodes never sits next to the workers' memory). On one of `failures` mid-way the workers are
    stopped and `rest(n)` (a replay in one process, past the `n` units the items handed out so far
    held, `count` of each) hands out the remainder: the same output in the same order."""
    handed = 0
    done = False
    try:
        try:
            for item in items:
                yield item
                handed += count(item)
        except failures:
            workers.stop()
            yield from rest(handed)
            return
        done = True
    finally:
        workers.stop(done=done)
    finish()


class ShardRows:
    """`report all`'s 8949 rows as the workers made them (`stream_sharded(..., texts=True)`): their
    text merged in 8949 order (`runs`, `write`) and, once read to the end, the year totals
    (`year_boxes`, `sums`), the year-end lots (in the replay's `year_end_lots`) and the income rows
    (`income`: the replay's are left empty, `shards.merge`)."""

    def __init__(
        self, workers: Workers, parts: list[Part], ends: dict[int, tuple[OpenLot, ...]], *, db: Path, seq: int,
    ) -> None:
        from ..projections.glance import RowSums

        self.workers, self.count, self.ends, self.db, self.seq = workers, len(parts), ends, db, seq
        self.parts: list[Part] | None = parts  # their income, decoded once the workers have ended
        self.income: tuple[IncomeRow, ...] = ()  # the replay's income rows, once `runs` was read to its end
        self.year_boxes: YearBoxes = {}
        self.sums = RowSums()
        self.last: list[list[Row]] | None = None  # with `freeze`, each worker's rows of its last year (`open_rows`)

    def runs(self) -> Iterator[MergedText]:
        """The rows' text merged from the workers' streams as they come (`shards.merge_texts`); once
        read to the end, the totals added up and the workers ended. When a worker fails mid-way (or
        two shards sent rows of one disposal: `shards.OrderTie`), the log is replayed in one process,
        which makes the same rows in the same order: those already handed out are skipped
        (`_one_process`)."""
        from ..projections.shards import OrderTie, add_totals, merge_texts, merged_income, year_end_lots

        tails: dict[int, dict[int, tuple[OpenLot, ...]]] = {}
        sums: dict[int, ShardTotals] = {}
        last: dict[int, list[Row]] = {}

        def finish() -> None:
            add_totals(self.year_boxes, self.sums, [sums[i] for i in sorted(sums)])
            self.ends.update(year_end_lots([tails[i] for i in sorted(tails)]))
            if self.workers.freeze:
                self.last = [last[i] for i in sorted(last)]
            assert self.parts is not None
            self.income, self.parts = merged_income(self.parts), None

        runs = merge_texts([self.workers.texts(i, tails, sums, last) for i in range(self.count)])
        return _handing_over(runs, self.workers, lambda run: run.count, self._one_process, finish,
                             (WorkerFailed, OrderTie))

    def open_rows(self, year: int) -> list[Row] | None:
        """The 8949 rows of `year` (the log's open year: no shard has rows of a later one) in 8949
        order, merged from the workers' rows of their last year, once `runs` was read to its end;
        None without `freeze`, or when a replay in one process made the rows (it keeps none)."""
        import heapq

        from ..projections.shards import order_key

        if self.last is None:
            return None
        return list(heapq.merge(*(rows for rows in self.last if rows and rows[0].date_sold.year == year),
                                key=order_key))

    def _one_process(self, handed: int) -> Iterator[MergedText]:
        """The runs after the first `handed` rows, and every total, from a replay in one process."""
        from ..projections.form8949 import row_chunks
        from ..projections.rules.form_box import wallet_reports
        from ..projections.shards import merge_texts, row_text
        from .reading import stream as one_process

        streamed = one_process(self.db, str(self.seq), check=False, year_ends=True)
        with streamed.store, gc_paused():
            replay = streamed.replay
            for rows in row_chunks(replay.slices, wallet_reports(replay.log)):
                self.sums.add(rows, self.year_boxes)
                if handed >= len(rows):
                    handed -= len(rows)
                    continue
                yield from merge_texts([iter([row_text(rows[handed:])])])
                handed = 0
            self.ends.update(replay.year_end_lots)
            self.income, self.parts = replay.income, None

    def write(
        self, folder: Path, year_boxes: YearBoxes, sums: RowSums, year_to_count: dict[int, int],
        year_to_missing: dict[int, MissingBasis],
    ) -> None:
        """Each year's 8949 files into `folder` (`report_files.Form8949Files`), and into the other
        arguments (empty) what `report all` keeps of the rows: the totals, each year's rows and the
        numbers of those with missing basis."""
        from .report_files import Form8949Files, MissingBasis

        files: Form8949Files | None = None
        for run in self.runs():
            if files is None or files.year != run.year:
                if files is not None:
                    year_to_count[files.year] = files.close()
                files = Form8949Files(folder, run.year)
            year_to_missing.setdefault(run.year, MissingBasis()).add_numbers(run.count, run.missing)
            files.add_text(run)
        if files is not None:
            year_to_count[files.year] = files.close()
        year_boxes.update(self.year_boxes)
        sums.year_to_months.update(self.sums.year_to_months)
        sums.year_to_proceeds.update(self.sums.year_to_proceeds)
