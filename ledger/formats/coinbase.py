"""Coinbase "transaction history" CSV (coinbase.com > Statements > Transaction history, CSV).

Four layouts are read (docs/formats.md says where each was confirmed). The current one opens with
preamble rows ("Transactions", "User,NAME,UUID") and then the header

    ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,
    Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes

2021-23 exports have no `ID` and say `Spot Price Currency` / `Spot Price at Transaction`; 2021-22
ones also say `Total (inclusive of fees)` and `Fees`; 2018-21 ones have no currency column and say
`USD Spot Price at Transaction`, `USD Subtotal`, `USD Total (inclusive of fees)`, `USD Fees`.
Without `ID` a row's id is a hash of its cells. Amounts carry a currency sign ("$1,234.56") or
none; a sell's quantity is negative; times are "YYYY-MM-DD HH:MM:SS UTC", "YYYY-MM-DD HH:MM UTC"
or RFC 3339. A row wrapped whole in quotes is read as the row it wraps (table.py). Money is USD:
a `Price Currency` other than USD is refused (gainlog has no exchange rates). ETH2 (Coinbase's
staked ETH, redeemed 1:1) is ETH.

| Transaction Type | event |
|---|---|
| Buy, Advanced Trade Buy | `buy` qty, total = Subtotal, fee = Total − Subtotal (basis = Total) |
| Sell, Advanced Trade Sell | `sell` qty, total = Subtotal, fee = Subtotal − Total (proceeds = Total) |
| Advanced Trade Buy/Sell quoted in a crypto (Notes "on SOL-USDC") | `swap`, value = Subtotal (buy) / Total (sell) |
| Convert (one row, Notes "Converted 1 ETH to 2,970 USDC") | `swap`, value = Subtotal (net of the spread), no fee |
| Convert (two rows, one per asset, same Timestamp and Notes) | one `swap`, value = received row's Subtotal |
| Staking Income, Inflation Reward | `income` kind staking, value = Subtotal |
| Rewards Income, Reward Income, Learning Reward, Coinbase Earn, Incentives Rewards Payout | `income` kind reward |
| Interest Payout | `income` kind interest |
| Send, (Pro/Exchange) Withdrawal of a crypto | `withdrawal` qty (a transfer leg: `gainlog transfers` pairs it) |
| Receive, (Pro/Exchange) Deposit of a crypto | `deposit` qty (a transfer leg) |
| Deposit, Withdrawal of USD | skipped, counted (cash is not a lot) |
| Retail Staking/Unstaking Transfer, Retail Eth2 Deprecation, Vault, Savings, Portfolio moves | skipped, counted |

When Total and Subtotal disagree in the wrong direction (a buy's Total below its Subtotal), the
`Fees` column is taken as the fee instead. A fee or spread taken out of the swapped quantities is
never recorded again as `fee` (TAX_RULES R2.3): `value` is what was actually received.

A send or receive is one side of a move (R2.8): a `withdrawal` or `deposit` event whose id is the
row's `ID` (a hash of its cells without one), which `gainlog transfers` pairs with the other side
into a `transfer`; until then every report warns. An incoming coin from someone else is income or
a purchase only the user can tell apart: retract the deposit and record it with `gainlog add
income`. Any other type is listed as not mapped, so nothing that moves a lot can be lost silently.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..limits import shown
from .table import Conversion, Row, nonzero, plain, read_rows, text_hash

TYPE = "Transaction Type"
QTY = "Quantity Transacted"
# each column's names across the layouts, newest first
SUBTOTAL = ("Subtotal", "USD Subtotal")
TOTAL = ("Total (inclusive of fees and/or spread)", "Total (inclusive of fees)", "USD Total (inclusive of fees)")
FEES = ("Fees and/or Spread", "Fees", "USD Fees")
PRICE = ("Price at Transaction", "Spot Price at Transaction", "USD Spot Price at Transaction")
CURRENCY = ("Price Currency", "Spot Price Currency")
REQUIRED = ("Timestamp", TYPE, "Asset", QTY, SUBTOTAL, "Notes")

BUYS = frozenset({"Buy", "Advanced Trade Buy", "Advance Trade Buy"})
SELLS = frozenset({"Sell", "Advanced Trade Sell", "Advance Trade Sell"})
INCOME = {
    "Staking Income": "staking",
    "Inflation Reward": "staking",
    "Rewards Income": "reward",
    "Reward Income": "reward",
    "Learning Reward": "reward",
    "Coinbase Earn": "reward",
    "Incentives Rewards Payout": "reward",
    "Interest Payout": "interest",
    "Interest payout": "interest",
}
TRANSFERS = frozenset(
    {
        "Send", "Receive", "Deposit", "Withdrawal", "Pro Deposit", "Pro Withdrawal",
        "Exchange Deposit", "Exchange Withdrawal",
    }
)
# Moves between parts of the same Coinbase account (staking, the vault, savings, portfolios):
# the coins stay the user's and in this wallet, so no lot changes (skipped, counted in the summary).
INTERNAL = frozenset(
    {
        "Retail Staking Transfer", "Retail Unstaking Transfer", "Retail Eth2 Deprecation",
        "Vault Deposit", "Vault Withdrawal", "Cash to Savings", "Savings to Cash", "Portfolio Transfer",
    }
)
INTERNAL_GROUP = "internal move(s) inside the Coinbase account (no lot changes, not taxable)"
CASH_GROUP = "USD deposit(s) and withdrawal(s) (cash is not a lot)"
ASSETS = {"ETH2": "ETH"}  # staked ETH, redeemed 1:1 for ETH (the "Retail Eth2 Deprecation")
_CONVERTED = re.compile(
    r"Converted (?P<give_qty>[\d,]*\.?\d+) (?P<give>[A-Za-z0-9]+) to (?P<qty>[\d,]*\.?\d+) (?P<asset>[A-Za-z0-9]+)"
)
_TRADED = re.compile(
    r"(?:Bought|Sold) [\d,.]+ \S+ for \$?(?P<qty>[\d,]*\.?\d+) (?P<quote>[A-Za-z0-9]+) on \S+-(?P<pair_quote>\S+)"
)
_UTC = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)? ?(?:UTC|Z)")


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every row of a Coinbase export as events (see the module docstring for the mapping)."""
    out = Conversion()
    ranks: Counter[str] = Counter()
    rows = read_rows(path, required=REQUIRED, label="Coinbase transaction history")
    partner = _convert_pairs(rows)
    where_to_row = {row.where: row for row in rows}
    for row in rows:
        if partner.get(row.where) == "":
            continue  # the second row of a two-row Convert: done with its first
        other = partner.get(row.where)
        pair = where_to_row[other] if other else None
        raw = _pair(row, pair, tz, wallet, out) if pair is not None else _event(row, tz, wallet, out)
        if raw is not None:
            raw["id"] = _row_id(row, ranks) if pair is None else _pair_id(row, pair, ranks)
            out.events.append(row.event(raw, tz=tz))
    return out


