"""Between text and events: validate raw input at the boundary, encode the canonical body.

Input (a `.jsonl` line or CLI options) is decoded to plain values first, so that numbers keep the
exact text the user wrote: the contract allows only plain notation (`^[0-9]{1,15}(\\.[0-9]{1,18})?$`),
and "1e400", "-5", "NaN" or "1,000" must be refused, not silently parsed. Then msgspec converts the
values into the tagged union (its error path, e.g. `$.qty`, names the field), and the rules that
need more than one field are checked here, once, so the fold never re-validates (STYLE.md 16).

The canonical body is the event re-encoded with sorted keys, normalized decimals and UTC times; it
is what the key hashes and the hash chain cover, and what the store keeps.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import operator
import re
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec

from .errors import InvalidEvent
from .events import (
    ALL_EVENTS,
    TAG_TO_TYPE,
    WALLET_SCOPE_FROM,
    Allocate,
    AssetClass,
    Buy,
    Carryover,
    Event,
    Fee,
    FilingStatus,
    Income,
    IncomeKind,
    LotPick,
    Method,
    MethodElection,
    Price,
    Profile,
    Reports,
    Retract,
    Scope,
    Sell,
    Swap,
    Transfer,
    TransferFee,
    WalletInfo,
    tag_of,
)
from .limits import MAX_DEPTH, MAX_YEAR, MIN_YEAR, shown, year_problem

PLAIN = re.compile(r"[0-9]{1,15}(\.[0-9]{1,18})?")
SIGNED = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,18})?")
BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
)


class _FloatText(str):
    """The text of a JSON number with a fraction or exponent, as the user wrote it."""


_RAW = msgspec.json.Decoder(float_hook=_FloatText)
_BODY = msgspec.json.Decoder(Event)
_ENCODER = msgspec.json.Encoder(order="sorted")


def _decimal_fields(cls: type) -> frozenset[str]:
    hints = typing.get_type_hints(cls)
    names = {f.name: f.encode_name for f in msgspec.structs.fields(cls)}
    return frozenset(names[n] for n, t in hints.items() if n in names and "Decimal" in str(t))


@functools.cache
def _decimals() -> dict[str, frozenset[str]]:
    """Each event type's decimal fields (JSON names), worked out on first use: ~6 ms that an import
    whose lines all take the fast path, and every other command, never spends."""
    return {str(cls.__struct_config__.tag): _decimal_fields(cls) for cls in ALL_EVENTS}


_NESTED_DECIMALS = frozenset({"qty"})  # in `lots` entries of sell and allocate
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: never in a wallet or asset name
_SIGNED_ALLOWED = {("profile", "taxable_income")}


def _where(where: str, field: str | None) -> str:
    return f"{where}: field '{field}'" if field else where


def _plain_number(value: Any, field: str, where: str, *, signed: bool = False) -> str:
    """The normalized text of a contract number, or InvalidEvent."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidEvent(f"{_where(where, field)}: expected a decimal string, got {value!r}")
    text = str(value)
    pattern = SIGNED if signed else PLAIN
    if not pattern.fullmatch(text):
        rule = "an optional '-', " if signed else ""
        raise InvalidEvent(
            f"{_where(where, field)}: {text!r} is not a plain decimal ({rule}up to 15 digits, "
            "optionally '.' and up to 18 decimals; no sign, exponent, comma, NaN or Infinity)"
        )
    return normalize_text(text)


def normalize_text(text: str) -> str:
    """'007.50' -> '7.5', '-0.0' -> '0': one spelling per value."""
    negative = text.startswith("-")
    body = text.lstrip("-")
    whole, _, frac = body.partition(".")
    whole = whole.lstrip("0") or "0"
    frac = frac.rstrip("0")
    out = f"{whole}.{frac}" if frac else whole
    return "-" + out if negative and out != "0" else out


def parse_at(value: Any, *, tz: ZoneInfo, where: str, field: str = "at") -> datetime:
    """RFC 3339 with an offset, or a bare date (midday in the ledger's time zone), as UTC."""
    if not isinstance(value, str):
        raise InvalidEvent(f"{_where(where, field)}: expected a timestamp string, got {value!r}")
    try:
        if BARE_DATE.fullmatch(value):
            day = date.fromisoformat(value)
            parsed = datetime.combine(day, time(12), tzinfo=tz)
        elif match := RFC3339.fullmatch(value):
            fraction = match.group(1) or ""
            if fraction[7:].strip("0"):
                raise InvalidEvent(
                    f"{_where(where, field)}: {value!r} has digits below the microsecond; "
                    "gainlog keeps times to the microsecond (at most 6 decimals of a second)"
                )
            parsed = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
        else:
            raise ValueError("needs an offset")
    except ValueError:
        raise InvalidEvent(
            f"{_where(where, field)}: {value!r} is not an RFC 3339 time with an offset "
            "(e.g. 2024-05-01T12:00:00Z) or a date YYYY-MM-DD"
        ) from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise InvalidEvent(f"{_where(where, field)}: {value!r} is out of range ({MIN_YEAR}-{MAX_YEAR})")
    utc = parsed.astimezone(UTC)
    for shifted, zone in ((utc, "UTC"), (utc.astimezone(tz), f"the ledger's time zone {tz.key}")):
        if not MIN_YEAR <= shifted.year <= MAX_YEAR:
            raise InvalidEvent(
                f"{_where(where, field)}: {value!r} is out of range ({MIN_YEAR}-{MAX_YEAR}): "
                f"it falls on {shifted.date().isoformat()} in {zone}"
            )
    return utc


