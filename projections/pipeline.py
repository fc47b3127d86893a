"""The projection stages in order (STYLE.md 9): knowledge -> lots -> wash sales -> late corrections.

One pipeline, streamed: `replay` reads a log (any iterable of records in seq order, such as the
store's `iter_read`) once, folds its trades through the lot engine's one driver
(`projections.engine.fold`, inside its exact context), releasing each record once folded, and hands the
washed slices out one at a time. `project` is the same pipeline materialised: `materialise(replay(
..., keep_lots=True))`, the whole `Booked` value that `lots`, `explain` and the tests read.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import msgspec

from ..ledger.events import TRADES, Recorded
from .checkpoint import freeze_engine
from .engine import LotBookState, finish, fold, fold_order
from .exact import exact_context
from .knowledge import live
from .model import Acquisition, Booked, Donation, IncomeRow, OpenLot, Problem, Slice, UnitChange
from .rules.late_identification import corrections
from .rules.wash_sale import WashPass, crypto_ever, tracked
from .year_end import YearEnds


def project(
    records: Iterable[Recorded], *, tz: ZoneInfo, until_seq: int | None = None, until: datetime | None = None
) -> Booked:
    """Lots, disposals (with wash-sale adjustments), income and problems for the log up to `until_seq`.

    `records` is the log in seq order, retractions included (read once: a store's `iter_read`
    will do); `until` (event time) cuts trades off for a point-in-time view such as `lots --on
    DATE`. The streamed `replay`, materialised.
    """
    return materialise(replay(records, tz=tz, until_seq=until_seq, until=until, keep_lots=True))


def materialise(run: Replay) -> Booked:
    """The whole result of a `replay(..., keep_lots=True)` as one value (reads its slices)."""
    slices = tuple(run.slices)
    return Booked(
        slices=slices, acquisitions=run.acquisitions, open_lots=tuple(run.open_lots), income=run.income,
        problems=run.problems, donations=run.donations, unit_changes=run.unit_changes,
    )


_TRADE_TYPES = frozenset(TRADES)  # each event is of one of the union's types, none a subclass of another
SIFT_EVERY = 4096  # acquisitions: `replay` drops those the wash-sale pass never reads in batches of this many


class Replay(msgspec.Struct, frozen=True, kw_only=True):
    """A projection of a log read once (`replay`), with the slices as a stream.

    Attributes:
        slices: the disposed slices one at a time, in 8949 order, wash sales applied; an iterator
            that can be read once.
        income: the income rows (R7.1).
        problems: every problem, in report order: `fold_problems`, then those `finish` adds
            (`late-allocation`), then `late_corrections`.
        log: the live events `tax_years` and `wallet_reports` read, in seq order: every event that
            is not a trade, the first and the last trade in event time (the span of years), each
            trade a problem names and each sell carrying the broker's wash-sale figure (R4.6, read
            by the wash-sale pass). `tax_years(booked, log)` equals `tax_years(booked, records)`. Read
            by `api.reading.stream` or a shard's worker, its trades carry no `id`, `note` or `txid`
            (`Store.iter_read(trail=False)`): read those from the store.
        engine: with `freeze`, the lot engine's state after the fold (`checkpoint.freeze_engine`).
        fold_problems: the problems the fold's steps reported (a checkpoint keeps these).
        fold_owners: for each of the first of `fold_problems`, the seq of the trade being folded
            when it was reported (0: none, as before the first trade); those after it have none.
        late_corrections: the R3.6 problems of `--replace` corrections (from the whole log).
        acquisitions: with `keep_lots`, every acquisition (else only those the wash-sale pass read).
        open_lots: with `keep_lots` (or `keep_open`), the open lots, washed units marked, once `slices` has been read
            to its end (else empty).
        donations: the `donate` events with their lots (CONTRACT §4).
        unit_changes: splits and renames (read by the wash-sale pass).
        year_end_lots: with `year_ends`, year -> the open lots at the end of it, from the first
            trade's year through the last's (`year_end.year_end_lots`), washed units marked once
            `slices` has been read to its end.
    """

    slices: Iterator[Slice]
    income: tuple[IncomeRow, ...]
    problems: tuple[Problem, ...]
    log: list[Recorded]
    engine: bytes | None = None
    fold_problems: tuple[Problem, ...] = ()
    fold_owners: tuple[int, ...] = ()
    late_corrections: tuple[Problem, ...] = ()
    acquisitions: tuple[Acquisition, ...] = ()
    open_lots: Iterable[OpenLot] = ()
    donations: tuple[Donation, ...] = ()
    unit_changes: tuple[UnitChange, ...] = ()
    year_end_lots: dict[int, tuple[OpenLot, ...]] = {}


def replay(
    records: Iterable[Recorded], *, tz: ZoneInfo, until_seq: int | None = None, until: datetime | None = None,
    targets: Container[str] | None = None, freeze: bool = False, keep_lots: bool = False, year_ends: bool = False,
    keep_open: bool = False,
    assets: Container[str] | None = None,
) -> Replay:
    """The pipeline for a log given as an iterable in seq order (a store's `iter_read`), keeping
    only what the reports read (issue #7): each trade is dropped once the lot engine has folded it,
    so the decoded log and the lots it becomes are never all in memory together; the acquisitions
    and open lots go once the wash-sale pass has what it reads of them (unless `keep_lots`); and
    each unwashed slice goes as `Replay.slices` hands out its washed rows. `until` (event time) cuts
    trades off (`lots --on DATE`). `targets`: the keys the log's retractions target, if known
    (`knowledge.live`). `freeze`: keep the engine's state for a checkpoint (`Replay.engine`).
    `year_ends`: note the open lots at each year's end on the way (`Replay.year_end_lots`).
    `keep_open`: keep the open lots as `keep_lots` does, but not the acquisitions (`lots`). `assets`: a
    shard of a parallel replay (`projections.shards`): `records` hold the trades of these assets, and
    a swap books only its legs of them."""
    first_sells: dict[str, Recorded] = {}
    known = live(records, until_seq=until_seq, targets=targets, first_sells=first_sells)
    late = corrections(first_sells, known) if first_sells else []  # no sell recorded twice: no pass over the log
    first_sells.clear()
    named = {p.seq for p in late}
    with exact_context():
        state = LotBookState(known, tz=tz)
        state.assets = assets
        kept = [r for r in known if type(r.event) not in _TRADE_TYPES]
        crypto = crypto_ever(kept)  # policies are not trades: a pass over the few others
        trades = fold_order(known, until=until)
        known.clear()  # ours (`live` built it): from here on `trades` holds the only reference to each trade
        if trades:
            kept += (trades[0], trades[-1])
        owners: list[int] = []
        year_to_lots: dict[int, tuple[OpenLot, ...]] = {}
        frozen: list[bytes] = []  # with `year_ends`, the state before the last years' pooling changes

        def keep_state(state: LotBookState = state) -> None:
            frozen.append(freeze_engine(state))

        ends = YearEnds(state, year_to_lots, keep_state if freeze else None) if year_ends else None
        fold(state, _released(trades, state, kept, named, owners, crypto=None if keep_lots else crypto, ends=ends))
        engine = (frozen[0] if frozen else freeze_engine(state)) if freeze else None  # before `finish` changes pools
        fold_problems = tuple(state.problems)
        kept += state.reported  # the wash-sale pass reads the broker's figures of these sells (R4.6)
        booked = finish(state, until=until)
    del state, trades, ends, keep_state  # the engine's pools and its slices (`ends`, `keep_state` hold them too)
    log = sorted({r.seq: r for r in kept}.values(), key=_seq)
    wash = WashPass(booked, log, tz=tz)
    slices = list(booked.slices)
    open_lots: Iterable[OpenLot] = ()
    if keep_lots or keep_open:
        open_lots = _washed_open_lots(wash, booked.open_lots) if wash.active else booked.open_lots
    acquisitions = booked.acquisitions if keep_lots else ()
    income, problems_out = booked.income, booked.problems + tuple(late)
    donations, unit_changes = booked.donations, booked.unit_changes
    del booked
    unwashed = _drained(slices)
    washed = unwashed
    if wash.active:
        washed = wash.slices(unwashed, upto=_marking(wash, year_to_lots) if year_ends else None)
    return Replay(
        slices=washed, income=income, problems=problems_out, log=log,
        engine=engine, fold_problems=fold_problems, fold_owners=tuple(owners), late_corrections=tuple(late),
        acquisitions=acquisitions,
        open_lots=open_lots, donations=donations, unit_changes=unit_changes, year_end_lots=year_to_lots,
    )


def _released(
    trades: list[Recorded], state: LotBookState, kept: list[Recorded], named: Container[int], owners: list[int], *,
    crypto: bool | None, ends: YearEnds | None = None,
) -> Iterator[Recorded]:
    """The trades in order, each let go of once folded; on the way, keep in `kept` each trade the
    fold reported a problem for (or that `named` names), and in `owners` its seq once per problem
    (`Replay.fold_owners`), (unless `crypto` is None) drop the acquisitions the wash-sale pass
    never reads, `SIFT_EVERY` at a time, and (with `ends`) note the open lots at each year's end
    (`year_end.YearEnds`, here rather than in a second generator per trade)."""
    problems, acquisitions = state.problems, state.acquisitions
    sifted = 0  # acquisitions[:sifted] are those the wash-sale pass reads: the rest go as they come
    # per trade only the tests below, on locals: the problems reported so far (those of a year's end
    # pooling change count as the trade that reaches the new year's), the start of the next year
    # (never, without `ends`)
    count = len(problems)
    next_year_at = datetime.max.replace(tzinfo=UTC) if ends is None else ends.next_year_at
    trades.reverse()  # pop() from the end: each record is released as soon as it is folded
    pop = trades.pop
    while trades:
        record = pop()
        if record.event.at >= next_year_at:  # type: ignore[union-attr]
            ends.reach(record.event.at)  # type: ignore[union-attr]
            next_year_at = ends.next_year_at  # type: ignore[union-attr]
        yield record  # the fold steps it here
        if len(problems) != count or record.seq in named:
            kept.append(record)
            owners += [0] * (count - len(owners)) + [record.seq] * (len(problems) - count)
            count = len(problems)
        if crypto is not None and len(acquisitions) - sifted >= SIFT_EVERY:
            acquisitions[sifted:] = tracked(acquisitions[sifted:], crypto=crypto)
            sifted = len(acquisitions)
    if crypto is not None:
        acquisitions[sifted:] = tracked(acquisitions[sifted:], crypto=crypto)
    if ends is not None:
        ends.close()


def _washed_open_lots(wash: WashPass, open_lots: Sequence[OpenLot]) -> Iterator[OpenLot]:
    """The open lots with the washed units marked: read after the washed slices (`WashPass.open_lots`)."""
    yield from wash.open_lots(open_lots)


def _marking(wash: WashPass, year_to_lots: dict[int, tuple[OpenLot, ...]]) -> Callable[[int | None], None]:
    """The `upto` of `WashPass.slices` that marks each year's end lots (`Replay.year_end_lots`) once
    every slice sold in or before that year has been through the pass (R4.3, as `lots --year-end`)."""
    waiting = sorted(year_to_lots)

    def upto(year: int | None) -> None:
        while waiting and (year is None or waiting[0] < year):
            done = waiting.pop(0)
            year_to_lots[done] = tuple(wash.marked_now(year_to_lots[done]))

    return upto


def _seq(record: Recorded) -> int:
    return record.seq


def _drained(items: list[Slice]) -> Iterator[Slice]:
    """The items of a list nobody else holds, each let go of once handed out."""
    for i, item in enumerate(items):
        items[i] = None  # type: ignore[call-overload]
        yield item
    items.clear()
