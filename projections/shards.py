"""A replay split by asset and merged again (issue #19): the pure parts of `report all --jobs N`.

Lots, pools, wash sales and 8949 rows are per asset: a shard of the log (the trades of some assets,
and every event that is not a trade: settings, policies, profiles, carryovers, prices, retractions)
replayed by the one pipeline (`pipeline.replay(..., assets=...)`) gives exactly the rows of those
assets. Only the tax years merge, and they are computed from the merged rows as before.

- `plan(counts, links, jobs)`: the assets in groups that must stay together (a rename or reorg
  joins its assets, as do a transfer and the legs it pairs, and names that differ only by case),
  the groups in at most `jobs` shards balanced by event count (largest first, into the lightest).
  A swap joins nothing: each shard books only its side (`LotBookState.assets`), its proceeds and
  basis being the swap's value.
- `part(run, assets)`: what a shard's replay hands back before its slices (`Part`); then its slices
  follow in `chunks`, and last each year's open lots (`Replay.year_end_lots`, complete once the
  slices have been read).
- `merge(parts, slices, ends)`: the `Replay` one process would have made: slices in 8949 order (date
  sold, seq, order) merged from each shard's stream as they are read (never all of them at once),
  donations and unit changes in fold order (income too, decoded apart: `merged_income`), problems
  in report order, the log by seq, and `ends` as the year-end lots (the caller fills it from
  `year_end_lots` once the slices are read).
  None when a shard saw something a shard cannot reproduce exactly (`UNSHARDABLE`): the caller then
  replays in one process.
- `report all` has its workers do the rest of the per-row work too (on two cores the parent's serial
  half, rows and their text, was what made sharding no faster): `row_text(rows)` is a chunk of a
  shard's 8949 rows as the text `report all` writes of them (`RowText`), `ShardTotals` its year
  totals (`totals`); `merge_texts` merges the shards' chunks in 8949 order (`MergedText`: ready
  text, nothing per row but a sort of ints and joins), and `add_totals` adds up their totals.
- A checkpoint (`report all` of a large log): each shard's `Part` carries its engine state
  (`Part.engine`), which `checkpoint.merge_snapshots` merges into the state one process keeps.

Unshardable problems: the 2025 allocation's and a pre-2025 scope change's problems
(`allocation-*`, `unallocated-units`: they come in the order of the trade that first reaches the
pooling change, which a shard does not see), `leg-paired-twice`, `asset-case` (both listed before
or after every trade in an order over all assets), and `lots-unsatisfiable` (a sell may name a lot
of another asset, which its shard does not know).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, localcontext

import msgspec

from ..ledger.events import Allocate, Recorded, Swap
from .form8949 import BOX_ORDER, JSON_BETWEEN, Row, row_texts
from .glance import ProceedsSum, RowSums
from .model import Donation, IncomeRow, OpenLot, Problem, Slice, UnitChange
from .pipeline import Replay
from .tax_year import CONTEXT, BoxSum, YearBoxes

UNSHARDABLE = frozenset({
    "allocation-short", "unallocated-units", "allocation-leftover", "leg-paired-twice", "asset-case",
    "lots-unsatisfiable",
})
LATE_ALLOCATION = "late-allocation"
CHUNK = 4096  # slices per message from a worker (`chunks`)
_INCOME = msgspec.msgpack.Encoder()
_INCOME_ROWS = msgspec.msgpack.Decoder(tuple[IncomeRow, ...])


def asset_groups(assets: Iterable[str], links: Iterable[tuple[str, str]]) -> list[list[str]]:
    """`assets` and every asset of `links` in groups a shard keeps together: those `links` join,
    directly or through others, and those of `assets` equal but for case; each group sorted, the
    groups in the order of their first asset."""
    parent: dict[str, str] = {}

    def root(asset: str) -> str:
        parent.setdefault(asset, asset)
        while parent[asset] != asset:
            parent[asset] = parent[parent[asset]]
            asset = parent[asset]
        return asset

    def join(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    folded: dict[str, str] = {}
    for asset in sorted(assets):
        root(asset)
        join(asset, folded.setdefault(asset.casefold(), asset))
    for a, b in links:
        join(a, b)
    groups: dict[str, list[str]] = {}
    for asset in sorted(parent):
        groups.setdefault(root(asset), []).append(asset)
    return sorted(groups.values())


def plan(counts: Mapping[str, int], links: Iterable[tuple[str, str]], jobs: int) -> list[list[str]]:
    """The assets of `counts` (asset -> events naming it) in at most `jobs` shards: each of
    `asset_groups` whole, shards balanced by event count; each shard's assets sorted. One shard when
    `jobs` < 2."""
    weighed = sorted(asset_groups(counts, links), key=lambda g: (-sum(counts.get(a, 0) for a in g), g[0]))
    bins: list[tuple[int, list[str]]] = [(0, []) for _ in range(max(1, min(jobs, len(weighed))))]
    for group in weighed:
        lightest = min(range(len(bins)), key=lambda i: (bins[i][0], i))
        weight, assets = bins[lightest]
        bins[lightest] = (weight + sum(counts.get(a, 0) for a in group), assets + group)
    return [sorted(assets) for _, assets in bins if assets]


class Part(msgspec.Struct, kw_only=True):
    """What a shard's replay hands back once folded, before its slices (`chunks`) and its year-end lots.

    Attributes:
        unshardable: a problem (`UNSHARDABLE`) or an order the merge cannot reproduce: replay in one process.
        income: the income rows in fold order, msgpack-encoded: the parent of `report all` decodes
            them only once the workers have ended (`merged_income`), so that they never sit next to
            the workers' memory (at 1M events: about 70 MB decoded, 16 MB encoded).
        fold_problems: `Replay.fold_problems` less those of a swap whose other side is the shard's.
        fold_keys: the fold order (event time, seq) of the trade each of `fold_problems` was
            reported in (`Replay.fold_owners`).
        late_allocation: the `late-allocation` problems `finish` added.
        late_corrections: `Replay.late_corrections`.
        log: `Replay.log`.
        donations: `Replay.donations`.
        unit_changes: `Replay.unit_changes`.
        engine: with `freeze`, the shard's engine state for a checkpoint (`Replay.engine`; the parent
            merges the shards', `checkpoint.merge_engines`), else empty.
    """

    unshardable: str = ""
    income: msgspec.Raw = msgspec.Raw(b"\x90")  # msgpack's empty array (an empty Raw would encode as nothing)
    fold_problems: list[Problem] = []
    fold_keys: list[tuple[datetime, int]] = []
    late_allocation: list[Problem] = []
    late_corrections: tuple[Problem, ...] = ()
    log: list[Recorded] = []
    donations: tuple[Donation, ...] = ()
    unit_changes: tuple[UnitChange, ...] = ()
    engine: bytes = b""


def part(run: Replay, assets: frozenset[str]) -> Part:
    """A shard's `Replay` (made with `assets`) as a `Part`, its slices not read yet (its problems
    are all known once the fold is done: the wash-sale pass adds none)."""
    for problem in run.problems:
        if problem.code in UNSHARDABLE:
            return Part(unshardable=f"a {problem.code} problem")
    extra = run.problems[len(run.fold_problems):len(run.problems) - len(run.late_corrections)]
    if any(p.code != LATE_ALLOCATION for p in extra):
        return Part(unshardable="a problem of a pooling change after the last trade")
    seq_to_record = {r.seq: r for r in run.log}
    problems: list[Problem] = []
    keys: list[tuple[datetime, int]] = []
    owners = run.fold_owners
    for index, problem in enumerate(run.fold_problems):
        record = seq_to_record.get(owners[index]) if index < len(owners) else None
        at = getattr(record.event, "at", None) if record is not None else None
        if record is None or at is None:
            return Part(unshardable=f"a {problem.code} problem before the first or after the last trade")
        event = record.event
        if type(event) is Swap and event.give_asset not in assets:
            continue  # the shard of the swap's give side reports it
        key = (at, record.seq)
        if keys and key < keys[-1]:
            return Part(unshardable="problems out of fold order")
        problems.append(problem)
        keys.append(key)
    return Part(
        income=msgspec.Raw(_INCOME.encode(run.income)), fold_problems=problems, fold_keys=keys,
        late_allocation=list(extra), late_corrections=run.late_corrections, log=run.log, donations=run.donations,
        unit_changes=run.unit_changes, engine=run.engine or b"",
    )


def chunks(slices: Iterable[Slice], size: int = CHUNK) -> Iterator[list[Slice]]:
    """`slices` a list of at most `size` at a time (a worker sends each as one message)."""
    chunk: list[Slice] = []
    for s in slices:
        chunk.append(s)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def merge(
    parts: Sequence[Part], slices: Sequence[Iterable[Slice]], ends: dict[int, tuple[OpenLot, ...]]
) -> Replay | None:
    """The `Replay` of the whole log from its shards' parts and their slices (each shard's in 8949
    order, read a few at a time as the merged stream is read); `ends` is its `year_end_lots`, which
    the caller fills (`year_end_lots`) once the slices are read. Its income is left empty: the caller
    decodes the parts' (`merged_income`) when it needs them. None when a part is `unshardable`."""
    if any(p.unshardable for p in parts):
        return None
    log = sorted({r.seq: r for p in parts for r in p.log}.values(), key=_seq)
    keyed = sorted(
        ((key, i, n) for i, p in enumerate(parts) for n, key in enumerate(p.fold_keys)), key=lambda k: k[0]
    )
    fold_problems = tuple(parts[i].fold_problems[n] for _, i, n in keyed)
    seq_to_asset = {r.seq: r.event.asset for r in log if isinstance(r.event, Allocate)}
    late_allocation = sorted((p for part_ in parts for p in part_.late_allocation),
                             key=lambda p: seq_to_asset.get(p.seq or 0, ""))
    late = tuple(sorted((p for part_ in parts for p in part_.late_corrections), key=lambda p: p.seq or 0))
    return Replay(
        slices=heapq.merge(*slices, key=_8949_order),
        income=(),
        problems=fold_problems + tuple(late_allocation) + late,
        log=log,
        fold_problems=fold_problems,
        late_corrections=late,
        donations=tuple(heapq.merge(*(p.donations for p in parts), key=_at_seq)),
        unit_changes=tuple(heapq.merge(*(p.unit_changes for p in parts), key=_at_seq)),
        year_end_lots=ends,
    )


