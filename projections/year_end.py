"""The open lots at the end of each calendar year, taken on the way through the one fold.

`year_end_lots(trades, state, out)` hands the trades to the fold unchanged (`YearEnds` does the
same inside a loop that hands them itself); before the first trade of a later year it records, for
each year that ended since the last trade, the units the pools hold (`engine.open_lots_now`),
after the pooling changes due by December 31 (`apply_transitions`: the same change the next
trade's step would make first). After the last trade, `out` gets the last trade's year and each
year through that of the last pooling change still due (`finish` would make it); a later year
holds what the last one in `out` holds. The `report html` page reads them (no second replay).

Example: buy 1 BTC in 2023, sell 0.4 in 2024, buy 1 ETH in 2026 -> out[2023] = 1 BTC,
out[2024] = out[2025] = 0.6 BTC, and after the last trade out[2026] = 0.6 BTC and 1 ETH.

These are the lots as the fold left them; `pipeline.replay` then marks the washed units each held
at the year's end (R4.3: the disallowed loss in its basis) once the wash-sale pass has read every
slice sold by then (`WashPass.marked_now`), as `lots --year-end YEAR` shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime

from ..ledger.events import Recorded
from .engine import LotBookState
from .engine.fold import open_lots_now
from .engine.transitions import apply_transitions
from .model import OpenLot
from .rules.holding_period import local_date


def year_end_lots(
    trades: Iterable[Recorded], state: LotBookState, out: dict[int, tuple[OpenLot, ...]],
    before_end: Callable[[], None] | None = None,
) -> Iterator[Recorded]:
    """`trades` unchanged; on the way, `out[year]` = the open lots at the end of each year from the
    first trade's through the last trade's, or the last pooling change's when later (see the module
    docstring). `before_end` is called after the last trade, before the pooling changes still due are
    applied for the last years' lots (a checkpoint is the state as the trades left it)."""
    ends = YearEnds(state, out, before_end)
    for record in trades:
        at: datetime = record.event.at  # type: ignore[union-attr]
        if at >= ends.next_year_at:
            ends.reach(at)
        yield record
    ends.close()


class YearEnds:
    """What `year_end_lots` notes, for a caller that already loops over the trades
    (`pipeline.replay`, one generator per trade fewer): before folding a trade at `at`, call
    `reach(at)` when `at >= next_year_at`; after the last trade, `close()`."""

    def __init__(
        self, state: LotBookState, out: dict[int, tuple[OpenLot, ...]], before_end: Callable[[], None] | None = None
    ) -> None:
        self.state, self.out, self.before_end = state, out, before_end
        self.year: int | None = None
        # the first instant of year + 1 in the ledger's zone, held in the trades' own tzinfo (UTC):
        # one compare of plain fields per trade, where two zones would ask each for its UTC offset
        self.next_year_at = datetime.min.replace(tzinfo=UTC)

    def reach(self, at: datetime) -> None:
        """The trade at `at` is the first of a later year (or the first): note the years that ended."""
        now = local_date(at, self.state.tz).year
        if self.year is not None and now > self.year:
            _snapshot(self.state, self.out, range(self.year, now))
        self.year = now
        self.next_year_at = datetime(now + 1, 1, 1, tzinfo=self.state.tz).astimezone(at.tzinfo)

    def close(self) -> None:
        """After the last trade: on through the last pooling change (the 2025 allocation to wallets)."""
        if self.year is None:
            return
        state = self.state
        if self.before_end is not None:
            self.before_end()
        last = max([self.year, *(day.year for day in state.transitions[state.next_transition:])])
        _snapshot(state, self.out, range(self.year, last + 1))


def _snapshot(state: LotBookState, out: dict[int, tuple[OpenLot, ...]], years: range) -> None:
    """out[y] for each of `years` (no trade falls in between): what the pools hold at the end of y,
    after the pooling changes due by then."""
    lots: tuple[OpenLot, ...] | None = None
    for year in years:
        due = state.next_transition
        apply_transitions(state, date(year, 12, 31))
        if lots is None or state.next_transition != due:
            lots = tuple(open_lots_now(state))
        out[year] = lots
