"""Import-time checks that need lot state (CONTRACT §2 `lots`): the use case between store and engine.

The store calls a check inside the import's transaction with the would-be log; raising aborts the
import, so nothing is half-written. Only a sell's specific identification needs lot state today: a
`lots` list naming an unknown lot, or more than that lot holds at the sale, is refused at import
(a later correction that makes an old list unsatisfiable is not refused: the replay falls back to
the method in force and warns, R3.6).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ..ledger.codec import Decoded
    from ..ledger.events import Event, Recorded
    from ..ledger.store import Check, Store


_NAMING_LOTS = frozenset({"sell", "gift_out", "donate"})  # the events whose `lots` name acquisitions


class LotReferences:
    """A store `check` refusing new sells whose `lots` cannot be satisfied (see `lot_references`)."""

    def __init__(self, store: Store, *, origin: Path | None) -> None:
        self.store = store
        self.origin = origin

    def needs(self, new: Iterable[Decoded]) -> bool:
        """Whether the new events could make the check refuse: only a sell naming lots can.

        The store skips reading the batch back when they cannot (a 20k-line import then decodes
        nothing twice). `"lots":` only occurs in a canonical body as a sell's or allocation's own key.
        """
        return any(facts.tag in _NAMING_LOTS and b'"lots":' in facts.body for facts in new)

    def __call__(self, new: list[Recorded]) -> None:
        from ..ledger.errors import InvalidEvent
        from ..ledger.events import Donate, GiftOut, Sell
        from ..projections.engine import check_lot_references
        from ..projections.knowledge import live

        naming = [r for r in new if isinstance(r.event, Sell | GiftOut | Donate) and r.event.lots]
        if not naming:
            return
        store, tz = self.store, self.store.timezone
        targets = store.retract_targets()
        shard = _shard(store, naming)
        messages: list[str] = []
        if shard is not None:  # the lots of these assets are those a replay of the whole log holds
            records = live(store.iter_read(assets=sorted(shard), trail=False), targets=targets)
            messages = check_lot_references(records, tz=tz, from_seq=new[0].seq, assets=shard)
        if shard is None or messages:  # refused only by the whole log's replay, which words the messages
            messages = check_lot_references(live(store.iter_read(), targets=targets), tz=tz, from_seq=new[0].seq)
        if messages:
            bad = next(r for r in new if messages[0].startswith(f"{r.key} (seq {r.seq})"))
            where = _line_of(self.origin, bad.event, tz) if self.origin is not None else "add"
            what = messages[0].split(": ", 1)[1]  # drop "KEY (seq N)": not written, so not worth naming
            more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
            raise InvalidEvent(f"{where}: field 'lots': {what}{more}")


def lot_references(store: Store, *, origin: Path | None = None) -> LotReferences:
    """A store `check` refusing new sells whose `lots` cannot be satisfied.

    The log is replayed only when the batch holds a sell that names lots, and then only the shard of
    the assets those sells and lots can touch (`_shard`); the whole log only to word a refusal.
    """
    return LotReferences(store, origin=origin)


def _shard(store: Store, naming: list[Recorded]) -> frozenset[str] | None:
    """The assets whose lots decide whether the `lots` of `naming` can be satisfied: each one's asset,
    the assets of every event keyed as a lot it names (its `id` in the sell's source, or a full key),
    and every asset the log joins to these (`parallel.asset_links`: renames, reorgs, paired transfers;
    `shards.asset_groups`, as a parallel replay groups them, names equal but for case too).

    A replay of this shard (`Store.iter_read(assets=...)`, a parallel replay's shard) holds these
    assets' lots exactly as the whole log's replay does, and knows each named lot under the key the
    whole log's would resolve it to. A sell of the last asset of 200,000 events named lots at 3.5 s
    (a replay of the whole log) before. None (replay the whole log) for more assets than a shard takes.
    """
    from ..ledger.store import MAX_SEQ
    from ..projections.shards import asset_groups
    from .parallel import MAX_SHARD_ASSETS, asset_links

    seeds: set[str] = set()
    keys: set[str] = set()
    for record in naming:
        event: Any = record.event  # a sell, gift_out or donate with `lots`
        seeds.add(event.asset)
        for pick in event.lots:
            keys.update((f"{record.source}:{pick.lot}", pick.lot))
    marks = ", ".join("?" * len(keys))
    for names in store.conn.execute(
        "SELECT json_extract(body, '$.asset'), json_extract(body, '$.give_asset'), json_extract(body, '$.get_asset')"
        f" FROM events WHERE key IN ({marks})", sorted(keys),
    ):
        seeds.update(name for name in names if isinstance(name, str))
    groups = asset_groups(seeds, asset_links(store.conn, MAX_SEQ))
    shard = frozenset(asset for group in groups if seeds.intersection(group) for asset in group)
    return shard if len(shard) <= MAX_SHARD_ASSETS else None


def _line_of(origin: Path, event: Event, tz: ZoneInfo) -> str:
    """`FILE:LINE` of the first line that decodes to `event` (only run when reporting an error)."""
    from ..ledger import codec
    from ..ledger.errors import InvalidEvent

    with origin.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                if codec.decode_line(line, tz=tz, where="") == event:
                    return f"{origin}:{number}"
            except InvalidEvent:
                continue
    return str(origin)



class RequireValues:
    """A store `check` for `import --require-values` (CONTRACT §4 Prices): a new swap, fee or income
    without `value` must have a usable price (the received asset's, at or before its time and no
    older than 24 hours) among the live events of the log plus the file; else the import is refused
    naming the first such line."""

    def __init__(self, store: Store, *, origin: Path, where_of: Callable[[Event], str] | None = None) -> None:
        self.store = store
        self.origin = origin
        self.where_of = where_of

    def needs(self, new: Iterable[Decoded]) -> bool:
        """Only a swap, fee or income without `value` can be refused (`"value":` is a key only)."""
        return any(f.tag in ("swap", "fee", "income") and b'"value":' not in f.body for f in new)

    def __call__(self, new: list[Recorded]) -> None:
        from ..ledger.errors import InvalidEvent
        from ..projections.knowledge import live
        from ..projections.rules.prices import PriceIndex, needs_price, priced_asset, quote_for

        unvalued = [r for r in new if needs_price(r.event)]
        if not unvalued:
            return
        prices = PriceIndex(live(self.store.iter_read(types=("price", "retract"))))
        for record in unvalued:
            event: Any = record.event  # a swap, fee or income (needs_price)
            if quote_for(prices, event) is None:
                asset, _ = priced_asset(event)
                where = (
                    self.where_of(event) if self.where_of is not None
                    else _line_of(self.origin, event, self.store.timezone)
                )
                raise InvalidEvent(
                    f"{where}: field 'value': --require-values: the {event.__struct_config__.tag} has no value and "
                    f"no {asset} price at or within the 24 hours before {event.at.isoformat()} (in the log or the "
                    "file); give a value or import a price first"
                )


class Checks:
    """Several store checks as one: each one whose `needs` says so is called in turn."""

    def __init__(self, *checks: Check) -> None:
        self.checks = checks

    def needs(self, new: Iterable[Decoded]) -> bool:
        rows = list(new)
        return any(getattr(c, "needs", None) is None or c.needs(rows) for c in self.checks)  # type: ignore[attr-defined]

    def __call__(self, new: list[Recorded]) -> None:
        for check in self.checks:
            check(new)
