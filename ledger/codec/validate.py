"""Raw input -> validated event: plain decimals, times, names, text and the cross-field rules (the precise path)."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import msgspec

from ..errors import InvalidEvent
from ..events import (
    TAG_TO_TYPE,
    Event,
)
from ..limits import MAX_DEPTH, MAX_YEAR, MIN_YEAR, shown, year_problem
from .rules import (
    _CONTROL,
    AMOUNTS,
    BARE_DATE,
    ENTRY_RULES,
    ENUM_VALUES,
    PLAIN,
    RFC3339,
    RULES,
    SIGNED,
    Cross,
    Differ,
    EndsBefore,
    Less,
    NonEmpty,
    NotBoth,
    OneOf,
    OneOfMany,
    OnlyWith,
    Together,
    _where,
    attributes,
    normalize_text,
)


class _FloatText(str):
    """The text of a JSON number with a fraction or exponent, as the user wrote it."""


_RAW = msgspec.json.Decoder(float_hook=_FloatText)

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


class _Plan(NamedTuple):
    """What the precise path checks of one event type, read from its rows once (in the table's order)."""

    amounts: tuple[tuple[str, bool], ...]  # (field, signed)
    entry_amounts: tuple[tuple[str, tuple[str, ...]], ...]  # (lots field, its entries' amounts)
    names: tuple[tuple[str, str], ...]  # (field, attribute)
    entry_names: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]  # (lots field, attribute, entry names)
    dates: tuple[tuple[str, str], ...]  # (field, attribute)
    checks: tuple[Callable[[Event, str], None], ...]  # positivity, years, the rules across fields, in order


@functools.cache
def _plan(cls: type) -> _Plan:
    rules = RULES[cls]
    attrs = attributes(cls)
    amounts, entry_amounts, names, entry_names, dates = [], [], [], [], []
    checks: list[Callable[[Event, str], None]] = []
    for field, row in rules.fields.items():
        attr = attrs[field]
        checks += [_cross_step(rule, attrs) for rule in rules.cross if rule.before == field]
        if row.kind in AMOUNTS:
            amounts.append((field, row.kind == "signed"))
        elif row.kind == "name":
            names.append((field, attr))
        elif row.kind == "date":
            dates.append((field, attr))
        elif row.kind == "year":
            checks.append(_year_step(field, attr))
        if row.positive:
            checks.append(_positive_step(field, attr))
        if row.entry is not None:
            entry_rows, entry_attrs = ENTRY_RULES[row.entry], attributes(row.entry)
            entry_amounts.append((field, tuple(n for n, r in entry_rows.items() if r.kind in AMOUNTS)))
            entry_name_attrs = tuple((n, entry_attrs[n]) for n, r in entry_rows.items() if r.kind == "name")
            entry_names.append((field, attr, entry_name_attrs))
            positive = tuple((n, entry_attrs[n]) for n, r in entry_rows.items() if r.positive)
            checks.append(_entries_step(field, attr, positive))
    checks += [_cross_step(rule, attrs) for rule in rules.cross if rule.before is None]
    return _Plan(tuple(amounts), tuple(entry_amounts), tuple(names), tuple(entry_names), tuple(dates), tuple(checks))


def _check_numbers(raw: dict[str, Any], tag: str, where: str) -> None:
    """Every amount of the table's rows as its normalized text (the entries of `lots` included)."""
    plan = _plan(TAG_TO_TYPE[tag])
    for name, signed in plan.amounts:
        if name in raw and raw[name] is not None:
            raw[name] = _plain_number(raw[name], name, where, signed=signed)
    for name, nested_amounts in plan.entry_amounts:
        lots = raw.get(name)
        if isinstance(lots, list):
            for i, entry in enumerate(lots):
                if isinstance(entry, dict):
                    for nested in nested_amounts:
                        if nested in entry:
                            entry[nested] = _plain_number(entry[nested], f"{name}[{i}].{nested}", where)


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
    """Wallet and asset names (the table's `name` rows) are non-empty and free of control characters."""
    plan = _plan(type(event))
    for field, attr in plan.names:
        _check_name(getattr(event, attr), field, where)
    for field, attr, names in plan.entry_names:
        for i, entry in enumerate(getattr(event, attr) or ()):
            for nested, nested_attr in names:
                _check_name(getattr(entry, nested_attr), f"{field}[{i}].{nested}", where)


