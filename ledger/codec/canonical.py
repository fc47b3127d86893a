"""The canonical body: the event re-encoded with sorted keys, normalized decimals and UTC times.

It is what the key hashes and the hash chain cover, and what the store keeps."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec

from ..events import (
    TRADES,
    Buy,
    Event,
    GiftIn,
    Income,
    Retract,
    tag_of,
)
from .rules import name_attributes

_ENCODER = msgspec.json.Encoder(order="sorted")
_TRADES = frozenset(TRADES)  # each event is of one of the union's types, none a subclass of another


@functools.cache
def _body_decoder() -> msgspec.json.Decoder[Event]:
    """The decoder of stored bodies, built on first use (~4 ms): an import or `init` never reads one."""
    return msgspec.json.Decoder(Event)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):  # to_builtins keeps tuple fields (sell/allocate `lots`) as tuples
        return [_plain(v) for v in value]
    return value


def canonical(event: Event) -> dict[str, Any]:
    """The event as plain JSON values: decimals in plain notation, times in UTC."""
    return _plain(msgspec.to_builtins(event, builtin_types=(Decimal,)))  # type: ignore[no-any-return]


def canonical_body(event: Event) -> bytes:
    """Sorted keys, normalized decimals, UTC times, `note` and `txid` included (CONTRACT §2)."""
    return _ENCODER.encode(canonical(event))


def decode_body(body: bytes | str) -> Event:
    """A stored canonical body back into its event (no re-validation: the replay's `body_decoder`
    and the integrity checks)."""
    event: Event = _body_decoder().decode(body)
    return event


def body_decoder(*, trail: bool = True) -> Callable[[bytes | str], Event]:
    """`decode_body` for a replay: each decoded event's wallet and asset names replaced by the equal
    ones this decoder met before; without `trail`, each trade's audit-trail fields (`id`, `note`,
    `txid`: never part of the math, `events._Base`) left out.

    A decoded body has its own copy of every name; a million-event replay would hold millions of
    copies of a few dozen strings (issue #7), and until the fold has them, each trade's id (56
    bytes, a tenth of a decoded trade) and any note or transaction id (issue #19): a replay whose
    trades only the lot engine reads (`api.reading.stream`, a shard's worker) decodes with
    `trail=False`. One function per record, the names and each type's name fields
    (`rules.name_attributes`) looked up in plain dicts: the replay calls it a million times. The
    event is fresh from the decoder and not yet shared, so its fields are set in place.
    """
    decode, force_setattr = _body_decoder().decode, msgspec.structs.force_setattr
    names: dict[str, str] = {}
    type_to_fields: dict[type, tuple[tuple[str, ...], bool]] = {}

    def shared(body: bytes | str) -> Event:
        event: Event = decode(body)
        kind = type(event)
        fields = type_to_fields.get(kind)
        if fields is None:  # the table's wallet and asset names; whether to leave the trail out
            fields = type_to_fields[kind] = (name_attributes(kind), not trail and kind in _TRADES)
        for field in fields[0]:  # the first of a name is set back to itself: cheaper than a test per name
            name = getattr(event, field)
            force_setattr(event, field, names.setdefault(name, name))
        if fields[1]:
            force_setattr(event, "id", None)  # without a test: most events have an id
            if event.note is not None:
                force_setattr(event, "note", None)
            if event.txid is not None:
                force_setattr(event, "txid", None)
        return event

    return shared


def body_digest(body: bytes) -> str:
    """The hash part of a key for an event without `id`."""
    return hashlib.sha256(body).hexdigest()


class Decoded(msgspec.Struct, frozen=True, gc=False):
    """What the store needs of one validated event: its canonical body and the facts it indexes.

    Attributes:
        body: the canonical body.
        tag: the event's `type`.
        id: its own id, if any.
        target: a retraction's target key.
        asset: the asset of a buy, income or gift_in that names a class.
        class_: that class.
    """

    body: bytes
    tag: str
    id: str | None = None
    target: str | None = None
    asset: str | None = None
    class_: str | None = None


def decoded(event: Event) -> Decoded:
    """The canonical body and indexed facts of a validated event (the precise path)."""
    target = event.target if isinstance(event, Retract) else None
    asset = cls = None
    if isinstance(event, Buy | Income | GiftIn) and event.class_ is not None:
        asset, cls = event.asset, event.class_
    return Decoded(canonical_body(event), tag_of(event), event.id, target, asset, cls)
