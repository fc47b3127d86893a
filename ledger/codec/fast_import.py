"""The import fast path: a plain trade line straight to its canonical body, or None."""

from __future__ import annotations

import functools
import operator
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from ..events import (
    Buy,
    Event,
    Fee,
    Income,
    LotPick,
    Price,
    Sell,
    Swap,
    Transfer,
)
from ..limits import MAX_YEAR, MIN_YEAR
from .canonical import _ENCODER, Decoded
from .rules import _NAMES, normalize_text

# -- the import fast path ----------------------------------------------------------------------
#
# Most lines of a real file are trades with plain decimal strings and `...Z` times. For those, one
# msgspec call decodes the line straight into a mirror of the event type whose amounts and times are
# text constrained by patterns (checked in C), a few string comparisons apply the cross-field rules of
# `_check_semantics`, and the canonical body is that mirror re-encoded with sorted keys: no Decimal,
# no datetime, no second walk. Anything else (another type, a JSON number, an offset or a bare date,
# an invalid value, a broken rule) gives None, and the line takes `decode_line`, which decides and
# names the field at fault. tests/test_import_perf_equivalence.py holds both paths to the same bodies.

_NORMAL = r"^(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{0,17}[1-9])?\Z"  # PLAIN and already normalized
_LENIENT = r"^[0-9]{1,15}(?:\.[0-9]{1,18})?\Z"  # PLAIN; normalized in Python afterwards
_ZULU = (  # RFC 3339 in UTC, whole seconds, MIN_YEAR-MAX_YEAR; days 29-31 are checked in Python
    r"^(?:19[0-9]{2}|20[0-9]{2}|2100)-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z\Z"
)


_SECOND_DAY, _LAST_DAY = f"{MIN_YEAR}-01-02", f"{MAX_YEAR}-12-31"


def _real_day(at: str) -> bool:
    """The pattern admits days 29-31 of every month; the calendar decides those. The first and last
    day of the range go to the precise path: the ledger's time zone may move them out of it."""
    if at[8:10] <= "28":
        return at >= _SECOND_DAY  # ISO text sorts by time
    if at >= _LAST_DAY:
        return False
    try:
        date.fromisoformat(at[:10])
    except ValueError:
        return False
    return True


# The rules of `_check_semantics` on normalized text ("0" is the only zero): True only when they hold.
# Names are non-empty (the mirror's `min_length`); a printable one (str.isprintable: no control
# character) is fine, any other goes to the precise path (which accepts e.g. a non-breaking space).
def _ok_buy(e: Any) -> bool:
    return (
        e.wallet.isprintable() and e.asset.isprintable()
        and e.qty != "0"
        and (e.price is None) != (e.total is None)
        and e.price != "0"
        and e.total != "0"
        and _real_day(e.at)
    )


def _ok_sell(e: Any) -> bool:
    return _ok_buy(e) and (e.lots is None or (bool(e.lots) and all(p.qty != "0" for p in e.lots)))


def _ok_swap(e: Any) -> bool:
    if not (e.wallet.isprintable() and e.give_asset.isprintable() and e.get_asset.isprintable()):
        return False
    return e.give_qty != "0" and e.get_qty != "0" and e.give_asset != e.get_asset and _real_day(e.at)


def _ok_transfer(e: Any) -> bool:
    if not (e.from_.isprintable() and e.to.isprintable() and e.asset.isprintable()):
        return False
    if e.qty == "0" or e.from_ == e.to or not _real_day(e.at):
        return False
    if e.fee_qty is None:
        return e.fee_value is None
    return e.fee_qty != "0" and e.fee_value is not None and Decimal(e.fee_qty) < Decimal(e.qty)


def _ok_qty(e: Any) -> bool:  # fee, income
    return (
        e.wallet.isprintable() and e.asset.isprintable() and e.qty != "0" and _real_day(e.at)
    )


def _ok_price(e: Any) -> bool:
    return e.asset.isprintable() and e.usd != "0" and _real_day(e.at)


_FAST_RULES: dict[type[Event], Callable[[Any], bool]] = {
    Buy: _ok_buy, Sell: _ok_sell, Swap: _ok_swap, Transfer: _ok_transfer, Fee: _ok_qty, Income: _ok_qty,
    Price: _ok_price,
}


class _Mirror(msgspec.Struct, frozen=True):
    """One event type as the fast path decodes it."""

    tag: str
    ok: Callable[[Any], bool]
    amounts: tuple[str, ...]  # attribute names of its amounts
    classed: bool  # it has `class` (buy, income)


