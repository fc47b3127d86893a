"""The codec's one rule table (issue #11) against the vocabulary in ledger/events.py.

Every field of every event type (and of the entries of a `lots` list) has exactly one row, whose
kind matches the field's type and whose `required` matches the struct; every rule across fields
names rows of its own type. Both paths read the table: neither the precise nor the fast path
detects a type by its name any more.
"""

from __future__ import annotations

import typing
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest
from gainlog.ledger import codec
from gainlog.ledger.codec import fast_import, rules
from gainlog.ledger.errors import InvalidEvent
from gainlog.ledger.events import ALL_EVENTS, Allocate, LotAllocation, LotPick, ReorgPart, Sell

ROOT = Path(__file__).resolve().parent.parent
UTC = ZoneInfo("UTC")


def _kind(hint: object) -> set[str]:
    """The kinds a field of this type may have."""
    args = set(typing.get_args(hint)) - {type(None)}
    base = args.pop() if len(args) == 1 else hint
    if typing.get_origin(hint) is typing.Literal or typing.get_origin(base) is typing.Literal:
        return {"enum"}
    if typing.get_origin(base) is tuple and typing.get_args(base) == (str, ...):
        return {"keys"}  # a list of event keys (a transfer's `legs`)
    return {
        Decimal: {"plain", "signed"}, datetime: {"time"}, date: {"date"}, int: {"year"}, bool: {"flag"},
        str: {"name", "text"},
    }.get(base, {"lots"})  # type: ignore[call-overload]


def _check_rows(cls: type, rows: dict[str, rules.Field]) -> None:
    hints = typing.get_type_hints(cls)
    fields = msgspec.structs.fields(cls)
    assert [f.encode_name for f in fields if f.encode_name not in rows] == [], cls.__name__
    assert sorted(rows) == sorted(f.encode_name for f in fields), cls.__name__
    for f in fields:
        row = rows[f.encode_name]
        assert row.kind in _kind(hints[f.name]), (cls.__name__, f.encode_name, row.kind)
        assert row.required == f.required, (cls.__name__, f.encode_name)
        assert row.positive <= (row.kind in rules.AMOUNTS), (cls.__name__, f.encode_name)
        if row.kind == "enum":
            literal = [a for a in typing.get_args(hints[f.name]) if a is not type(None)]
            args = typing.get_args(literal[0]) if typing.get_origin(literal[0]) is typing.Literal else tuple(literal)
            assert row.values == args, (cls.__name__, f.encode_name)
        assert (row.kind == "lots") == (row.entry is not None), (cls.__name__, f.encode_name)


def test_every_event_type_and_field_has_exactly_one_row() -> None:
    assert list(rules.RULES) == list(ALL_EVENTS)
    for cls, table in rules.RULES.items():
        _check_rows(cls, table.fields)


def test_every_lots_entry_has_exactly_one_row_per_field() -> None:
    assert set(rules.ENTRY_RULES) == {LotPick, LotAllocation, ReorgPart}
    entries = {row.entry for t in rules.RULES.values() for row in t.fields.values() if row.entry}
    assert entries == {LotPick, LotAllocation, ReorgPart}
    for cls, rows in rules.ENTRY_RULES.items():
        _check_rows(cls, rows)
    assert rules.RULES[Sell].fields["lots"].entry is LotPick
    assert rules.RULES[Allocate].fields["lots"].entry is LotAllocation


def test_every_rule_across_fields_names_rows_of_its_type() -> None:
    for cls, table in rules.RULES.items():
        for rule in table.cross:
            named = [v for k, v in rule._asdict().items() if k in ("first", "second", "field", "day_field", "before")]
            named += [n for k, v in rule._asdict().items() if k in ("fields", "others") for n in v]
            assert all(n is None or n in table.fields for n in named), (cls.__name__, rule)


def test_one_list_of_values_per_enumerated_name() -> None:
    for table in rules.RULES.values():
        for name, row in table.fields.items():
            if row.kind == "enum":
                assert rules.ENUM_VALUES[name] == row.values, name


def test_no_type_is_detected_by_its_name() -> None:
    for path in sorted((ROOT / "ledger" / "codec").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert '"Decimal" in str' not in text and '"Literal" in str' not in text, path.name
        assert "get_type_hints" not in text, path.name


def test_the_fast_path_takes_the_types_the_table_marks_fast() -> None:
    _, mirrors = fast_import._normal_decoder()
    assert sorted(m.tag for m in mirrors.values()) == sorted(
        str(cls.__struct_config__.tag) for cls, t in rules.RULES.items() if t.fast
    ) == ["buy", "fee", "income", "price", "sell", "swap", "transfer"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # several rules broken at once: the first in the table's order is told, as before the table
        ('{"type":"buy","at":"2024-01-01","wallet":"w","asset":"A","qty":"0","price":"1","total":"0"}',
         "t: field 'qty': must be above zero"),
        ('{"type":"buy","at":"2024-01-01","wallet":"w","asset":"A","qty":"1","price":"0","total":"0"}',
         "t: field 'price': give exactly one of 'price' and 'total'"),
        ('{"type":"swap","at":"2024-01-01","wallet":"w","give_asset":"A","give_qty":"1","get_asset":"A",'
         '"get_qty":"0"}', "t: field 'get_qty': must be above zero"),
        ('{"type":"transfer","at":"2024-01-01","from":"a","to":"a","asset":"A","qty":"1","fee_qty":"0"}',
         "t: field 'to': a transfer from 'a' to itself"),
        ('{"type":"transfer","at":"2024-01-01","from":"a","to":"b","asset":"A","qty":"1","fee_qty":"2"}',
         "t: field 'fee_value': required when 'fee_qty' is given"),
        ('{"type":"transfer","at":"2024-01-01","from":"a","to":"b","asset":"A","qty":"1","fee_value":"2"}',
         "t: field 'fee_qty': 'fee_value' given without 'fee_qty'"),
        ('{"type":"sell","at":"2024-01-01","wallet":"w","asset":"A","qty":"1","total":"1","lots":[]}',
         "t: field 'lots': an empty list names no lot"),
        ('{"type":"allocate","asset":"A","lots":[{"lot":"x","wallet":"\\u0001","qty":"0"}]}',
         "t: field 'lots[0].wallet': '\\x01' holds the control character '\\x01'; wallet and asset names are "
         "printable text"),
        ('{"type":"method","method":"FIFO","from":"2025-01-01","scope":"universal","wallet":"w"}',
         "t: field 'scope': scope is decided per asset, not per wallet"),
        ('{"type":"method","method":"FIFO","from":"1800-01-01","scope":"universal","wallet":"w"}',
         "t: field 'from': 1800-01-01: the year 1800 is outside the years gainlog handles (1900-2100)"),
        ('{"type":"profile","year":2024,"taxable_income":"-1.50"}', None),
    ],
)
def test_the_precise_path_tells_the_first_broken_rule_in_the_tables_order(line: str, message: str | None) -> None:
    if message is None:
        assert codec.canonical(codec.decode_line(line, tz=UTC, where="t"))["taxable_income"] == "-1.5"
        return
    with pytest.raises(InvalidEvent) as caught:
        codec.decode_line(line, tz=UTC, where="t")
    assert str(caught.value) == message
    assert codec.decode_fast(line.encode()) is None