def merged_income(parts: Sequence[Part]) -> tuple[IncomeRow, ...]:
    """The parts' income rows decoded and merged in fold order (event time, seq)."""
    return tuple(heapq.merge(*(_INCOME_ROWS.decode(p.income) for p in parts), key=_at_seq))


def year_end_lots(shards: Sequence[Mapping[int, tuple[OpenLot, ...]]]) -> dict[int, tuple[OpenLot, ...]]:
    """Each year's open lots over the shards: a shard with no entry for a year holds what it held at
    the end of its last earlier year (nothing before its first); lots in asset order, as
    `engine.open_lots_now` orders them (each asset is in one shard)."""
    years = sorted({y for shard in shards for y in shard})
    out: dict[int, tuple[OpenLot, ...]] = {}
    for year in years:
        held = [_held_at(shard, year) for shard in shards]
        out[year] = tuple(heapq.merge(*held, key=_asset))
    return out


def _held_at(shard: Mapping[int, tuple[OpenLot, ...]], year: int) -> tuple[OpenLot, ...]:
    if year in shard:
        return shard[year]
    earlier = [y for y in shard if y < year]
    return shard[max(earlier)] if earlier else ()


def _seq(record: Recorded) -> int:
    return record.seq


def _asset(lot: OpenLot) -> str:
    return lot.asset