def _mirror(cls: type, amount: Any, prefix: str) -> tuple[type, tuple[str, ...]]:
    """A struct decoding what `cls` decodes, with amounts as `amount` text and times as `...Z` text.

    Field names, JSON names, defaults, the tag and `omit_defaults` are those of `cls`, so encoding it
    with sorted keys gives the canonical body once its amounts are normalized.
    """
    config = cls.__struct_config__  # type: ignore[attr-defined]
    hints = typing.get_type_hints(cls)
    names = {attr for attr, _ in _NAMES.get(cls, ())}
    fields: list[Any] = []
    amounts = []
    for field in msgspec.structs.fields(cls):
        hint = hints[field.name]
        if hint is Decimal or hint == Decimal | None:
            hint = amount if hint is Decimal else amount | None
            amounts.append(field.name)
        elif hint is datetime:
            hint = Annotated[str, msgspec.Meta(pattern=_ZULU)]
        elif hint is str and field.name in names:
            hint = Annotated[str, msgspec.Meta(min_length=1)]  # a wallet or asset name is never empty
        elif hint == tuple[LotPick, ...] | None:
            pick, _ = _mirror(LotPick, amount, prefix)
            hint = tuple[pick, ...] | None  # type: ignore[valid-type]
        elif not (hint in (str, str | None) or "Literal" in str(hint)):
            raise TypeError(f"the import fast path has no mirror for {cls.__name__}.{field.name}: {hint}")
        fields.append((field.name, hint) if field.required else (field.name, hint, field.default))
    mirror = msgspec.defstruct(
        f"{prefix}{cls.__name__}",
        fields,
        rename={f.name: f.encode_name for f in msgspec.structs.fields(cls)},
        tag=config.tag,
        tag_field=config.tag_field,
        omit_defaults=config.omit_defaults,
        forbid_unknown_fields=True,
        kw_only=True,
        frozen=True,
        gc=False,
    )
    return mirror, tuple(amounts)


def _fast_decoder(pattern: str, prefix: str) -> tuple[msgspec.json.Decoder[Any], dict[type, _Mirror]]:
    amount = Annotated[str, msgspec.Meta(pattern=pattern)]
    mirrors = {}
    for cls, ok in _FAST_RULES.items():
        mirror, amounts = _mirror(cls, amount, prefix)
        tag = str(cls.__struct_config__.tag)
        mirrors[mirror] = _Mirror(tag, ok, amounts, "class_" in mirror.__struct_fields__)  # type: ignore[attr-defined]
    return msgspec.json.Decoder(functools.reduce(operator.or_, mirrors)), mirrors


@functools.cache
def _normal_decoder() -> tuple[msgspec.json.Decoder[Any], dict[type, _Mirror]]:
    """The strict fast decoder, built on first use (~4 ms: only imports need it)."""
    return _fast_decoder(_NORMAL, "_Normal")


@functools.cache
def _lenient_decoder() -> tuple[msgspec.json.Decoder[Any], dict[type, _Mirror]]:
    """The lenient fast decoder, built when a line first needs it (most files never do)."""
    return _fast_decoder(_LENIENT, "_Lenient")


def _normalized(raw: Any, mirror: _Mirror) -> Any:
    """`raw` with every amount in its one normalized spelling (`normalize_text`)."""
    changes: dict[str, Any] = {}
    for name in mirror.amounts:
        value = getattr(raw, name)
        if value is not None:
            changes[name] = normalize_text(value)
    lots = getattr(raw, "lots", None)
    if lots:
        changes["lots"] = tuple(msgspec.structs.replace(p, qty=normalize_text(p.qty)) for p in lots)
    return msgspec.structs.replace(raw, **changes)


def decode_fast(line: bytes) -> Decoded | None:
    """One `.jsonl` line as `decode_line` would decode it, or None when it takes the precise path."""
    normal, normal_mirrors = _normal_decoder()
    try:
        raw = normal.decode(line)
        mirror = normal_mirrors[type(raw)]
    except (msgspec.DecodeError, RecursionError):  # ValidationError included
        lenient, lenient_mirrors = _lenient_decoder()
        try:
            raw = lenient.decode(line)
        except (msgspec.DecodeError, RecursionError):
            return None
        mirror = lenient_mirrors[type(raw)]
        raw = _normalized(raw, mirror)
    if not mirror.ok(raw):
        return None
    body = _ENCODER.encode(raw)
    # Without a backslash, each `"` delimits a key or a string: as many in the line as in the body
    # means no key was given twice (msgspec keeps the last) and none was null. Else: precise path.
    if 92 in line or line.count(b'"') != body.count(b'"'):  # 92: a backslash
        return None
    if mirror.classed and raw.class_ is not None:
        return Decoded(body, mirror.tag, raw.id, None, raw.asset, raw.class_)
    return Decoded(body, mirror.tag, raw.id)