def asset_code(code: str) -> str:
    return ASSETS.get(code, code)


def _convert_pairs(rows: list[Row]) -> dict[str, str]:
    """Two-row Converts: first row's place -> second row's place, and the second's -> ''.

    Newer exports write a Convert as one row per asset sharing the Timestamp and Notes (and the ID
    when there is one); two such rows of different assets are one swap.
    """
    key_to_rows: dict[tuple[str, str, str], list[Row]] = {}
    for row in rows:
        if row.text(TYPE) == "Convert":
            key_to_rows.setdefault((row.text("Timestamp"), row.text("Notes"), row.text("ID")), []).append(row)
    for key in [k for k in key_to_rows if k[2]]:  # rows with different IDs may still pair on time and notes
        key_to_rows.setdefault((key[0], key[1], ""), []).extend(key_to_rows[key])
    partner: dict[str, str] = {}
    for group in key_to_rows.values():
        if len(group) == 2 and asset_code(group[0].text("Asset")) != asset_code(group[1].text("Asset")):
            first, second = group
            if first.where not in partner and second.where not in partner:
                partner[first.where], partner[second.where] = second.where, ""
    return partner


def _row_id(row: Row, ranks: Counter[str]) -> str:
    """The export's own `ID`; without one (older layouts), a hash of the cells and its rank."""
    own = row.text("ID")
    if own:
        return own
    digest = text_hash(row.cells[name] for name in row.order)
    ranks[digest] += 1
    return f"row-{digest}" if ranks[digest] == 1 else f"row-{digest}-{ranks[digest]}"