def _check_text(raw: dict[str, Any], where: str) -> None:
    """Every string is text UTF-8 can hold: a lone surrogate (a JSON `\\ud800`, or a command-line
    argument that was not UTF-8) is refused here rather than failing when the body is encoded."""
    values = [(k, v) for k, v in raw.items() if isinstance(v, str)]
    for name in ("lots", "into"):  # the lists of entries (sell, allocate, gift_out, donate: lots; reorg: into)
        entries = raw.get(name)
        for i, entry in enumerate(entries if isinstance(entries, list) else ()):
            if isinstance(entry, dict):
                values += [(f"{name}[{i}].{k}", v) for k, v in entry.items() if isinstance(v, str)]
    legs = raw.get("legs")
    if isinstance(legs, list):
        values += [(f"legs[{i}]", v) for i, v in enumerate(legs) if isinstance(v, str)]
    for field, value in values:
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                raise InvalidEvent(f"{_where(where, field)}: not valid Unicode text (a lone surrogate)") from None


def _describe(exc: msgspec.ValidationError) -> str:
    """msgspec says "... - at `$.qty`"; say "field 'qty': ..." instead (listing an enum's values)."""
    text = str(exc)
    match = re.search(r" - at `\$\.?(.*)`$", text)
    if match:
        field, message = match.group(1), text[: match.start()]
        values = ENUM_VALUES.get(field)
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
    """The table's rules on a converted event: dates' years, positive amounts, the rules across fields."""
    plan = _plan(type(event))
    for field, attr in plan.dates:  # the first day of a setting
        start = getattr(event, attr)
        if start is not None and (problem := year_problem(start.year)) is not None:
            raise InvalidEvent(f"{_where(where, field)}: {start.isoformat()}: the year {problem}")
    for check in plan.checks:
        check(event, where)


def _positive_step(field: str, attr: str) -> Callable[[Event, str], None]:
    def check(event: Event, where: str) -> None:
        _positive(getattr(event, attr), field, where)

    return check


def _year_step(field: str, attr: str) -> Callable[[Event, str], None]:
    def check(event: Event, where: str) -> None:
        problem = year_problem(getattr(event, attr))
        if problem is not None:
            raise InvalidEvent(f"{_where(where, field)}: {problem}")

    return check


def _entries_step(field: str, attr: str, positive: tuple[tuple[str, str], ...]) -> Callable[[Event, str], None]:
    def check(event: Event, where: str) -> None:
        for i, entry in enumerate(getattr(event, attr) or ()):
            for nested, nested_attr in positive:
                _positive(getattr(entry, nested_attr), f"{field}[{i}].{nested}", where)

    return check


def _cross_step(rule: Cross, attrs: dict[str, str]) -> Callable[[Event, str], None]:
    def check(event: Event, where: str) -> None:
        _check_cross(rule, functools.partial(_value, event, attrs), where)

    return check


def _value(event: Event, attrs: dict[str, str], field: str) -> Any:
    return getattr(event, attrs[field])


def _check_cross(rule: Cross, get: Callable[[str], Any], where: str) -> None:
    """One rule across fields, told on the field the table names."""
    match rule:
        case OneOf(first, second):
            if (get(first) is None) == (get(second) is None):
                raise InvalidEvent(f"{_where(where, first)}: give exactly one of '{first}' and '{second}'")
        case Differ(first, second, message):
            if get(first) == get(second):
                raise InvalidEvent(f"{_where(where, second)}: " + message.format(first=get(first), second=get(second)))
        case Together(first, second):
            given, other = get(first) is not None, get(second) is not None
            if given and not other:
                raise InvalidEvent(f"{_where(where, second)}: required when '{first}' is given")
            if other and not given:
                raise InvalidEvent(f"{_where(where, first)}: '{second}' given without '{first}'")
        case Less(first, second):
            value = get(first)
            if value is not None and value >= get(second):
                raise InvalidEvent(f"{_where(where, first)}: must be less than '{second}'")
        case NonEmpty(field, message):
            value = get(field)
            if value is not None and not value:
                raise InvalidEvent(f"{_where(where, field)}: {message}")
        case NotBoth(first, second, message):
            if get(first) is not None and get(second) is not None:
                raise InvalidEvent(f"{_where(where, first)}: {message}")
        case EndsBefore(field, value, day_field, day, message):
            if get(field) == value and get(day_field) >= day:
                raise InvalidEvent(f"{_where(where, field)}: {message}")
        case OneOfMany(fields):
            if sum(get(name) is not None for name in fields) != 1:
                names = ", ".join(f"'{name}'" for name in fields[:-1]) + f" and '{fields[-1]}'"
                raise InvalidEvent(f"{_where(where, fields[0])}: give exactly one of {names}")
        case OnlyWith(field, others, message):
            given = any(get(name) is not None for name in others)
            names = " or ".join(f"'{name}'" for name in others)
            if given and get(field) is None:
                raise InvalidEvent(f"{_where(where, field)}: required with {names}")
            if get(field) is not None and not given:
                raise InvalidEvent(f"{_where(where, field)}: only with {names}: {message}")


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