def _8949_order(s: Slice) -> tuple[date, int, int]:
    return s.date_sold, s.seq, s.order


def _at_seq(row: IncomeRow | Donation | UnitChange) -> tuple[datetime, int]:
    return row.at, row.seq


# -- report all: the rows' text made in the workers ------------------------------------------

BOXES = sorted(BOX_ORDER, key=BOX_ORDER.__getitem__)  # a box's rank (`RowText.boxes`) -> the box


class RowText(msgspec.Struct, array_like=True, gc=False):
    """A chunk of a shard's 8949 rows (one tax year, in 8949 order) as `report all` writes them.

    Attributes:
        year: the rows' tax year.
        keys: each row's place in 8949 order among every shard's (`order_key`).
        json: each row's fields as `form8949.json` holds them (`form8949.row_texts`).
        csv: each row's line of `form8949.csv`.
        boxes: each row's box, as its rank in form order (`form8949.BOX_ORDER`).
        missing: the indexes of the rows with missing basis (R3.5).
    """

    year: int
    keys: list[int]
    json: list[str]
    csv: list[str]
    boxes: list[int]
    missing: list[int]


class OrderTie(Exception):
    """Two shards sent rows of one disposal (`order_key`): the merge cannot order them, the caller
    replays in one process."""


def order_key(row: Row) -> int:
    """The row's place in 8949 order as one int (date sold, then the disposal's seq): a disposal's
    rows are all of its event's asset (a swap's: its give side), so all in one shard, which keeps
    their order; rows of different disposals never tie (`merge_texts` checks: `OrderTie`)."""
    return (row.date_sold.toordinal() << 40) | row.seq