def _pair_id(first: Row, second: Row, ranks: Counter[str]) -> str:
    one, two = _row_id(first, ranks), _row_id(second, ranks)
    return one if one == two else f"{one}+{two}"


def _event(row: Row, tz: ZoneInfo, wallet: str, out: Conversion) -> dict[str, Any] | None:
    kind = row.required(TYPE)
    asset = asset_code(row.required("Asset"))
    if kind in INTERNAL:
        out.skip(row, kind, "internal", INTERNAL_GROUP)
        return None
    if kind in TRANSFERS:
        if asset == "USD":
            out.skip(row, kind, "cash", CASH_GROUP)
            return None
        qty = row.decimal(QTY) or Decimal(0)
        out.transfer_leg(
            row, kind, "out" if kind == "Send" or kind.endswith("Withdrawal") else "in", asset, abs(qty),
            at=_at(row, tz), event_id=row.text("ID") or None,
        )
        return None
    if kind not in BUYS | SELLS | INCOME.keys() | {"Convert"}:
        out.not_mapped(row, TYPE, kind, "a transaction type")
        return None
    _check_usd(row)
    base = _base(row, tz, wallet)
    if kind in BUYS or kind in SELLS:
        return base | _trade(row, asset, buying=kind in BUYS)
    if kind == "Convert":
        swap = _convert(row, asset)
        if swap is None:
            out.skip(row, kind, "internal", INTERNAL_GROUP)
            return None
        return base | swap
    return base | {"type": "income", "asset": asset, "qty": plain(row.positive(QTY)),
                   "value": plain(_subtotal(row)), "kind": INCOME[kind]}


def _base(row: Row, tz: ZoneInfo, wallet: str) -> dict[str, Any]:
    return {"at": _at(row, tz), "wallet": wallet, "txid": row.text("ID") or None, "note": row.text("Notes") or None}


def _check_usd(row: Row) -> None:
    for column in CURRENCY:
        currency = row.text(column)
        if currency and currency != "USD":
            raise row.error(column, f"{shown(currency)}: gainlog's money is USD; export the history in USD")


def _at(row: Row, tz: ZoneInfo) -> str:
    """'2024-03-01 14:22:41 UTC', '2024-03-18 11:49 UTC' (no seconds) or an RFC 3339 time."""
    raw = row.required("Timestamp")
    match = _UTC.fullmatch(raw)
    text = f"{match[1]}T{match[2]}{match[3] or ':00'}Z" if match else raw
    return row.timestamp("Timestamp", text, tz=tz)


def _money(row: Row, names: tuple[str, ...]) -> Decimal | None:
    """The size of a USD cell of one of the column `names` (None when the column is absent or empty)."""
    column = row.column(names)
    value = row.decimal(column, money=True) if row.has(column) else None
    return abs(value) if value is not None else None


def _subtotal(row: Row) -> Decimal:
    """The USD value of the row before fees; quantity × price when the cell is empty."""
    value = _money(row, SUBTOTAL)
    if value is not None:
        return value
    price = _money(row, PRICE)
    if price is None:
        raise row.error(row.column(SUBTOTAL), "is empty and there is no price to value the row with")
    return row.amount(QTY) * price


def _fee(row: Row, subtotal: Decimal, *, buying: bool) -> Decimal:
    """Total − Subtotal on a buy, Subtotal − Total on a sell; the `Fees` column when Total says nothing."""
    total = _money(row, TOTAL)
    if total is not None and (total >= subtotal if buying else total <= subtotal):
        return abs(total - subtotal)
    fees = _money(row, FEES)
    return fees if fees is not None else Decimal(0)


