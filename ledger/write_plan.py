"""Write planning (issue #11): what a write appends, decided without touching SQLite.

The store reads what a write needs (the rows a source already holds, `stored_of`), calls `plan`, and
appends what the plan says. `plan` is pure: it decides which items are duplicates (same key, same
body: nothing appended), which are conflicts (same key, another body: DuplicateEvent unless
`--replace`), which live events a `--replace` retracts (those it replaces, and the source's live
events the file no longer holds), and the corrected-export warning of an import without `--replace`.
`likely_warnings` words the `txid` matches with other sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from . import codec
from .errors import DuplicateEvent
from .events import Retract


class Item(msgspec.Struct, gc=False):
    """An event on its way into the log; `key` None means "decide at write time" (add, retract).

    Only the canonical body and its indexed facts travel (no Event objects): a million-line import
    holds a body and a key per line, and nothing else.
    """

    where: str  # the file the line is in, or the whole place ("add", a Parsed's `where`)
    facts: codec.Decoded
    key: str | None
    line: int = 0  # the line in `where`, 0 when `where` is the whole place

    def place(self) -> str:
        """`FILE:LINE` (or `add`) for messages."""
        return f"{self.where}:{self.line}" if self.line else self.where


class Stored(msgspec.Struct, frozen=True):
    """What a source holds, against the items of a write (`stored_of`).

    Attributes:
        hits: key -> (seq, stored body) for the keys of the items: the source's live event or
            retraction under that key (the stored body is the item's own bytes when they are equal).
        missing: key -> seq of the source's live events (retractions excluded) no item has the key of.
    """

    hits: dict[str, tuple[int, bytes]]
    missing: dict[str, int]


NOTHING_STORED = Stored({}, {})


class LikelyDuplicate(msgspec.Struct, frozen=True, kw_only=True):
    """A new event whose exchange id (`txid`) is already on a live event of another source.

    Attributes:
        key: the new event's key.
        txid: the exchange id they share.
        other_source: the source of the live event.
        other_key: the live event's key.
    """

    key: str
    txid: str
    other_source: str
    other_key: str


class WritePlan(msgspec.Struct, frozen=True, kw_only=True):
    """What one write will do, before the store's checks and its append.

    Attributes:
        fresh: the items to append, in their order (keys of `add` and of retract events still None).
        duplicates: keys already stored with the same body: nothing is appended for them.
        retractions: (key, seq) of the live events to retract, in seq order (`--replace`): appended
            first, as `retract` events whose reason names `origin`.
        warnings: sentences for the user (a corrected export imported without `--replace`).
    """

    fresh: list[Item]
    duplicates: tuple[str, ...] = ()
    retractions: tuple[tuple[str, int], ...] = ()
    warnings: tuple[str, ...] = ()

    def retracted(self) -> set[str]:
        """The keys this plan retracts."""
        return {key for key, _ in self.retractions}

    def retract_items(self, origin: str) -> list[Item]:
        """The `retract` events of `retractions`, to append before `fresh` (keys still None)."""
        reason = f"replaced by import of {origin}"
        return [Item(origin, codec.decoded(Retract(target=key, reason=reason)), None) for key, _ in self.retractions]


def stored_of(rows: Iterable[tuple[str, int, bytes, str]], items: Sequence[Item]) -> Stored:
    """`Stored` from the source's rows (key, seq, body, type) in seq order: its live events and every
    retraction it recorded. A key met twice: the last row counts. The stored bodies stream past and
    are compared on the way: one equal to the item's body is kept as the item's own bytes, so a
    re-import holds no second copy."""
    item_body: dict[str, bytes] = {}
    for item in items:
        if item.key is not None:
            item_body.setdefault(item.key, item.facts.body)
    hits: dict[str, tuple[int, bytes]] = {}
    missing: dict[str, int] = {}
    for key, seq, body, kind in rows:
        mine = item_body.get(key)
        if mine is not None:
            hits[key] = (seq, mine if body == mine else body)
        elif kind != "retract":
            missing[key] = seq
        else:
            missing.pop(key, None)
    return Stored(hits, missing)


def plan(
    stored: Stored, items: Sequence[Item], *, source: str, origin: str, replace: bool, whole_source: bool
) -> WritePlan:
    """Decide duplicates, conflicts and retractions of writing `items` to `source` (pure).

    `whole_source`: the items are a whole file of the source (`import`): with `replace` the source's
    live events it lacks are retracted, without it their existence is a warning. A key stored with
    another body is a DuplicateEvent, unless `replace` (and the item is not itself a retraction).
    """
    key_to_stored = stored.hits
    duplicates: list[str] = []
    to_retract: dict[str, int] = {}
    fresh: list[Item] = [] if key_to_stored else list(items)  # nothing stored to compare: all fresh
    for item in items if key_to_stored else ():
        found = key_to_stored.get(item.key) if item.key is not None else None
        if found is not None:
            seq, body = found
            if body == item.facts.body:
                duplicates.append(item.key)  # type: ignore[arg-type]
                continue
            if not replace or item.facts.tag == "retract":
                advice = (
                    "pass --replace to retract it and append this one"
                    if whole_source
                    else f"retract {item.key} first, or use another --id"
                )
                raise DuplicateEvent(
                    f"{item.place()}: field 'id': key {item.key!r} is already live (seq {seq}) with a "
                    f"different body; {advice}"
                )
            to_retract[item.key] = seq  # type: ignore[index]
        fresh.append(item)
    warnings: list[str] = []
    missing = stored.missing
    if whole_source:
        if replace:
            to_retract.update(missing)
        elif missing:
            warnings.append(
                f"source {source!r} has {len(missing)} live event(s) that {origin} does not contain: "
                "if it is a corrected export, import it again with --replace (a corrected line "
                "without an id gets a new key and would otherwise count twice)"
            )
    return WritePlan(
        fresh=fresh,
        duplicates=tuple(duplicates),
        retractions=tuple(sorted(to_retract.items(), key=lambda kv: kv[1])),
        warnings=tuple(warnings),
    )


def likely_warnings(likely: Iterable[LikelyDuplicate], *, origin: str) -> list[str]:
    """One warning per other source the new events share exchange ids with."""
    source_to_found: dict[str, list[LikelyDuplicate]] = {}
    for found in likely:
        source_to_found.setdefault(found.other_source, []).append(found)
    return [
        f"{len(found)} event(s) of {origin} have an exchange id (txid) already live in source {other!r} "
        f"(txid {found[0].txid!r}: {found[0].key} here, {found[0].other_key} there): likely the same "
        "transactions imported twice; if so, retract one copy (gainlog retract KEY)"
        for other, found in source_to_found.items()
    ]


__all__ = ["NOTHING_STORED", "Item", "LikelyDuplicate", "Stored", "WritePlan", "likely_warnings", "plan", "stored_of"]
