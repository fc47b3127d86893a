"""The audit trail behind a year's numbers (CONTRACT §1 `explain`): which events made each figure.

For every Form 8949 row: the disposal, the acquisition of the lot, the self-transfers of that asset
the units could have travelled through (between acquisition and sale, touching the acquiring or
the selling wallet), the wash-sale links the row carries or sends (and the broker's figure of a sell
carrying `wash_disallowed`, R4.6), and the lot-selection method the
engine used for the row's units (`Slice.method`: the method in force, with the election that set
it, or the sell's own `lots`). For Schedule D: which rows make
each total, where the carryover in came from, and the profile facts used.

Returns seqs and keys only; the CLI attaches the events' bodies.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from ..ledger.events import Carryover, Profile, Recorded, Rename, Reorg, Sell, Split, Transfer, assets_of
from .exact import minus, total
from .form8949 import sold_order
from .model import SPECIFIC, Booked, Slice, WashLink
from .settings import Settings


def _wash(link: WashLink) -> dict[str, Any]:
    return {
        "loss_event": link.loss_key, "loss_seq": link.loss_seq, "loss_lot": link.loss_lot,
        "replacement_lot": link.replacement_lot, "qty": format(link.qty, "f"),
        "amount": format(link.amount, "f"), "days_tacked": link.days,
    }


def _reported(s: Slice, disposal: Recorded | None) -> dict[str, Any] | None:
    """The broker's wash-sale figure behind a row (R4.6): the sell's `wash_disallowed` and this row's
    share of it (its adjustment less the losses the wash-sale pass moved from it); None without one."""
    if disposal is None or not isinstance(disposal.event, Sell) or disposal.event.wash_disallowed is None:
        return None
    moved = total(w.amount for w in s.wash if w.loss_key == s.event_key)
    return {"event": disposal.key, "wash_disallowed": format(disposal.event.wash_disallowed, "f"),
            "amount": format(minus(s.adjustment, moved), "f")}


def year_slices(booked: Booked, year: int) -> list[Slice]:
    """The year's slices in Form 8949 row order (date sold, seq, selection order)."""
    ordered = sorted(booked.slices, key=sold_order)
    return [s for s in ordered if s.date_sold.year == year]


class Transfers:
    """The self-transfers of the live events per asset, in event-time order: a row asks for those
    in its holding window (`between`) without scanning every transfer of the ledger (`explain` on a
    large log reads a window per row, not the whole list)."""

    def __init__(self, known: Sequence[Recorded]) -> None:
        asset_to_moves: dict[str, list[tuple[datetime, int, Recorded]]] = {}
        for index, record in enumerate(known):
            if isinstance(record.event, Transfer):
                asset_to_moves.setdefault(record.event.asset, []).append((record.event.at, index, record))
        for moves in asset_to_moves.values():
            moves.sort(key=lambda move: move[:2])
        self._asset_to_moves = asset_to_moves
        self._asset_to_times = {asset: [move[0] for move in moves] for asset, moves in asset_to_moves.items()}

    def between(self, asset: str, start: datetime, end: datetime) -> list[Recorded]:
        """The transfers of `asset` with start <= event time <= end, in the order of the live events."""
        times = self._asset_to_times.get(asset)
        if not times:
            return []
        window = self._asset_to_moves[asset][bisect_left(times, start):bisect_right(times, end)]
        window.sort(key=lambda move: move[1])
        return [move[2] for move in window]


class Changes:
    """The splits, renames and reorganizations of the live events (few): those a row's lot went
    through between its acquisition and its sale (`between`)."""

    def __init__(self, known: Sequence[Recorded]) -> None:
        self._changes = [r for r in known if isinstance(r.event, Split | Rename | Reorg)]

    def between(self, assets: set[str], start: datetime, end: datetime) -> list[str]:
        """The keys of those naming one of `assets` with start <= event time <= end."""
        return [
            r.key for r in self._changes
            if start <= r.event.at <= end and assets & set(assets_of(r.event))  # type: ignore[union-attr]
        ]


def row_trail(
    s: Slice, *, key_to_record: dict[str, Recorded], transfers: Transfers, settings: Settings,
    scope_day: date, changes: Changes | None = None,
) -> dict[str, Any]:
    """The events behind one 8949 row (`corporate`: the splits, renames and reorganizations its lot
    went through, only when there are any)."""
    acquisition = key_to_record.get(s.lot) if s.lot else None
    start = acquisition.event.at if acquisition is not None else s.sold_at  # type: ignore[union-attr]
    acquiring_wallet = getattr(acquisition.event, "wallet", None) if acquisition is not None else None
    moved = [
        r.key for r in transfers.between(s.asset, start, s.sold_at)
        if isinstance(r.event, Transfer) and r.key != s.event_key
        and (r.event.to == s.wallet or r.event.from_ in (s.wallet, acquiring_wallet))
    ]
    if s.method == SPECIFIC:  # the units the sell's `lots` named
        method: dict[str, Any] = {"method": "specific identification", "event": s.event_key}
    else:  # the method the engine used (`Slice.method`), and the election in force that set it
        choice = settings.method(s.wallet, s.asset, scope_day)
        method = {"method": s.method or choice.method, "event_seq": choice.seq or None,
                  "default": choice.seq == 0}
    trail: dict[str, Any] = {
        "disposal": s.event_key,
        "kind": s.kind,
        "acquisition": s.lot or None,
        "transfers": moved,
        "wash_sale": [_wash(w) for w in s.wash],
        "wash_reported": _reported(s, key_to_record.get(s.event_key)),
        "method": method,
        "missing_basis": s.missing_basis,
        "covered": s.covered,
        "transferred_in": s.transferred,
    }
    if changes is not None:
        assets = {s.asset, *assets_of(acquisition.event)} if acquisition is not None else {s.asset}
        corporate = changes.between(assets, start, s.sold_at)
        if corporate:
            trail["corporate"] = corporate
    return trail


def trails(booked: Booked, known: Sequence[Recorded], year: int) -> list[dict[str, Any]]:
    """One trail per 8949 row of `year`, numbered from 1 in row order."""
    key_to_record = {r.key: r for r in known}
    transfers = Transfers(known)
    settings = Settings(known)
    changes = Changes(known)
    return [
        {"row": i, **row_trail(s, key_to_record=key_to_record, transfers=transfers, settings=settings,
                               scope_day=s.date_sold, changes=changes)}
        for i, s in enumerate(year_slices(booked, year), start=1)
    ]


def year_facts(known: Sequence[Recorded], year: int) -> dict[str, Any]:
    """The settings events that feed the year's netting: profiles and carryover events."""
    status_years = [r.event.year for r in known if isinstance(r.event, Profile) and r.event.filing_status is not None]
    earlier = [y for y in status_years if y <= year]
    return {
        "profile_events": [r.key for r in known if isinstance(r.event, Profile) and r.event.year == year],
        "carryover_events": [r.key for r in known if isinstance(r.event, Carryover) and r.event.year == year],
        # the year whose profile gives `year` its filing status (a profile carries forward), None: single
        "filing_status_year": max(earlier) if earlier else None,
    }
