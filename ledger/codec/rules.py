"""The rules every field of every event is held to (plain decimals, names, enumerations)."""

from __future__ import annotations

import functools
import re
import typing

import msgspec

from ..events import (
    ALL_EVENTS,
    Allocate,
    AssetClass,
    Buy,
    Fee,
    FilingStatus,
    Income,
    IncomeKind,
    Method,
    MethodElection,
    Price,
    Reports,
    Scope,
    Sell,
    Swap,
    Transfer,
    TransferFee,
    WalletInfo,
)

PLAIN = re.compile(r"[0-9]{1,15}(\.[0-9]{1,18})?")
SIGNED = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,18})?")
BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
)


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



def normalize_text(text: str) -> str:
    """'007.50' -> '7.5', '-0.0' -> '0': one spelling per value."""
    negative = text.startswith("-")
    body = text.lstrip("-")
    whole, _, frac = body.partition(".")
    whole = whole.lstrip("0") or "0"
    frac = frac.rstrip("0")
    out = f"{whole}.{frac}" if frac else whole
    return "-" + out if negative and out != "0" else out



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