def row_text(rows: Sequence[Row]) -> RowText:
    """`rows` (one year's, in 8949 order) as `RowText`: their text made by `form8949.row_texts`, the
    very function one process writes with."""
    box_to_lines, json = row_texts(rows)
    box_to_next = {b: iter(lines).__next__ for b, lines in box_to_lines.items()}
    return RowText(
        year=rows[0].date_sold.year, keys=[order_key(r) for r in rows], json=json,
        csv=[box_to_next[r.box]() for r in rows], boxes=[BOX_ORDER[r.box] for r in rows],
        missing=[i for i, r in enumerate(rows) if r.missing_basis],
    )


class ShardTotals(msgspec.Struct, array_like=True):
    """A shard's sums of its rows: `tax_year.add_rows`' per-year, per-box totals and `glance.RowSums`
    (its month sums, and per year the wallet/asset sums, `RowSums.packed_proceeds`)."""

    year_boxes: dict[int, dict[str, BoxSum]]
    months: dict[int, list[list[Decimal]]]
    proceeds: dict[int, list[ProceedsSum]]


def totals(year_boxes: YearBoxes, sums: RowSums) -> ShardTotals:
    """A shard's sums as one value to send."""
    return ShardTotals(
        year_boxes=year_boxes, months=sums.year_to_months, proceeds=sums.packed_proceeds(),
    )


def add_totals(year_boxes: YearBoxes, sums: RowSums, shards: Iterable[ShardTotals]) -> None:
    """Add the shards' sums into `year_boxes` and `sums` (empty), years in order: sums of exact cent
    amounts (as `add_rows` and `RowSums.add` make them) do not depend on the order they are added in,
    so these are one process's to the digit."""
    shards = list(shards)
    with localcontext(CONTEXT):
        for year in sorted({y for s in shards for y in s.year_boxes}):
            boxes = year_boxes[year] = {}
            for shard in shards:
                for the_box, part_ in shard.year_boxes.get(year, {}).items():
                    boxes.setdefault(the_box, BoxSum()).add(
                        part_.rows, part_.proceeds, part_.cost_basis, part_.adjustments, part_.gain)
    zero = Decimal(0)
    for year in sorted({y for s in shards for y in s.months}):
        months = sums.year_to_months[year] = [[zero, zero] for _ in range(12)]
        pairs = sums.year_to_proceeds[year] = {}
        for shard in shards:
            for total, (short, long) in zip(months, shard.months.get(year, ()), strict=False):
                total[0] += short
                total[1] += long
            for p in shard.proceeds.get(year, ()):
                acc_ = pairs.setdefault((p.wallet, p.asset), [zero, zero, zero])
                acc_[0] += p.rows
                acc_[1] += p.proceeds
                acc_[2] += p.gain


