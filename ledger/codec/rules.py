"""The one rule table: what every field of every event is held to, and the rules across fields.

Both the precise path (`validate.py`: Decimal values, naming the field at fault) and the import
fast path (`fast_import.py`: normalized text, one regular expression per line) read `RULES`; neither names a
field or a rule of its own. tests/test_codec_rules.py holds the table to `ledger/events.py` (one row
per field, the kind matching its type), tests/test_import_perf_equivalence.py both paths to it.

A row's kind:
    plain   a decimal in plain notation, `^[0-9]{1,15}(\\.[0-9]{1,18})?$` (CONTRACT §2)
    signed  the same with an optional '-'
    time    RFC 3339 with an offset or a bare date, kept as UTC (`validate.parse_at`)
    date    a day (`from`), its year within MIN_YEAR-MAX_YEAR
    year    a tax year within MIN_YEAR-MAX_YEAR
    name    a wallet or asset name: non-empty, no control character
    enum    one of `values`
    text    any text (ids, notes, keys)
    flag    true or false
    lots    a list of entries, each held to `ENTRY_RULES[entry]`
    keys    a list of event keys (text), e.g. a transfer's `legs`
"""

from __future__ import annotations

import functools
import re
import typing
from datetime import date
from typing import Literal, NamedTuple

import msgspec

from ..events import (
    WALLET_SCOPE_FROM,
    Allocate,
    AssetClass,
    Buy,
    Carryover,
    Deposit,
    Donate,
    Fee,
    FilingStatus,
    GiftIn,
    GiftOut,
    Income,
    IncomeKind,
    Lost,
    LotAllocation,
    LotPick,
    Method,
    MethodElection,
    Policy,
    Price,
    Profile,
    Rename,
    Reorg,
    ReorgPart,
    Reports,
    Retract,
    Scope,
    Sell,
    Split,
    Swap,
    Transfer,
    TransferFee,
    WalletInfo,
    Withdrawal,
    Worthless,
)

PLAIN = re.compile(r"[0-9]{1,15}(\.[0-9]{1,18})?")
SIGNED = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,18})?")
BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: never in a wallet or asset name

Kind = Literal["plain", "signed", "time", "date", "year", "name", "enum", "text", "flag", "lots", "keys"]
AMOUNTS = ("plain", "signed")


class Field(NamedTuple):
    """One field's row (keyed by its JSON name).

    Attributes:
        kind: what its value is (the module's docstring lists the kinds).
        required: an event without it is refused.
        positive: above zero (amounts only).
        values: an enum's valid values, listed when a value is refused.
        entry: the entry struct of a `lots` list.
    """

    kind: Kind
    required: bool = False
    positive: bool = False
    values: tuple[str, ...] = ()
    entry: type | None = None


# The rules across fields. Each runs just before the positivity check of the row it names in
# `before` (None: after the last row), the order in which a line breaking several rules is told.
class OneOf(NamedTuple):
    """Exactly one of two fields is given (told on `first`)."""

    first: str
    second: str
    before: str | None = None


class Differ(NamedTuple):
    """Two fields differ (told on `second`; `message` formats `first` and `second`'s values)."""

    first: str
    second: str
    message: str
    before: str | None = None


class Together(NamedTuple):
    """`second` is given exactly when `first` is (e.g. a transfer's fee units and their value)."""

    first: str
    second: str
    before: str | None = None


class Less(NamedTuple):
    """`first`, when given, is less than `second` (told on `first`)."""

    first: str
    second: str
    before: str | None = None


class NonEmpty(NamedTuple):
    """A given list holds at least one entry."""

    field: str
    message: str
    before: str | None = None


class NotBoth(NamedTuple):
    """At most one of two fields is given (told on `first`)."""

    first: str
    second: str
    message: str
    before: str | None = None


class EndsBefore(NamedTuple):
    """`field` == `value` only while `day_field` is before `day` (told on `field`)."""

    field: str
    value: str
    day_field: str
    day: date
    message: str
    before: str | None = None


class OneOfMany(NamedTuple):
    """Exactly one of several fields is given (told on the first of `fields`)."""

    fields: tuple[str, ...]
    before: str | None = None


class OnlyWith(NamedTuple):
    """`field` is given exactly when one of `others` is (told on `field`)."""

    field: str
    others: tuple[str, ...]
    message: str  # why it is refused without them
    before: str | None = None


