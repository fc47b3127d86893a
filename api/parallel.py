"""Parallel replay, sharded by asset (issue #19): `report all --jobs N` and `report 8949 --jobs N`.

`stream(db, as_of, jobs=N)` is `api.reading.stream` with the fold and the wash-sale pass run in up
to N worker processes, one shard of assets each (`projections.shards.plan`, from one SQL pass over
the log: events per asset, and the renames, reorgs and paired transfers that join assets). Each
worker opens the ledger itself and reads only its shard (`Store.iter_read(assets=...)`: the trades
of its assets and every other event), replays it with the one pipeline and sends back its rows,
problems and log as msgpack (`projections.shards.Part`); the parent merges them
(`projections.shards.merge`) into the `Replay` one process makes, byte for byte, and writes the
reports from it as before. Workers start with `forkserver` (else `spawn`): nothing is inherited.

One process instead (the same result, `api.reading.stream`): `jobs` < 2, a log of fewer than
`PARALLEL_FROM` events (starting processes costs more than it saves), fewer than two shards, or a
shard that saw a problem the merge cannot order exactly (`projections.shards.UNSHARDABLE`), or a
worker that failed (the replay in one process then reports the error as every command does).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..ledger.speed import gc_paused
from .progress import LARGE_LOG, working

if TYPE_CHECKING:
    from ..ledger.store import Store
    from .reading import Streamed

# events: below this a replay in one process is faster than starting workers (at 100,000 events on the
# loaded 2-core benchmark machine one process still was: 3.6-4.0 s against 4.3-5.7 s for `report all`)
PARALLEL_FROM = 200_000
MAX_SHARD_ASSETS = 10_000  # a shard's assets are SQL parameters (three times each)


def usable_cores() -> int:
    """The cores this process may run on (`os.sched_getaffinity`, else `os.cpu_count`): `--jobs`'s default."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Sharding:
    """How a replay was run: the shards' assets (one shard: one process), and why one process when so."""

    shards: list[list[str]]
    reason: str = ""


def shard_plan(store: Store, seq: int, jobs: int) -> list[list[str]]:
    """The assets of the log up to `seq` in at most `jobs` shards (`projections.shards.plan`): one
    SQL pass counts each asset's events (a swap counts for both sides) and finds what joins assets."""
    from ..ledger.store import ASSET_TYPES
    from ..projections.shards import plan

    conn = store.conn
    types = ", ".join(repr(t) for t in ASSET_TYPES)
    counts: dict[str, int] = {}
    rows = conn.execute(
        "SELECT json_extract(body, '$.asset'), json_extract(body, '$.give_asset'), json_extract(body, '$.get_asset'),"
        f" count(*) FROM events WHERE seq <= ? AND type IN ({types}) GROUP BY 1, 2, 3",
        (seq,),
    )
    for asset, give, get, n in rows:
        for name in {asset, give, get} - {None}:
            counts[name] = counts.get(name, 0) + n
    links: list[tuple[str, str]] = list(conn.execute(
        "SELECT json_extract(body, '$.asset'), json_extract(body, '$.to') FROM events"
        " WHERE seq <= ? AND type = 'rename'", (seq,),
    ))
    # CROSS JOIN keeps SQLite's join order: the few reorgs and paired transfers outside, the key index inside
    links += conn.execute(
        "SELECT json_extract(e.body, '$.asset'), json_extract(part.value, '$.asset')"
        " FROM events AS e CROSS JOIN json_each(e.body, '$.into') AS part WHERE e.seq <= ? AND e.type = 'reorg'",
        (seq,),
    )
    links += conn.execute(
        "SELECT json_extract(t.body, '$.asset'), json_extract(leg.body, '$.asset')"
        " FROM events AS t CROSS JOIN json_each(t.body, '$.legs') AS named CROSS JOIN events AS leg"
        " WHERE t.seq <= ? AND t.type = 'transfer' AND leg.key = named.value", (seq,),
    )
    return plan(counts, [(a, b) for a, b in links if a is not None and b is not None], jobs)


