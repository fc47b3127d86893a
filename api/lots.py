"""Open lots as a library: `lots` (CONTRACT §1), wash-sale adjustments included.

Replays the log as of a knowledge point up to the end of one local date, streamed from the store
(`projections.pipeline.replay` with `until`, materialised); the lots are `projections.model.OpenLot`, and
`to_json()` gives CONTRACT §3 `lots --json` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import msgspec

if TYPE_CHECKING:
    from ..projections.model import Booked, OpenLot, Problem


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last instant of a local date (trades at or before it count)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz) - timedelta(microseconds=1)


def lots_day(on: str | None, year_end: int | None, tz: ZoneInfo) -> date:
    """The date `lots` reports on: `on` (YYYY-MM-DD), December 31 of `year_end`, else today in `tz`;
    a `UsageError` for both, a bad date or a year out of range."""
    from ..ledger.errors import UsageError

    if on is not None and year_end is not None:
        raise UsageError("lots: give either --on DATE or --year-end YEAR, not both")
    if year_end is not None:
        return date(year_end, 12, 31)
    return on_day(on, tz, command="lots")


def on_day(on: str | None, tz: ZoneInfo, *, command: str) -> date:
    """A command's `--on DATE` (YYYY-MM-DD), else today in `tz`: a `UsageError` naming `command`
    for a bad date or a year out of range (`lots`, `harvest`)."""
    from ..ledger.errors import UsageError
    from ..ledger.limits import year_problem

    if on is None:
        return datetime.now(tz).date()
    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise UsageError(f"{command}: --on {on!r} is not a date YYYY-MM-DD") from None
    problem = year_problem(day.year)
    if problem is not None:
        raise UsageError(f"{command}: --on {on}: year {problem}")
    return day


def open_lot_row(lot: OpenLot) -> dict[str, Any]:
    """One CONTRACT §3 `lots --json` row, plus acquisition time, covered status and wash-sale facts."""
    from ..projections.form8949 import money, plain

    return {
        "asset": lot.asset,
        "wallet": lot.wallet,
        "qty": plain(lot.qty),
        "cost_basis": money(lot.basis),
        "date_acquired": lot.date_acquired.isoformat(),
        "lot": lot.lot,
        "class": lot.asset_class,
        "acquired_at": lot.acquired_at.isoformat().replace("+00:00", "Z"),
        "covered": lot.covered,
        "transferred": lot.transferred,
        "wash_adjustment": money(lot.wash_adjustment),
        "wash": [
            {
                "loss_key": w.loss_key,
                "loss_seq": w.loss_seq,
                "loss_lot": w.loss_lot,
                "replacement_lot": w.replacement_lot,
                "qty": plain(w.qty),
                "amount": money(w.amount),
                "days": w.days,
            }
            for w in lot.wash
        ],
    }


class OpenLots(msgspec.Struct, frozen=True):
    """The open lots at the end of one local date.

    Attributes:
        day: the date.
        booked: the projection up to the end of it (`booked.open_lots`, `booked.problems`); its
            slices and acquisitions are not kept (empty: `lots` reads only the final state).
    """

    day: date
    booked: Booked

    @property
    def lots(self) -> Sequence[OpenLot]:
        return self.booked.open_lots

    @property
    def problems(self) -> Sequence[Problem]:
        return self.booked.problems

    def to_json(self) -> list[dict[str, Any]]:
        """`lots --json`: one row per open lot (`open_lot_row`)."""
        return [open_lot_row(lot) for lot in self.booked.open_lots]


def open_lots(
    db: Path, *, as_of: str | None = None, on: str | None = None, year_end: int | None = None,
    day: date | None = None, strict: bool = False,
) -> OpenLots:
    """`lots`: replay the ledger as of `as_of` up to the end of the chosen local date: `day`, else
    `on` (YYYY-MM-DD) or `year_end` (`lots_day`), else today in the ledger's time zone."""
    from ..ledger.speed import gc_paused
    from ..projections.model import Booked
    from ..projections.pipeline import replay
    from .reading import open_ledger

    with open_ledger(db, strict=strict) as store:
        seq = store.resolve(as_of)
        tz = store.timezone
        chosen = day or lots_day(on, year_end, tz)
        with gc_paused():  # streamed (issue #11): the log is never held whole, as in `report all`
            targets = store.retract_targets(until=seq)
            run = replay(store.iter_read(until=seq), tz=tz, until_seq=seq, until=end_of_day(chosen, tz),
                         targets=targets, keep_open=True)
            for _ in run.slices:  # through the wash-sale pass, which marks the open lots; none kept
                pass
            booked = Booked(slices=(), acquisitions=(), open_lots=tuple(run.open_lots), income=run.income,
                            problems=run.problems, donations=run.donations, unit_changes=run.unit_changes)
    return OpenLots(day=chosen, booked=booked)