Cross = OneOf | Differ | Together | Less | NonEmpty | NotBoth | EndsBefore | OneOfMany | OnlyWith


class Rules(NamedTuple):
    """One event type's rules.

    Attributes:
        fields: a row per field (JSON names), in the order they are checked.
        cross: the rules across fields.
        fast: the import fast path takes this type (the trades and prices a real file is made of).
    """

    fields: dict[str, Field]
    cross: tuple[Cross, ...] = ()
    fast: bool = False


def _values(literal: object) -> tuple[str, ...]:
    return typing.get_args(literal)


TEXT = Field("text")
NAME = Field("name", required=True)
TIME = Field("time", required=True)
QTY = Field("plain", required=True, positive=True)
USD = Field("plain")
COMMON = {"id": TEXT, "note": TEXT, "txid": TEXT}  # every event may carry them (events._Base)

_PRICED = {"at": TIME, "wallet": NAME, "asset": NAME, "qty": QTY,
           "price": Field("plain", positive=True), "total": Field("plain", positive=True), "fee": USD}
_ONE_PRICE = OneOf("price", "total", before="price")
_UNIVERSAL_ENDS = "a universal scope ends on 2025-01-01 (Rev. Proc. 2024-28); from then on each wallet is its own pool"
_CLASS = Field("enum", values=_values(AssetClass))

_UNITS_GIVEN = Rules(  # gift_out and donate: units leave with no disposal, picked like a sale's
    {"at": TIME, "wallet": NAME, "asset": NAME, "qty": QTY, "fmv": Field("plain", required=True),
     "lots": Field("lots", entry=LotPick), **COMMON},
    (NonEmpty("lots", "an empty list names no lot", before="lots"),),
)
RULES: dict[type, Rules] = {
    Buy: Rules({**_PRICED, "class": _CLASS, **COMMON}, (_ONE_PRICE,), fast=True),
    Sell: Rules(
        {**_PRICED, "lots": Field("lots", entry=LotPick), "wash_disallowed": USD, **COMMON},
        (_ONE_PRICE, NonEmpty("lots", "an empty list names no lot", before="lots")),
        fast=True,
    ),
    Swap: Rules(
        {"at": TIME, "wallet": NAME, "give_asset": NAME, "give_qty": QTY, "get_qty": QTY, "get_asset": NAME,
         "fee": USD, "value": USD, **COMMON},
        (Differ("give_asset", "get_asset", "a swap of {first} for itself"),),
        fast=True,
    ),
    Transfer: Rules(
        {"at": TIME, "from": NAME, "to": NAME, "asset": NAME, "qty": QTY,
         "fee_qty": Field("plain", positive=True), "fee_value": USD, **COMMON, "legs": Field("keys")},
        (Differ("from", "to", "a transfer from {second!r} to itself", before="fee_qty"),
         Together("fee_qty", "fee_value"), Less("fee_qty", "qty"),
         NonEmpty("legs", "an empty list pairs no leg")),
        fast=True,
    ),
    Fee: Rules({"at": TIME, "wallet": NAME, "asset": NAME, "qty": QTY, "value": USD, **COMMON}, fast=True),
    Income: Rules(
        {"at": TIME, "wallet": NAME, "asset": NAME, "qty": QTY,
         "kind": Field("enum", required=True, values=_values(IncomeKind)), "class": _CLASS, "value": USD, **COMMON},
        fast=True,
    ),
    MethodElection: Rules(
        {"method": Field("enum", required=True, values=_values(Method)), "from": Field("date", required=True),
         "scope": Field("enum", values=_values(Scope)), "wallet": Field("name"), "asset": Field("name"), **COMMON},
        (NotBoth("scope", "wallet", "scope is decided per asset, not per wallet"),
         EndsBefore("scope", "universal", "from", WALLET_SCOPE_FROM, _UNIVERSAL_ENDS)),
    ),
    Profile: Rules(
        {"year": Field("year", required=True), "filing_status": Field("enum", values=_values(FilingStatus)),
         "taxable_income": Field("signed"), "other_income": Field("signed"), **COMMON},
    ),
    Carryover: Rules(
        {"year": Field("year", required=True), "short_term": Field("plain", required=True),
         "long_term": Field("plain", required=True), **COMMON},
    ),
    Policy: Rules(
        {"from": Field("date", required=True), "transfer_fee": Field("enum", values=_values(TransferFee)),
         "wash_sale_crypto": Field("flag"), **COMMON},
    ),
    WalletInfo: Rules(
        {"wallet": NAME, "from": Field("date"), "reports": Field("enum", values=_values(Reports)), **COMMON},
    ),
    Allocate: Rules(
        {"asset": NAME, "lots": Field("lots", required=True, entry=LotAllocation), **COMMON},
        (NonEmpty("lots", "an allocation needs at least one lot", before="lots"),),
    ),
    Retract: Rules({"target": Field("text", required=True), "reason": TEXT, **COMMON}),
    Price: Rules({"at": TIME, "asset": NAME, "usd": QTY, **COMMON}, fast=True),
    # CONTRACT §4 "More events" (projections/rules/corporate.py, gifts.py, losses.py)
    Split: Rules(
        {"at": TIME, "asset": NAME, "ratio": Field("plain", positive=True), "wallet": Field("name"),
         "added_qty": Field("plain", positive=True), "removed_qty": Field("plain", positive=True), **COMMON},
        (OneOfMany(("ratio", "added_qty", "removed_qty"), before="ratio"),
         OnlyWith("wallet", ("added_qty", "removed_qty"), "a split by `ratio` covers every wallet",
                  before="ratio")),
    ),
    Rename: Rules(
        {"at": TIME, "asset": NAME, "to": NAME, **COMMON},
        (Differ("asset", "to", "a rename of {first} to itself"),),
    ),
    Reorg: Rules(
        {"at": TIME, "wallet": Field("name"), "asset": NAME, "into": Field("lots", required=True, entry=ReorgPart),
         "cash": USD, **COMMON},
        (NonEmpty("into", "a reorganization needs at least one asset in `into`", before="into"),),
    ),
    GiftIn: Rules(
        {"at": TIME, "wallet": NAME, "asset": NAME, "qty": QTY, "donor_basis": Field("plain", required=True),
         "donor_acquired": Field("date", required=True), "fmv": Field("plain", required=True), "class": _CLASS,
         **COMMON},
    ),
    GiftOut: _UNITS_GIVEN,
    Donate: _UNITS_GIVEN,
    Lost: Rules({"at": TIME, "wallet": NAME, "asset": NAME, "qty": QTY, **COMMON}),
    Worthless: Rules({"at": TIME, "asset": NAME, "wallet": Field("name"), **COMMON}),
    Withdrawal: Rules(
        {"at": TIME, "wallet": NAME, "asset": NAME, "qty": QTY, "fee_qty": Field("plain", positive=True), **COMMON},
        (Less("fee_qty", "qty"),),
    ),
    Deposit: Rules({"at": TIME, "wallet": NAME, "asset": NAME, "qty": QTY, **COMMON}),
}