def _positive_subtotal(row: Row) -> Decimal:
    total = _subtotal(row)
    if total == 0:
        raise row.error(row.column(SUBTOTAL), "must not be zero for a trade")
    return total


def _trade(row: Row, asset: str, *, buying: bool) -> dict[str, Any]:
    """A USD buy or sell; an Advanced Trade quoted in a crypto is a swap of the two assets."""
    qty = row.positive(QTY)
    subtotal = _positive_subtotal(row)
    fee = _fee(row, subtotal, buying=buying)
    traded = _TRADED.search(row.text("Notes"))
    if traded is None or traded["pair_quote"] == "USD":
        tag = "buy" if buying else "sell"
        return {"type": tag, "asset": asset, "qty": plain(qty), "total": plain(subtotal), "fee": nonzero(fee)}
    # Notes name the quote units that moved, fee included: paid (buy) or received net (sell). The fee
    # is inside those quantities, so the swap has none, and `value` is the USD value received (R2.3).
    quote, quote_qty = asset_code(traded["pair_quote"]), _notes_qty(row, traded["qty"])
    if buying:
        return _swap((quote, quote_qty), (asset, qty), subtotal)
    if fee >= subtotal:
        raise row.error(row.column(TOTAL), "leaves nothing once the fee is taken out")
    return _swap((asset, qty), (quote, quote_qty), subtotal - fee)


def _convert(row: Row, asset: str) -> dict[str, Any] | None:
    """A one-row Convert: give Asset × Quantity, get what Notes names; value = Subtotal (net of the spread).

    None for a Convert of an asset into itself (ETH to ETH2: staking, not a disposal).
    """
    converted = _CONVERTED.search(row.text("Notes"))
    if converted is None:
        raise row.error("Notes", "does not say what was received ('Converted X A to Y B')")
    get = (asset_code(converted["asset"]), _notes_qty(row, converted["qty"]))
    if get[0] == asset:
        return None
    return _swap((asset, row.positive(QTY)), get, _subtotal(row))


def _pair(first: Row, second: Row, tz: ZoneInfo, wallet: str, out: Conversion) -> dict[str, Any] | None:
    """A Convert written as two rows: the negative quantity is given, the positive one received.

    When both carry the same sign, Notes ("Converted X A to Y B") say which asset was given. The
    value is the received row's Subtotal, the fair market value received; the spread is inside
    the quantities, so no `fee` (R2.3).
    """
    for row in (first, second):
        _check_usd(row)
    first_qty, second_qty = first.decimal(QTY), second.decimal(QTY)
    if first_qty is None or second_qty is None or first_qty == 0 or second_qty == 0:
        raise (first if not first_qty else second).error(QTY, "must not be empty or zero in a Convert")
    if (first_qty < 0) != (second_qty < 0):
        give, get = (first, second) if first_qty < 0 else (second, first)
    else:
        converted = _CONVERTED.search(first.text("Notes"))
        named = asset_code(converted["give"]) if converted else None
        if named not in (asset_code(first.text("Asset")), asset_code(second.text("Asset"))):
            raise first.error(QTY, f"and line {second.where.rsplit(':', 1)[1]} do not say which asset was given "
                                   "(one negative quantity, or Notes 'Converted X A to Y B')")
        give, get = (first, second) if asset_code(first.text("Asset")) == named else (second, first)
    raw = _swap(
        (asset_code(give.required("Asset")), give.amount(QTY)),
        (asset_code(get.required("Asset")), get.amount(QTY)),
        _subtotal(get),
    )
    return _base(first, tz, wallet) | raw


def _notes_qty(row: Row, text: str) -> Decimal:
    qty = Decimal(text.replace(",", ""))
    if qty == 0:
        raise row.error("Notes", "names a zero quantity")
    return qty


def _swap(give: tuple[str, Decimal], get: tuple[str, Decimal], value: Decimal) -> dict[str, Any]:
    return {
        "type": "swap", "give_asset": give[0], "give_qty": plain(give[1]), "get_asset": get[0],
        "get_qty": plain(get[1]), "value": plain(value),
    }