def replay_shard(db: str, seq: int, assets: list[str], year_ends: bool) -> bytes:
    """A worker: the shard of `assets` of the ledger at `db` as of `seq`, replayed, as msgpack of a
    `projections.shards.Part` (top level, so that `spawn` and `forkserver` can call it)."""
    import msgspec

    from ..ledger.store import Store
    from ..projections.pipeline import replay
    from ..projections.shards import part

    with gc_paused(), Store.open(Path(db)) as store:
        targets = store.retract_targets(until=seq)
        shard = frozenset(assets)
        run = replay(store.iter_read(until=seq, assets=assets), tz=store.timezone, until_seq=seq, targets=targets,
                     year_ends=year_ends, assets=shard)
        return msgspec.msgpack.encode(part(run, shard))


def replay_shards(db: Path, seq: int, shards: list[list[str]], *, year_ends: bool) -> Iterator[bytes]:
    """Each shard replayed in its own worker process; what each sends back, in shard order (each
    let go of by the pool once handed out)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context: multiprocessing.context.BaseContext
    if "forkserver" in methods:
        server = multiprocessing.get_context("forkserver")
        root = __name__.rsplit(".", 2)[0]  # the workers' modules, imported once by the server they fork from
        server.set_forkserver_preload([__name__, f"{root}.projections.pipeline", f"{root}.ledger.store"])
        context = server
    else:
        context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(shards), mp_context=context) as pool:
        futures = [pool.submit(replay_shard, str(db), seq, assets, year_ends) for assets in shards]
        futures.reverse()
        while futures:
            yield futures.pop().result()


def stream(
    db: Path, as_of: str | None = None, *, strict: bool = False, check: bool = True, option: str = "--as-of",
    year_ends: bool = False, jobs: int = 1, parallel_from: int | None = None, freeze: bool = False,
) -> Streamed:
    """`api.reading.stream` in up to `jobs` processes (the module docstring); the same `Streamed`.
    `parallel_from`: the fewest events worth sharding (default `PARALLEL_FROM`). `freeze`: keep the
    engine's state for a checkpoint when the replay runs in one process (a sharded replay has none:
    `Replay.engine` is None)."""
    return stream_sharded(db, as_of, strict=strict, check=check, option=option, year_ends=year_ends, jobs=jobs,
                          parallel_from=parallel_from, freeze=freeze)[0]


def stream_sharded(
    db: Path, as_of: str | None = None, *, strict: bool = False, check: bool = True, option: str = "--as-of",
    year_ends: bool = False, jobs: int = 1, parallel_from: int | None = None, freeze: bool = False,
) -> tuple[Streamed, Sharding]:
    """`stream`, and how it ran (`Sharding`: for tests and the benchmark)."""
    import msgspec

    from ..projections.shards import Part, merge
    from .reading import Streamed, open_ledger
    from .reading import stream as one_process

    least = PARALLEL_FROM if parallel_from is None else parallel_from
    if jobs < 2:
        return one_process(db, as_of, strict=strict, check=check, option=option, year_ends=year_ends,
                           freeze=freeze), Sharding(shards=[], reason="--jobs 1")
    store = open_ledger(db, strict=strict, check=check)
    seq = store.resolve(as_of, option=option)
    shards: list[list[str]] = []
    reason = ""
    if seq < least:
        reason = f"fewer than {least:,} events"
    else:
        shards = shard_plan(store, seq, jobs)
        if len(shards) < 2:
            reason = "one group of assets"
        elif max(len(s) for s in shards) > MAX_SHARD_ASSETS:
            reason = f"more than {MAX_SHARD_ASSETS:,} assets in a shard"
    if not reason:
        with gc_paused(), working(f"Replaying {seq:,} events in {len(shards)} processes", large=seq >= LARGE_LOG):
            try:
                parts = [msgspec.msgpack.decode(data, type=Part)
                         for data in replay_shards(store.path, seq, shards, year_ends=year_ends)]
            except Exception as exc:  # noqa: BLE001 - one process again says what it is, as one line
                parts, reason = [], f"a worker failed ({type(exc).__name__})"
            merged = merge(parts) if parts else None
        if merged is not None:
            return Streamed(store=store, seq=seq, replay=merged), Sharding(shards=shards)
        reason = reason or next(p.unshardable for p in parts if p.unshardable)
    store.close()
    return one_process(db, str(seq), strict=strict, check=False, year_ends=year_ends, freeze=freeze), Sharding(
        shards=[], reason=reason)