# The entries of a `lots` list (sell: specific identification; allocate: the 2025 allocation).
ENTRY_RULES: dict[type, dict[str, Field]] = {
    LotPick: {"lot": Field("text", required=True), "qty": QTY},
    LotAllocation: {"lot": Field("text", required=True), "wallet": NAME, "qty": QTY},
    ReorgPart: {"asset": NAME, "qty_per_unit": QTY, "basis_share": Field("plain", required=True)},
}

# The valid values of each enumerated field (one list per JSON name), listed when a value is refused.
ENUM_VALUES: dict[str, tuple[str, ...]] = {
    name: row.values for rules in RULES.values() for name, row in rules.fields.items() if row.kind == "enum"
}


def _where(where: str, field: str | None) -> str:
    return f"{where}: field '{field}'" if field else where


def normalize_text(text: str) -> str:
    """'007.50' -> '7.5', '-0.0' -> '0': one spelling per value."""
    negative = text.startswith("-")
    body = text.lstrip("-")
    whole, _, frac = body.partition(".")
    whole = whole.lstrip("0") or "0"
    frac = frac.rstrip("0")
    out = f"{whole}.{frac}" if frac else whole
    return "-" + out if negative and out != "0" else out


@functools.cache
def attributes(cls: type) -> dict[str, str]:
    """A struct's attribute names by JSON name (`from` -> `from_`, `class` -> `class_`)."""
    return {f.encode_name: f.name for f in msgspec.structs.fields(cls)}


@functools.cache
def name_attributes(cls: type) -> tuple[str, ...]:
    """The attributes of an event type that always name a wallet or an asset (the table's required names)."""
    names = attributes(cls)
    return tuple(names[json] for json, row in RULES[cls].fields.items() if row.kind == "name" and row.required)
