"""One year's Schedule D after an append, from a checkpoint and the tail alone (issue #7).

A checkpoint (projections.checkpoint) keeps the lot engine's state at seq S. Replaying a
million-event log to answer `report schedule-d` after one more trade would rebuild everything; but
Schedule D needs only per-box totals of each year's 8949 rows, the year facts (`profile`,
`carryover`) and the warnings. `years_part_of` stores those next to the engine state, and
`schedule_d_after` folds the tail (S, K] into them: the tail's trades go through the same `step`
and `finish` on the restored engine (whose pools are small: only open lots), their slices through
the same `form8949.rows`, the totals and facts through the same `tax_year.chain`.

It answers only when that provably equals a full replay, else None and the caller replays. Every tail
event must be
- a trade at or after the checkpoint's horizon (`checkpoint.tail_qualifies`) that names no `lots`
  and whose assets are not stock, in a log where no `policy` ever puts crypto under the wash-sale
  rule: then the wash-sale pass can neither touch the tail's slices nor use its acquisitions as
  replacements (R4.5), so the earlier years' washed totals stand; or
- a `profile` or `carryover` event (year facts, folded in seq order).
A `wallet`, `method`, `policy` or `allocate` event, a retraction, a backdated or stock trade, the
`stock` class for an asset already used without a class, or a pooling change still due after the
checkpoint (R3.3) means None.

Example: a checkpoint at the head of a 1M-event log, then one crypto buy today: Schedule D for this
year comes from the stored totals and one `step` (no slices), in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import msgspec

from ..ledger.events import TRADES, Carryover, Policy, Profile, Recorded, Sell, Swap
from . import checkpoint as cp
from .engine import LotBookState
from .form8949 import rows
from .model import Problem
from .rules.form_box import WalletReports, wallet_reports
from .tax_year import (
    Facts,
    ScheduleD,
    YearBoxes,
    YearProblem,
    add_rows,
    chain,
    problem_years,
)

YEARS = "years"  # the part's name in a checkpoint


class YearsPart(msgspec.Struct, array_like=True):
    """What a checkpoint keeps for Schedule D besides the engine state.

    Attributes:
        year_boxes: per year, per box, the totals of the 8949 rows (after wash sales).
        facts: the year facts of the live events.
        step_problems: the engine's problems from its steps (before `finish`), with their years.
        late_corrections: R3.6 problems from `--replace` corrections, with their years.
        wallets: the `wallet` settings (which box a row goes in).
        crypto_wash: whether any `policy` puts crypto under the wash-sale rule.
    """

    year_boxes: YearBoxes
    facts: Facts
    step_problems: list[YearProblem]
    late_corrections: list[YearProblem]
    wallets: WalletReports
    crypto_wash: bool


_ENCODER = msgspec.msgpack.Encoder(decimal_format="string")
_DECODER = msgspec.msgpack.Decoder(YearsPart)


def years_part_of(
    year_boxes: YearBoxes, log: Sequence[Recorded], *, step_problems: Sequence[Problem],
    late_corrections: Sequence[Problem], tz: ZoneInfo,
) -> bytes:
    """The part for a checkpoint, from a full replay's rows added up (`tax_year.slice_boxes` of its
    washed slices, or `report all`'s totals as it writes), its live events `log` (every non-trade event,
    and the trades its problems name: `pipeline.Replay.log`), the engine's problems before `finish`
    and the R3.6 corrections."""
    wallets = wallet_reports(log)
    facts = Facts()
    facts.add(log)
    crypto_wash = any(isinstance(r.event, Policy) and r.event.wash_sale_crypto for r in log)
    return _ENCODER.encode(YearsPart(
        year_boxes=year_boxes, facts=facts, step_problems=problem_years(step_problems, log, tz),
        late_corrections=problem_years(late_corrections, log, tz), wallets=wallets, crypto_wash=crypto_wash,
    ))


def encode_years(part: YearsPart) -> bytes:
    """The stored form of a `years` part (`report_checkpoint.Tail` makes one after a tail)."""
    return _ENCODER.encode(part)


def _qualifies(state: LotBookState, part: YearsPart, horizon: cp.Horizon | None, tail: Sequence[Recorded]) -> bool:
    """The module docstring's rule, but for the asset classes (`_touches_stock`, after `adopt_classes`)."""
    if not cp.tail_qualifies(horizon, tail) or state.next_transition < len(state.transitions):
        return False
    for record in tail:
        event = record.event
        if isinstance(event, Profile | Carryover):
            continue
        if not isinstance(event, TRADES) or part.crypto_wash or (isinstance(event, Sell) and event.lots):
            return False
    return True


def qualifies(state: LotBookState, part: YearsPart, horizon: cp.Horizon | None, tail: Sequence[Recorded]) -> bool:
    """The module docstring's rule but for the asset classes (projections.report_checkpoint adds its own)."""
    return _qualifies(state, part, horizon, tail)


def _touches_stock(state: LotBookState, tail: Sequence[Recorded]) -> bool:
    for record in tail:
        event = record.event
        if isinstance(event, TRADES):
            assets = (event.give_asset, event.get_asset) if isinstance(event, Swap) else (event.asset,)
            if any(state.asset_class.get(asset, "crypto") == "stock" for asset in assets):
                return True
    return False


def schedule_d_after(
    engine: bytes, totals: bytes, horizon: cp.Horizon | None, tail: Sequence[Recorded], *, tz: ZoneInfo, year: int
) -> ScheduleD | None:
    """Schedule D for `year` after folding `tail` (the events after the checkpoint, seq order) into a
    checkpoint's `state` part (`engine`) and `years` part (`totals`); None when the tail does not
    qualify (module docstring)."""
    state = cp.thaw_engine(engine, tz=tz)
    try:
        part = _DECODER.decode(totals)
    except msgspec.DecodeError:
        return None
    if state is None or not _qualifies(state, part, horizon, tail):
        return None
    if not cp.adopt_classes(state, tail) or _touches_stock(state, tail):
        return None
    tail_booked = cp.booked(cp.fold(state, tail))  # no pooling change is due (`_qualifies`): only the tail's
    named = [*tail, *state.allocation_used.values()]  # what the tail's problems can name
    problems = [*part.step_problems, *problem_years(tail_booked.problems, named, tz), *part.late_corrections]
    add_rows(part.year_boxes, rows(tail_booked.slices, part.wallets))
    part.facts.add(tail)
    years, _, _ = chain(part.year_boxes, part.facts, problems, tz=tz, through=year)
    return years[year]