class MergedText(msgspec.Struct, gc=False):
    """A run of 8949 rows of one tax year, merged from the shards in 8949 order, as text.

    Attributes:
        year: the tax year.
        count: how many rows.
        json: their fields in `form8949.json`, joined by `form8949.JSON_BETWEEN`.
        csv: (box, its rows' lines joined) for each box of the rows, boxes in form order.
        missing: the indexes (from 0, in this run) of the rows with missing basis.
    """

    year: int
    count: int
    json: str
    csv: list[tuple[str, str]]
    missing: list[int]


def merge_texts(streams: Sequence[Iterator[RowText]]) -> Iterator[MergedText]:
    """The rows of every shard's stream of chunks (each in 8949 order) merged in 8949 order, a run
    at a time: each run is every row not after the smallest last key of the chunks at hand (nothing
    a shard sends later can come before it), so one chunk per shard is held, never all the rows.
    A run lies in one tax year: a chunk does, and the chunk that bounds it is the earliest. Rows of
    one disposal from two shards (equal keys: a run holds them all) raise `OrderTie`."""
    held: list[RowText | None] = [None] * len(streams)
    at = [0] * len(streams)
    done = [False] * len(streams)
    while True:
        for i, stream in enumerate(streams):
            while not done[i] and (held[i] is None or at[i] >= len(held[i].keys)):  # type: ignore[union-attr]
                held[i], at[i] = next(stream, None), 0
                done[i] = held[i] is None
        live = [i for i, chunk in enumerate(held) if chunk is not None]
        if not live:
            return
        bound = min(held[i].keys[-1] for i in live)  # type: ignore[union-attr]
        pieces: list[tuple[RowText, int, int]] = []
        for i in live:
            chunk = held[i]
            assert chunk is not None
            cut = bisect_right(chunk.keys, bound, at[i])
            if cut > at[i]:
                pieces.append((chunk, at[i], cut))
                at[i] = cut
        yield _merged(pieces)


def _merged(pieces: Sequence[tuple[RowText, int, int]]) -> MergedText:
    """The rows `chunk[lo:hi]` of each piece as one run in 8949 order: the order is one sort of
    ints (the pieces are sorted runs), the text taken in that order by C loops (`map`)."""
    keys: list[int] = []
    json: list[str] = []
    csv: list[str] = []
    boxes: list[int] = []
    missing: list[int] = []
    distinct = 0
    for chunk, lo, hi in pieces:
        distinct += len(set(chunk.keys[lo:hi]))
        offset = len(keys) - lo
        keys += chunk.keys[lo:hi]
        json += chunk.json[lo:hi]
        csv += chunk.csv[lo:hi]
        boxes += chunk.boxes[lo:hi]
        missing += [offset + m for m in chunk.missing if lo <= m < hi]
    if len(pieces) > 1:
        if len(set(keys)) != distinct:
            raise OrderTie(f"rows of one disposal in two shards, sold in {pieces[0][0].year}")
        order = sorted(range(len(keys)), key=keys.__getitem__)
        json, csv, boxes = list(map(json.__getitem__, order)), list(map(csv.__getitem__, order)), list(
            map(boxes.__getitem__, order))
        if missing:
            place = dict(zip(order, range(len(order)), strict=True))
            missing = sorted(place[m] for m in missing)
    ranks = sorted(set(boxes))
    by_box = sorted(range(len(boxes)), key=boxes.__getitem__) if len(ranks) > 1 else range(len(boxes))
    texts: list[tuple[str, str]] = []
    start = 0
    for rank in ranks:
        end = start + (boxes.count(rank) if len(ranks) > 1 else len(boxes))
        texts.append((BOXES[rank], "".join(map(csv.__getitem__, by_box[start:end]))))
        start = end
    return MergedText(year=pieces[0][0].year, count=len(keys), json=JSON_BETWEEN.join(json), csv=texts,
                      missing=missing)