def _check_numbers(raw: dict[str, Any], tag: str, where: str) -> None:
    for name in _decimals()[tag]:
        if name in raw and raw[name] is not None:
            raw[name] = _plain_number(raw[name], name, where, signed=(tag, name) in _SIGNED_ALLOWED)
    lots = raw.get("lots")
    if isinstance(lots, list):
        for i, entry in enumerate(lots):
            if isinstance(entry, dict):
                for name in _NESTED_DECIMALS & entry.keys():
                    entry[name] = _plain_number(entry[name], f"lots[{i}].{name}", where)


def parse_event(raw: Any, *, tz: ZoneInfo, where: str) -> Event:
    """Validate one decoded JSON object into an event; InvalidEvent names `where` and the field."""
    if not isinstance(raw, dict):
        raise InvalidEvent(f"{where}: expected a JSON object, got {type(raw).__name__}")
    raw = dict(raw)
    tag = raw.get("type")
    if tag not in TAG_TO_TYPE:
        known = ", ".join(TAG_TO_TYPE)
        raise InvalidEvent(f"{_where(where, 'type')}: unknown event type {tag!r} (one of: {known})")
    _check_numbers(raw, tag, where)
    _check_text(raw, where)
    if "at" in raw:
        # as text: msgspec builds the datetime itself (a clock-faking test's datetime subclass is refused)
        raw["at"] = parse_at(raw["at"], tz=tz, where=where).isoformat()
    for key, value in raw.items():
        if isinstance(value, _FloatText):  # a float where the contract wants something else
            raise InvalidEvent(f"{_where(where, key)}: unexpected number {str(value)!r}")
    try:
        event: Event = msgspec.convert(raw, TAG_TO_TYPE[tag])  # type: ignore[assignment]
    except msgspec.ValidationError as exc:
        raise InvalidEvent(f"{where}: {_describe(exc)}") from None
    _check_names(event, where)
    _check_semantics(event, where)
    return event


# The fields of each event type that name a wallet or an asset (JSON names; `lots[].wallet` aside).
_NAMES: dict[type, tuple[tuple[str, str], ...]] = {
    Buy: (("wallet", "wallet"), ("asset", "asset")),
    Sell: (("wallet", "wallet"), ("asset", "asset")),
    Fee: (("wallet", "wallet"), ("asset", "asset")),
    Income: (("wallet", "wallet"), ("asset", "asset")),
    Swap: (("wallet", "wallet"), ("give_asset", "give_asset"), ("get_asset", "get_asset")),
    Transfer: (("from_", "from"), ("to", "to"), ("asset", "asset")),
    MethodElection: (("wallet", "wallet"), ("asset", "asset")),
    WalletInfo: (("wallet", "wallet"),),
    Allocate: (("asset", "asset"),),
    Price: (("asset", "asset"),),
}


def _check_name(value: str | None, field: str, where: str) -> None:
    if value is None:
        return
    if not value:
        raise InvalidEvent(f"{_where(where, field)}: must not be empty")
    bad = _CONTROL.search(value)
    if bad is not None:
        raise InvalidEvent(
            f"{_where(where, field)}: {shown(value)} holds the control character {bad.group()!r}; "
            "wallet and asset names are printable text"
        )


def _check_names(event: Event, where: str) -> None:
    """Wallet and asset names are non-empty and free of control characters (C0, DEL, C1)."""
    for attr, field in _NAMES.get(type(event), ()):
        _check_name(getattr(event, attr), field, where)
    if isinstance(event, Allocate):
        for i, share in enumerate(event.lots):
            _check_name(share.wallet, f"lots[{i}].wallet", where)


