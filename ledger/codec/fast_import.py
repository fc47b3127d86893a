"""The import fast path: a plain trade line straight to its canonical body, or None."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from ..limits import MAX_YEAR, MIN_YEAR
from .canonical import _ENCODER, Decoded
from .rules import ENTRY_RULES, RULES, Differ, Less, NonEmpty, OneOf, Together, attributes, normalize_text

# -- the import fast path ----------------------------------------------------------------------
#
# Most lines of a real file are trades with plain decimal strings and `...Z` times. For those, one
# msgspec call decodes the line straight into a mirror of the event type whose amounts and times are
# text, one regular expression checks all of them at once (normalized amounts, `...Z` times), a few
# string comparisons apply the rules of the table (rules.py), and the canonical body is that mirror
# re-encoded with sorted keys: no Decimal, no datetime, no second walk. A line whose amounts are
# valid but not normalized (`1.50`) is decoded again by a mirror whose amounts are constrained by
# patterns (checked in C) and normalized in Python. Anything else (another type, a JSON number, an
# offset or a bare date, an invalid value, a broken rule) gives None, and the line takes
# `decode_line`, which decides and names the field at fault. tests/test_import_perf_equivalence.py
# holds both paths to the same bodies.

_NORMAL_TEXT = r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{0,17}[1-9])?"  # PLAIN and already normalized
_ZULU_TEXT = (  # RFC 3339 in UTC, whole seconds, MIN_YEAR-MAX_YEAR; days 29-31 are checked in Python
    r"(?:19[0-9]{2}|20[0-9]{2}|2100)-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"
)
_NORMAL = rf"^{_NORMAL_TEXT}\Z"
_LENIENT = r"^[0-9]{1,15}(?:\.[0-9]{1,18})?\Z"  # PLAIN; normalized in Python afterwards
_ZULU = rf"^{_ZULU_TEXT}\Z"


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


# The table's rules on normalized text ("0" is the only zero), as one expression per event type
# (`_check_source`), compiled once: True only when they hold. Names are non-empty (the mirror's
# `min_length`); a printable one (str.isprintable: no control character) is fine, any other goes to
# the precise path (which accepts e.g. a non-breaking space).
def _texts(cls: type) -> tuple[str, str]:
    """The f-string over `e` joining the amounts and times of `cls` by spaces (an optional amount left
    out as "0"), and the regular expression it matches exactly when each is a normalized amount or a
    `...Z` time: a space matches neither, so a value holding one adds a piece and fails the match."""
    attrs = attributes(cls)
    pieces, patterns = [], []
    for field, row in RULES[cls].fields.items():
        value = f"e.{attrs[field]}"
        if row.kind == "plain":
            pieces.append(f"{{{value}}}" if row.required else f"{{'0' if {value} is None else {value}}}")
            patterns.append(_NORMAL_TEXT)
        elif row.kind == "time":
            if not row.required:
                raise TypeError(f"the import fast path has no check for an optional time: {cls.__name__}.{field}")
            pieces.append(f"{{{value}}}")
            patterns.append(_ZULU_TEXT)
    return 'f"' + " ".join(pieces) + '"', " ".join(patterns)


def _check_source(cls: type) -> str:
    """The Python expression over `e` (a mirror of `cls`) that holds when the table's rules do, its
    amounts are normalized and its times are `...Z` times (`_texts`, matched by `_TEXTS`: first, so
    the rules compare only valid text)."""
    rules = RULES[cls]
    attrs = attributes(cls)
    terms, times = [f"_TEXTS.fullmatch({_texts(cls)[0]}) is not None"], []
    for field, row in rules.fields.items():
        value = f"e.{attrs[field]}"
        if row.kind == "name":
            terms.append(f"{value}.isprintable()" if row.required else f"({value} is None or {value}.isprintable())")
        elif row.kind == "time":
            times.append(f"_real_day({value})")
        elif row.entry is not None:
            entry_attrs = attributes(row.entry)
            for nested, entry_row in ENTRY_RULES[row.entry].items():
                attr = f"p.{entry_attrs[nested]}"
                if entry_row.kind == "name":
                    terms.append(f"({value} is None or all({attr}.isprintable() for p in {value}))")
                if entry_row.positive:
                    terms.append(f'({value} is None or all({attr} != "0" for p in {value}))')
        if row.positive:
            terms.append(f'{value} != "0"')
    for rule in rules.cross:
        match rule:
            case OneOf(first, second):
                terms.append(f"(e.{attrs[first]} is None) != (e.{attrs[second]} is None)")
            case Differ(first, second):
                terms.append(f"e.{attrs[first]} != e.{attrs[second]}")
            case Together(first, second):
                terms.append(f"(e.{attrs[first]} is None) == (e.{attrs[second]} is None)")
            case Less(first, second):
                a, b = f"e.{attrs[first]}", f"e.{attrs[second]}"
                terms.append(f"({a} is None or Decimal({a}) < Decimal({b}))")
            case NonEmpty(field):
                terms.append(f"(e.{attrs[field]} is None or bool(e.{attrs[field]}))")
            case _:
                raise TypeError(f"the import fast path has no check for {cls.__name__}: {rule}")
    return " and ".join(terms + times) or "True"


def _check(cls: type) -> Callable[[Any], bool]:
    check: Callable[[Any], bool] = eval(  # noqa: S307 (the table's own text, no input)
        f"lambda e: {_check_source(cls)}",
        {"Decimal": Decimal, "_real_day": _real_day, "_TEXTS": re.compile(_texts(cls)[1])},
    )
    return check


_Entries = tuple[tuple[str, tuple[str, ...]], ...]  # each `lots` attribute with its entries' amounts


class _Mirror(msgspec.Struct, frozen=True):
    """One event type as the fast path decodes it."""

    tag: str
    ok: Callable[[Any], bool]
    amounts: tuple[str, ...]  # attribute names of its amounts
    entries: _Entries
    classed: bool  # it has `class` (buy, income)


def _mirror(
    cls: type, amount: Any, prefix: str, *, time: Any, entry_amount: Any
) -> tuple[type, tuple[str, ...], _Entries]:
    """A struct decoding what `cls` decodes, with amounts as `amount` text, times as `time` text and
    the amounts of `lots` entries as `entry_amount` text.

    Each field's type comes from its row in the table. Field names, JSON names, defaults, the tag and
    `omit_defaults` are those of `cls`, so encoding it with sorted keys gives the canonical body once
    its amounts are normalized.
    """
    config = cls.__struct_config__  # type: ignore[attr-defined]
    rows = RULES[cls].fields if cls in RULES else ENTRY_RULES[cls]
    fields: list[Any] = []
    amounts: list[str] = []
    entries: list[tuple[str, tuple[str, ...]]] = []
    cls_fields = msgspec.structs.fields(cls)  # resolves every annotation of `cls`: once
    for field in cls_fields:
        row = rows[field.encode_name]
        hint: Any
        if row.kind == "plain":
            hint = amount
            amounts.append(field.name)
        elif row.kind == "time":
            hint = time
        elif row.kind == "name":
            hint = Annotated[str, msgspec.Meta(min_length=1)]  # a wallet or asset name is never empty
        elif row.kind == "enum":
            hint = Literal[row.values]
        elif row.kind == "text":
            hint = str
        elif row.kind == "keys":
            hint = tuple[str, ...]
        elif row.kind == "lots" and row.entry is not None:
            entry, entry_amounts, _ = _mirror(row.entry, entry_amount, prefix, time=time, entry_amount=entry_amount)
            hint = tuple[entry, ...]  # type: ignore[valid-type]
            entries.append((field.name, entry_amounts))
        else:
            raise TypeError(f"the import fast path has no mirror for {cls.__name__}.{field.name}: {row.kind}")
        if row.required:
            fields.append((field.name, hint))
        else:
            fields.append((field.name, hint | None, field.default))
    mirror = msgspec.defstruct(
        f"{prefix}{cls.__name__}",
        fields,
        rename={f.name: f.encode_name for f in cls_fields},
        tag=getattr(config, "tag", None),
        tag_field=getattr(config, "tag_field", None),
        omit_defaults=config.omit_defaults,
        forbid_unknown_fields=True,
        kw_only=True,
        frozen=True,
        gc=False,
    )
    return mirror, tuple(amounts), tuple(entries)


def _fast_decoder(
    pattern: str, prefix: str, *, texts_checked: bool
) -> tuple[msgspec.json.Decoder[Any], dict[type, _Mirror]]:
    """The decoder of the fast types' mirrors, amounts constrained by `pattern`: in msgspec, or, with
    `texts_checked`, only in the `lots` entries, the event's own amounts and times left to `ok`
    (one regular expression for them all costs less than msgspec's one per field)."""
    amount = Annotated[str, msgspec.Meta(pattern=pattern)]
    time = Annotated[str, msgspec.Meta(pattern=_ZULU)]
    mirrors = {}
    for cls, rules in RULES.items():
        if not rules.fast:
            continue
        if texts_checked:
            mirror, amounts, entries = _mirror(cls, str, prefix, time=str, entry_amount=amount)
        else:
            mirror, amounts, entries = _mirror(cls, amount, prefix, time=time, entry_amount=amount)
        tag = str(cls.__struct_config__.tag)  # type: ignore[attr-defined]
        classed = "class_" in mirror.__struct_fields__  # type: ignore[attr-defined]
        mirrors[mirror] = _Mirror(tag, _check(cls), amounts, entries, classed)
    return msgspec.json.Decoder(functools.reduce(operator.or_, mirrors)), mirrors


@functools.cache
def _normal_decoder() -> tuple[msgspec.json.Decoder[Any], dict[type, _Mirror]]:
    """The strict fast decoder, built on first use (~4 ms: only imports need it)."""
    return _fast_decoder(_NORMAL, "_Normal", texts_checked=True)


@functools.cache
def _lenient_decoder() -> tuple[msgspec.json.Decoder[Any], dict[type, _Mirror]]:
    """The lenient fast decoder, built when a line first needs it (most files never do)."""
    return _fast_decoder(_LENIENT, "_Lenient", texts_checked=False)


def _normalized(raw: Any, mirror: _Mirror) -> Any:
    """`raw` with every amount in its one normalized spelling (`normalize_text`)."""
    changes: dict[str, Any] = {}
    for name in mirror.amounts:
        value = getattr(raw, name)
        if value is not None:
            changes[name] = normalize_text(value)
    for name, entry_amounts in mirror.entries:
        entries = getattr(raw, name)
        if entries:
            changes[name] = tuple(
                msgspec.structs.replace(p, **{a: normalize_text(getattr(p, a)) for a in entry_amounts}) for p in entries
            )
    return msgspec.structs.replace(raw, **changes)


FastDecode = Callable[[bytes], Decoded | None]


@functools.cache
def fast_decoder() -> FastDecode:
    """`decode_fast` with the strict decoder, its mirrors and the encoder bound once: an import calls
    it for every line, and the lookups this spares are a twentieth of a line's cost."""
    normal, normal_mirrors = _normal_decoder()
    decode, encode = normal.decode, _ENCODER.encode

    def decode_fast_line(line: bytes) -> Decoded | None:
        # A line that is its body and a newline (a canonical file) gives no key twice (msgspec keeps
        # the last) and none as null. Else, without a backslash, each `"` delimits a key or a string:
        # as many in the line as in the body means the same. Else: precise path.
        if 92 in line:  # a backslash
            return None
        try:
            raw = decode(line)
            mirror = normal_mirrors[type(raw)]
            taken = mirror.ok(raw)
        except (msgspec.DecodeError, RecursionError):  # ValidationError included
            taken = False
        if not taken:  # an amount not normalized (or anything wrong: then the lenient decoder declines too)
            lenient, lenient_mirrors = _lenient_decoder()
            try:
                raw = lenient.decode(line)
            except (msgspec.DecodeError, RecursionError):
                return None
            mirror = lenient_mirrors[type(raw)]
            raw = _normalized(raw, mirror)
            if not mirror.ok(raw):
                return None
        body = encode(raw)
        if not (line.startswith(body) and len(line) <= len(body) + 1) and line.count(b'"') != body.count(b'"'):
            return None
        if mirror.classed and raw.class_ is not None:
            return Decoded(body, mirror.tag, raw.id, None, raw.asset, raw.class_)
        return Decoded(body, mirror.tag, raw.id)

    return decode_fast_line


def decode_fast(line: bytes) -> Decoded | None:
    """One `.jsonl` line as `decode_line` would decode it, or None when it takes the precise path
    (`fast_decoder()`, which a loop over many lines binds once)."""
    return fast_decoder()(line)
