"""The projection stages in order (STYLE.md 9): knowledge -> lots -> wash sales -> late corrections.

`project` is the one function reports call: a pure function of (log prefix, time zone). `replay` is
the same projection for a log read once, front to back, that keeps only what the reports read.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Sequence
from datetime import datetime
from decimal import FloatOperation, localcontext
from zoneinfo import ZoneInfo

import msgspec

from ledger.events import Recorded
from projections.checkpoint import freeze_engine
from projections.knowledge import live
from projections.lots_engine import PRECISION, TRADES, LotBookState, book, finish, fold_order, step
from projections.model import Booked, IncomeRow, Problem, Slice
from projections.rules.late_identification import corrections, late_lot_corrections, note_first_sell
from projections.rules.wash_sale import WashPass, apply_wash_sales, crypto_ever, tracked


def project(
    records: Sequence[Recorded], *, tz: ZoneInfo, until_seq: int | None = None, until: datetime | None = None
) -> Booked:
    """Lots, disposals (with wash-sale adjustments), income and problems for the log up to `until_seq`.

    `records` is the log in seq order, retractions included; `until` (event time) cuts trades off
    for a point-in-time view such as `lots --on DATE`.
    """
    known = live(records, until_seq=until_seq)
    return after_lots(book(known, tz=tz, until=until), records, known, tz=tz, until_seq=until_seq)


def after_lots(
    booked: Booked, records: Sequence[Recorded], known: Sequence[Recorded], *, tz: ZoneInfo, until_seq: int | None
) -> Booked:
    """The stages after the lot engine (a checkpointed replay joins here): wash sales over the live
    events `known`, then the sells whose `lots` a later correction named (R3.6, from the whole log)."""
    washed = apply_wash_sales(booked, known, tz=tz)
    return _with_late(washed, late_lot_corrections(records, until_seq=until_seq))


def _with_late(washed: Booked, late: list[Problem]) -> Booked:
    return msgspec.structs.replace(washed, problems=washed.problems + tuple(late)) if late else washed


SIFT_EVERY = 4096  # acquisitions: `replay` drops those the wash-sale pass never reads in batches of this many


class Replay(msgspec.Struct, frozen=True, kw_only=True):
    """A projection of a log read once (`replay`): what the reports read of `project`'s result,
    with the slices as a stream.

    Attributes:
        slices: `project(...).slices` one at a time, in the same order (8949 order, wash sales
            applied); an iterator that can be read once.
        income: `project(...).income`.
        problems: `project(...).problems`.
        log: the live events `tax_years` and `wallet_reports` read, in seq order: every event that
            is not a trade, the first and the last trade in event time (the span of years) and each
            trade a problem names. `tax_years(booked, log)` equals `tax_years(booked, records)`.
        engine: with `freeze`, the lot engine's state after the fold (`checkpoint.freeze_engine`).
        step_problems: how many of `problems`, from the front, the fold's steps reported.
        late_problems: how many of `problems`, at the end, are R3.6 corrections.
    """

    slices: Iterator[Slice]
    income: tuple[IncomeRow, ...]
    problems: tuple[Problem, ...]
    log: list[Recorded]
    engine: bytes | None = None
    step_problems: int = 0
    late_problems: int = 0


def replay(
    records: Iterable[Recorded], *, tz: ZoneInfo, until_seq: int | None = None, targets: Container[str] | None = None,
    freeze: bool = False,
) -> Replay:
    """`project(records, until_seq=...)` for a log given as an iterable in seq order (a store's
    `iter_read`), keeping only what the reports read (issue #7): each trade is dropped once the
    lot engine has stepped it, so the decoded log and the lots it becomes are never all in memory
    together; the acquisitions and open lots go once the wash-sale pass has what it reads of them;
    and each unwashed slice goes as `Replay.slices` hands out its washed rows. `targets`: the keys
    the log's retractions target, if known (`knowledge.live`). `freeze`: keep the engine's state for
    a checkpoint (`Replay.engine`)."""
    first_sells: dict[str, Recorded] = {}
    noted = _noting_first_sells(records, first_sells, until_seq=until_seq, targets=targets)
    known = live(noted, until_seq=until_seq, targets=targets)
    late = corrections(first_sells, known)
    first_sells.clear()
    named = {p.seq for p in late}
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ctx.traps[FloatOperation] = True
        state = LotBookState(known, tz=tz)
        crypto = crypto_ever(known)
        kept = [r for r in known if not isinstance(r.event, TRADES)]
        trades = fold_order(known)
        known.clear()  # ours (`live` built it): from here on `trades` holds the only reference to each trade
        if trades:
            kept += (trades[0], trades[-1])
        trades.reverse()  # pop() from the end: each record is released as soon as it is stepped
        problems, acquisitions = state.problems, state.acquisitions
        sifted = 0  # acquisitions[:sifted] are those the wash-sale pass reads: the rest go as they come
        while trades:
            record = trades.pop()
            count = len(problems)
            step(state, record)
            if len(problems) != count or record.seq in named:
                kept.append(record)
            if len(acquisitions) - sifted >= SIFT_EVERY:
                acquisitions[sifted:] = [a for a in acquisitions[sifted:] if tracked(a, crypto=crypto)]
                sifted = len(acquisitions)
        acquisitions[sifted:] = [a for a in acquisitions[sifted:] if tracked(a, crypto=crypto)]
        engine = freeze_engine(state) if freeze else None  # a checkpoint: before `finish` changes the pools
        steps = len(problems)
        booked = finish(state)
    del state, trades  # the engine's pools and its list of slices
    log = sorted({r.seq: r for r in kept}.values(), key=_seq)
    wash = WashPass(booked, log, tz=tz)
    slices = list(booked.slices)
    income, problems_out = booked.income, booked.problems + tuple(late)
    del booked
    unwashed = _drained(slices)
    return Replay(
        slices=wash.slices(unwashed) if wash.active else unwashed, income=income, problems=problems_out, log=log,
        engine=engine, step_problems=steps, late_problems=len(late),
    )


def _seq(record: Recorded) -> int:
    return record.seq


def _drained(items: list[Slice]) -> Iterator[Slice]:
    """The items of a list nobody else holds, each let go of once handed out."""
    for i, item in enumerate(items):
        items[i] = None  # type: ignore[call-overload]
        yield item
    items.clear()


def _noting_first_sells(
    records: Iterable[Recorded], first: dict[str, Recorded], *, until_seq: int | None, targets: Container[str] | None
) -> Iterator[Recorded]:
    """`records` unchanged, noting each sell key's first recording on the way (R3.6 needs it); with
    `targets`, only for those keys: a key is recorded again only after a retraction of it."""
    for record in records:
        if (until_seq is None or record.seq <= until_seq) and (targets is None or record.key in targets):
            note_first_sell(first, record)
        yield record