def _check_text(raw: dict[str, Any], where: str) -> None:
    """Every string is text UTF-8 can hold: a lone surrogate (a JSON `\\ud800`, or a command-line
    argument that was not UTF-8) is refused here rather than failing when the body is encoded."""
    values = [(k, v) for k, v in raw.items() if isinstance(v, str)]
    for i, entry in enumerate(raw.get("lots") or ()):
        if isinstance(entry, dict):
            values += [(f"lots[{i}].{k}", v) for k, v in entry.items() if isinstance(v, str)]
    for field, value in values:
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                raise InvalidEvent(f"{_where(where, field)}: not valid Unicode text (a lone surrogate)") from None


# The valid values of each enumerated field, listed when a value is refused.
_FIELD_TO_VALUES: dict[str, tuple[str, ...]] = {
    "kind": typing.get_args(IncomeKind),
    "method": typing.get_args(Method),
    "filing_status": typing.get_args(FilingStatus),
    "class": typing.get_args(AssetClass),
    "scope": typing.get_args(Scope),
    "transfer_fee": typing.get_args(TransferFee),
    "reports": typing.get_args(Reports),
}


def _describe(exc: msgspec.ValidationError) -> str:
    """msgspec says "... - at `$.qty`"; say "field 'qty': ..." instead (listing an enum's values)."""
    text = str(exc)
    match = re.search(r" - at `\$\.?(.*)`$", text)
    if match:
        field, message = match.group(1), text[: match.start()]
        values = _FIELD_TO_VALUES.get(field)
        if values and message.startswith("Invalid enum value"):
            message += f": must be one of {', '.join(values)}"
        return f"field '{field}': {message}"
    match = re.match(r"Object (contains unknown|missing required) field `(.*)`", text)
    if match:
        what = "unknown field" if match.group(1) == "contains unknown" else "missing required field"
        return f"field '{match.group(2)}': {what}"
    return text


def _positive(value: Decimal | None, field: str, where: str) -> None:
    if value is not None and value <= 0:
        raise InvalidEvent(f"{_where(where, field)}: must be above zero")


def _check_semantics(event: Event, where: str) -> None:
    start = getattr(event, "from_", None)
    if isinstance(start, date):  # the first day of a setting (a transfer's `from` is a wallet)
        problem = year_problem(start.year)
        if problem is not None:
            raise InvalidEvent(f"{_where(where, 'from')}: {start.isoformat()}: the year {problem}")
    match event:
        case Buy() | Sell():
            _positive(event.qty, "qty", where)
            if (event.price is None) == (event.total is None):
                raise InvalidEvent(f"{_where(where, 'price')}: give exactly one of 'price' and 'total'")
            _positive(event.price, "price", where)
            _positive(event.total, "total", where)
            if isinstance(event, Sell) and event.lots is not None:
                if not event.lots:
                    raise InvalidEvent(f"{_where(where, 'lots')}: an empty list names no lot")
                for i, pick in enumerate(event.lots):
                    _positive(pick.qty, f"lots[{i}].qty", where)
        case Swap():
            _positive(event.give_qty, "give_qty", where)
            _positive(event.get_qty, "get_qty", where)
            if event.give_asset == event.get_asset:
                raise InvalidEvent(f"{_where(where, 'get_asset')}: a swap of {event.give_asset} for itself")
        case Transfer():
            _positive(event.qty, "qty", where)
            if event.from_ == event.to:
                raise InvalidEvent(f"{_where(where, 'to')}: a transfer from {event.to!r} to itself")
            if event.fee_qty is not None:
                _positive(event.fee_qty, "fee_qty", where)
                if event.fee_value is None:
                    raise InvalidEvent(f"{_where(where, 'fee_value')}: required when 'fee_qty' is given")
                if event.fee_qty >= event.qty:
                    raise InvalidEvent(f"{_where(where, 'fee_qty')}: must be less than 'qty'")
            elif event.fee_value is not None:
                raise InvalidEvent(f"{_where(where, 'fee_qty')}: 'fee_value' given without 'fee_qty'")
        case Fee() | Income():
            _positive(event.qty, "qty", where)
        case Price():
            _positive(event.usd, "usd", where)
        case MethodElection():
            if event.scope is not None and event.wallet is not None:
                raise InvalidEvent(f"{_where(where, 'scope')}: scope is decided per asset, not per wallet")
            if event.scope == "universal" and event.from_ >= WALLET_SCOPE_FROM:
                raise InvalidEvent(
                    f"{_where(where, 'scope')}: a universal scope ends on 2025-01-01 (Rev. Proc. 2024-28); "
                    "from then on each wallet is its own pool"
                )
        case Profile() | Carryover():
            problem = year_problem(event.year)
            if problem is not None:
                raise InvalidEvent(f"{_where(where, 'year')}: {problem}")
        case Allocate():
            if not event.lots:
                raise InvalidEvent(f"{_where(where, 'lots')}: an allocation needs at least one lot")
            for i, share in enumerate(event.lots):
                _positive(share.qty, f"lots[{i}].qty", where)


