"""R3.6 Identification must exist before the sale (Treas. Reg. §1.1012-1(c), (j)).

The lot engine warns when a `method` election recorded after a disposal changes it. This rule
covers the other way a late identification enters the log: a corrected export (`import --replace`)
whose sell now names `lots` it did not name when the sale was first recorded. The correction still
applies (the log says what happened), but every report lists it under `warnings`.

Example: a sell recorded on 2025-02-01 without `lots`, replaced on 2025-03-10 by the same sell
naming lot `b` -> "late-identification" for that sell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ...ledger.events import Recorded, Sell
from ..knowledge import live
from ..model import Problem


def late_lot_corrections(records: Sequence[Recorded], *, until_seq: int | None = None) -> list[Problem]:
    """A problem for each live sell whose `lots` differ from those of its key's first recording."""
    first: dict[str, Recorded] = {}
    known = live(records, until_seq=until_seq, first_sells=first)
    return corrections(first, known)


def corrections(first: Mapping[str, Recorded], known: Iterable[Recorded]) -> list[Problem]:
    """The problems of `late_lot_corrections`, from each sell key's first recording (`knowledge.live`
    notes them: a key missing there was recorded once) and the live events: a log read once
    collects both in the same pass."""
    problems = []
    for record in known:
        event = record.event
        if not isinstance(event, Sell) or not event.lots:
            continue
        original = first.get(record.key, record)
        assert isinstance(original.event, Sell)
        if original.seq != record.seq and original.event.lots != event.lots:
            problems.append(Problem(
                code="late-identification",
                seq=record.seq,
                message=f"{record.key}: the lots this sale names were recorded at "
                f"{record.recorded_at:%Y-%m-%d %H:%M} UTC by a correction, after the sale was first recorded "
                f"at {original.recorded_at:%Y-%m-%d %H:%M} UTC (seq {original.seq}) (R3.6)",
                hint="identification must exist before the sale; keep the correction only if it did",
            ))
    return problems
