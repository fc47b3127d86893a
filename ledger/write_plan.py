"""Write planning (issue #11): what a write appends, decided without touching SQLite.

The store reads what a write needs (the rows a source already holds, `stored_of`), calls `plan`, and
appends what the plan says. `plan` is pure: it decides which items are duplicates (same key, same
body: nothing appended), which are conflicts (same key, another body: DuplicateEvent unless
`--replace`), which live events a `--replace` retracts (those it replaces, and the source's live
events the file no longer holds), and the corrected-export warning of an import without `--replace`.
The checks against the rest of the log are pure too, over what the store read for them:
`check_retract_targets`, `check_classes`, and over what `scan_bodies` finds in the bodies
`case_twin_warnings` and `likely_duplicates` with `likely_warnings`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter

import msgspec

from . import codec
from .errors import DuplicateEvent, InvalidEvent
from .events import Retract

CASE_CHUNK = 10_000  # bodies searched for asset names (or txids) at a time
# A JSON string is written `"[^"\\]*(?:\\.[^"\\]*)*"` (the loop unrolled: a third fewer steps of the
# regular expression engine than `"(?:[^"\\]|\\.)*"`, which matches the same strings).
ASSET_NAME = re.compile(rb'asset":("[^"\\]*(?:\\.[^"\\]*)*")')  # `asset`, `give_asset`, `get_asset` in a body
TXID = re.compile(rb'"txid":("[^"\\]*(?:\\.[^"\\]*)*")')  # an event's `txid` in a canonical body
_BODY = attrgetter("facts.body")  # an item's canonical body (read in C, for the scans of every item)


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


def check_retract_targets(items: Sequence[Item], *, retracted: set[str], live: Callable[[str], bool]) -> None:
    """A retract names a key that is live (in the log, `live(key)`, or earlier in this batch) when it
    is recorded; InvalidEvent naming the first that does not. `retracted`: keys the plan retracts."""
    gone = set(retracted)
    added: set[str] = set()
    for item in items:
        target = item.facts.target
        if target is not None:  # a retract
            if not (target in added or (target not in gone and live(target))):
                raise InvalidEvent(f"{item.place()}: field 'target': no live event has key {target!r}")
            gone.add(target)
            added.discard(target)
        elif item.key is not None:
            added.add(item.key)


def check_classes(
    items: Sequence[Item], *, retracted: set[str], stored: Iterable[tuple[str, int, str, str]]
) -> None:
    """An asset's class is fixed by the first event naming it with one (CONTRACT §2): InvalidEvent for
    the first item that names another. `stored`: (key, seq, asset, class) of the log's live events
    naming a class, in seq order (those `retracted` do not count)."""
    asset_to_class: dict[str, tuple[str, str]] = {}
    for key, seq, asset, cls in stored:
        if key not in retracted:
            asset_to_class.setdefault(asset, (cls, f"seq {seq} ({key})"))
    for item in items:
        facts = item.facts
        if facts.class_ is None:
            continue
        known = asset_to_class.get(facts.asset)  # type: ignore[arg-type]
        if known is None:
            asset_to_class[facts.asset] = (facts.class_, item.place())  # type: ignore[index]
        elif known[0] != facts.class_:
            cls, by = known
            raise InvalidEvent(
                f"{item.place()}: field 'class': {facts.asset} is already {cls} (fixed by {by}); "
                "an asset's class never changes"
            )


class BodyFacts(msgspec.Struct, frozen=True):
    """What the bodies of a write's items hold for the checks against the log (`scan_bodies`).

    Attributes:
        names: the asset names: their JSON text (as in a body) -> the name (`case_twin_warnings`).
        txids: the exchange ids (`txid`) of the keyed items -> their keys, in the items' order
            (`likely_duplicates`).
    """

    names: dict[bytes, str]
    txids: dict[str, list[str]]


def scan_bodies(items: Sequence[Item]) -> BodyFacts:
    """The asset names and txids of the items' bodies, in one pass: CASE_CHUNK bodies joined at a time
    and searched at C speed (joining them costs as much as a search: once for both)."""
    raw_names: set[bytes] = set()
    txid_to_keys: dict[str, list[str]] = {}
    for start in range(0, len(items), CASE_CHUNK):
        chunk = items[start : start + CASE_CHUNK]
        joined = b"\n".join(map(_BODY, chunk))
        raw_names.update(ASSET_NAME.findall(joined))
        # Most files have no txid: one search per chunk, not one per item, and for `txid` alone, which
        # any `"txid":` holds: a needle ending in `:` (as every key does) is found a third slower in JSON.
        if b"txid" not in joined:
            continue
        for item in chunk:
            found = TXID.search(item.facts.body) if b'"txid":' in item.facts.body else None
            if found is not None and item.key is not None:
                txid_to_keys.setdefault(msgspec.json.decode(found[1], type=str), []).append(item.key)
    return BodyFacts({raw: msgspec.json.decode(raw, type=str) for raw in raw_names}, txid_to_keys)


def case_twin_warnings(names: dict[bytes, str], log_twins: dict[bytes, str], *, origin: str) -> list[str]:
    """Warnings for the asset `names` (`scan_bodies`) that differ only by case from each other or
    from a name already in the log (`btc` and `BTC` are two assets to gainlog, seldom what was meant).
    `log_twins`: JSON text -> a spelling in the log differing only by case (`find_log_twins`)."""
    warnings: list[str] = []
    folded: dict[str, list[str]] = {}
    for name in names.values():
        folded.setdefault(name.casefold(), []).append(name)
    for group in sorted(folded.values()):
        if len(group) > 1:
            warnings.append(
                f"assets {', '.join(repr(n) for n in sorted(group))} in {origin} differ only by case: "
                "gainlog keeps them as different assets, with separate lots"
            )
    for raw, name in sorted(names.items()):
        twin = log_twins.get(raw)
        if twin is not None:
            warnings.append(
                f"asset {name!r} in {origin} differs only by case from {twin!r}, already in the ledger: "
                "gainlog keeps them as different assets, with separate lots"
            )
    return warnings


def find_log_twins(names: dict[bytes, str], chunks: Iterable[list[bytes]]) -> dict[bytes, str]:
    """For the asset `names` (JSON text -> name) the log does not spell exactly so, a spelling in it
    that differs only by ASCII case (as SQLite's LIKE folds), from the first body in seq order that
    has one (a name the log already spells so was warned about when its twin arrived).

    `chunks`: the log's bodies in seq order, a list at a time. One pass for every name (a search per
    name was two scans of the whole log each: 15 s for 30 new assets at a million events), ended
    early once every name is found spelled exactly, as the usual import of known assets is.
    """
    pending = set(names)  # not yet seen spelled exactly so
    decided: dict[bytes, str | None] = {}  # the twin in the first body with a case variant
    for bodies in chunks:
        joined = b"\n".join(bodies)  # a body is JSON: no newline of its own
        present = set(ASSET_NAME.findall(joined))  # one search per chunk, whatever the number of names
        pending -= present
        if not pending:
            return {}
        wanted: dict[bytes, list[bytes]] = {}
        for raw in pending - decided.keys():
            wanted.setdefault(raw.lower(), []).append(raw)
        for folded in wanted.keys() & {other.lower() for other in present}:
            needle = b'asset":' + folded
            body = next(body for body in bodies if needle in body.lower())
            for raw in wanted[folded]:
                decided[raw] = _twin_in(body, names[raw])
    return {raw: twin for raw in pending if (twin := decided.get(raw)) is not None}


def _twin_in(body: bytes, name: str) -> str | None:
    """The first asset name in `body` other than `name` that equals it but for case."""
    for found in ASSET_NAME.findall(body):
        other = msgspec.json.decode(found, type=str)
        if other != name and other.casefold() == name.casefold():
            return other
    return None


def likely_duplicates(
    txid_to_keys: dict[str, list[str]], others: Iterable[tuple[str, str, str]]
) -> tuple[LikelyDuplicate, ...]:
    """The new events whose `txid` a live event of another source has: `others` are (key, source,
    txid) of the live events of the other sources, in seq order (the first with a txid counts)."""
    txid_to_other: dict[str, tuple[str, str]] = {}
    for other_key, other_source, txid in others:
        if txid in txid_to_keys:
            txid_to_other.setdefault(txid, (other_source, other_key))
    return tuple(
        LikelyDuplicate(key=key, txid=txid, other_source=found[0], other_key=found[1])
        for txid, keys in txid_to_keys.items()
        if (found := txid_to_other.get(txid)) is not None
        for key in keys
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


__all__ = [
    "NOTHING_STORED", "BodyFacts", "Item", "LikelyDuplicate", "Stored", "WritePlan", "case_twin_warnings",
    "check_classes", "check_retract_targets", "likely_duplicates", "likely_warnings", "plan", "scan_bodies",
    "stored_of",
]