def decode_line(line: bytes | str, *, tz: ZoneInfo, where: str) -> Event:
    """One `.jsonl` line into a validated event."""
    try:
        raw = _RAW.decode(line)
    except msgspec.DecodeError as exc:
        raise InvalidEvent(f"{where}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InvalidEvent(f"{where}: JSON nested more than {MAX_DEPTH} levels deep (an event needs 3)") from None
    if _nested_deeper(raw, MAX_DEPTH):
        raise InvalidEvent(f"{where}: JSON nested more than {MAX_DEPTH} levels deep (an event needs 3)")
    _refuse_duplicate_keys(line, raw, where)
    return parse_event(raw, tz=tz, where=where)


def _nested_deeper(value: Any, depth: int) -> bool:
    """Whether `value` holds objects or arrays more than `depth` levels deep (no recursion)."""
    level: list[Any] = [value]
    for _ in range(depth + 1):
        level = [
            item
            for v in level
            if isinstance(v, dict | list)
            for item in (v.values() if isinstance(v, dict) else v)
            if isinstance(item, dict | list)
        ]
        if not level:
            return False
    return True


def _quotes(value: Any) -> int:
    """How many `"` the JSON text of `value` has when no string needs an escape."""
    if isinstance(value, dict):
        return sum(2 + _quotes(v) for v in value.values())
    if isinstance(value, list):
        return sum(_quotes(v) for v in value)
    return 2 if isinstance(value, str) and not isinstance(value, _FloatText) else 0


class _DuplicateKey(Exception):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def refuse_duplicate_keys(text: str | bytes, where: str, field: str | None = None) -> Any:
    """`text` parsed as JSON (floats as text) with every object's keys checked to be distinct:
    a key given twice is an InvalidEvent naming it (`field` prefixes nested names)."""
    import json

    try:
        return json.loads(text, object_pairs_hook=_unique_pairs, parse_float=str)
    except _DuplicateKey as exc:
        name = f"{field}.{exc.args[0]}" if field else exc.args[0]
        raise InvalidEvent(f"{_where(where, name)}: given twice in one JSON object") from None


def _refuse_duplicate_keys(line: bytes | str, raw: Any, where: str) -> None:
    """msgspec keeps the last of two equal keys; refuse them instead (`"qty"` twice is a typo).

    Without a backslash every `"` of the line delimits a key or a string value, so when the line
    has exactly as many as the decoded object accounts for, no key was dropped: the usual case costs
    two scans of the line. Otherwise `json` parses it again and names the repeated key."""
    data = line.encode() if isinstance(line, str) else line
    if 92 not in data and data.count(b'"') == _quotes(raw):  # 92: a backslash
        return
    with contextlib.suppress(ValueError, RecursionError):  # msgspec read it; only duplicates matter here
        refuse_duplicate_keys(data, where)


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
    """A stored canonical body back into its event (the replay's fast path: no re-validation)."""
    event: Event = _BODY.decode(body)
    return event


# The fields of each trade that hold a wallet or asset name: the few distinct names of a log.
_NAME_FIELDS: dict[type, tuple[str, ...]] = {
    Buy: ("wallet", "asset"), Sell: ("wallet", "asset"), Fee: ("wallet", "asset"), Income: ("wallet", "asset"),
    Swap: ("wallet", "give_asset", "get_asset"), Transfer: ("from_", "to", "asset"), Price: ("asset",),
}


def share_names(event: Event, names: dict[str, str]) -> Event:
    """`event` with its wallet and asset names replaced by the equal ones in `names` (added when new).

    A decoded body has its own copy of every name; a million-event replay would hold millions of
    copies of a few dozen strings (issue #7). The event is fresh from `decode_body` and not yet
    shared, so its fields are set in place.
    """
    for field in _NAME_FIELDS.get(type(event), ()):
        name = getattr(event, field)
        shared = names.setdefault(name, name)
        if shared is not name:
            msgspec.structs.force_setattr(event, field, shared)
    return event


def body_digest(body: bytes) -> str:
    """The hash part of a key for an event without `id`."""
    return hashlib.sha256(body).hexdigest()


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


class Decoded(msgspec.Struct, frozen=True, gc=False):
    """What the store needs of one validated event: its canonical body and the facts it indexes.

    Attributes:
        body: the canonical body.
        tag: the event's `type`.
        id: its own id, if any.
        target: a retraction's target key.
        asset: the asset of a buy or income that names a class.
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
    if isinstance(event, Buy | Income) and event.class_ is not None:
        asset, cls = event.asset, event.class_
    return Decoded(canonical_body(event), tag_of(event), event.id, target, asset, cls)


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
