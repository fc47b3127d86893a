"""Which events count at a point of knowledge: the live set (CONTRACT §1 `log`, `--as-of`).

An event is live when no `retract` recorded after it (and at or before the knowledge point)
targets its key. A key retracted and imported again is live again: the new event has a later seq.
"""

from __future__ import annotations

import sys
from collections.abc import Container, Iterable

from ..ledger.events import Recorded, Retract, Sell


def live(
    records: Iterable[Recorded], *, until_seq: int | None = None, targets: Container[str] | None = None,
    first_sells: dict[str, Recorded] | None = None,
) -> list[Recorded]:
    """The live events among `records` (ordered by seq) with seq <= until_seq, in seq order.

    `targets`, when given, holds every key a `retract` among `records` targets (the store knows
    them: `Store.retract_targets`); only those keys are then indexed, instead of every key of a
    log of a million events (issue #7). Empty (the log has no retraction, the common case): each
    record up to `until_seq` is live, and none is looked up (issue #19).

    `first_sells`, when given, gets each sell key's first recording on the way (R3.6,
    `rules.late_identification.corrections`); with `targets`, only for those keys: a key is
    recorded again only after a retraction of it. The same pass, so no second loop over the log.
    """
    last = sys.maxsize if until_seq is None else until_seq
    if targets is not None and not targets:  # no retraction: every other record is live, no key indexed
        every: list[Recorded] = []
        add = every.append
        for record in records:  # once per event of the log
            if record.seq > last:
                break
            if type(record.event) is not Retract:  # none, unless its row lost its target (`verify`)
                add(record)
        return every
    key_to_index: dict[str, int] = {}
    kept: list[Recorded | None] = []
    keep = kept.append
    dropped = 0
    for record in records:  # once per event of the log
        if record.seq > last:
            break
        if type(record.event) is Retract:  # no event type is a subclass of another
            index = key_to_index.pop(record.event.target, None)
            if index is not None:
                kept[index] = None
                dropped += 1
            continue
        if targets is None or record.key in targets:
            key_to_index[record.key] = len(kept)
            if first_sells is not None and type(record.event) is Sell:
                first_sells.setdefault(record.key, record)
        keep(record)
    if not dropped:  # no second list of a million records
        return kept  # type: ignore[return-value]
    return [r for r in kept if r is not None]
