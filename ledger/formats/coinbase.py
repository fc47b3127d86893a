"""Coinbase "transaction history" CSV (coinbase.com > Statements > Transaction history, CSV).

The export opens with preamble rows ("Transactions", "User,NAME,UUID") and then the header

    ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,
    Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes

Amounts carry a currency sign ("$1,234.56"); a sell's quantity is negative ("-0.5"); times are
"YYYY-MM-DD HH:MM:SS UTC". Older exports have no `ID` column and say `Spot Price Currency` /
`Spot Price at Transaction`; both are read (without `ID` a row's id is a hash of its cells).
Money is USD: a `Price Currency` other than USD is refused (gainlog has no exchange rates).

| Transaction Type | event |
|---|---|
| Buy, Advanced Trade Buy | `buy` qty, total = Subtotal, fee = Fees and/or Spread |
| Sell, Advanced Trade Sell | `sell` qty, total = Subtotal, fee = Fees and/or Spread |
| Advanced Trade Buy/Sell quoted in a crypto (Notes "... on EOS-USDC") | `swap`, value = Subtotal |
| Convert | `swap` give Asset, get what Notes names ("Converted 1 ETH to 0.05 BTC"), value = Subtotal |
| Staking Income, Inflation Reward | `income` kind staking, value = Subtotal |
| Rewards Income, Reward Income, Learning Reward, Coinbase Earn | `income` kind reward |
| Interest Payout | `income` kind interest |
| Send, Receive, (Pro/Exchange) Deposit/Withdrawal of a crypto | skipped with a warning |
| Deposit, Withdrawal of USD | skipped silently (cash moves are not tax events) |

A send or receive is skipped because a self-transfer needs both sides (the `from` and `to`
wallets), and an incoming coin from outside is income or a purchase only the user can tell apart:
record it with `gainlog add transfer` / `add income`. Any other type is refused so nothing that
moves a lot can be lost silently.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ledger.formats.table import Conversion, Row, nonzero, plain, read_rows, text_hash, transfer_warning
from ledger.limits import shown

TYPE = "Transaction Type"
QTY = "Quantity Transacted"
SUBTOTAL = "Subtotal"
FEES = "Fees and/or Spread"
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
_CONVERTED = re.compile(r"Converted [\d,.]+ \S+ to (?P<qty>[\d,]*\.?\d+) (?P<asset>[A-Za-z0-9]+)")
_TRADED = re.compile(
    r"(?:Bought|Sold) [\d,.]+ \S+ for \$?(?P<qty>[\d,]*\.?\d+) (?P<quote>[A-Za-z0-9]+) on \S+-(?P<pair_quote>\S+)"
)
_UTC = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC")


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every row of a Coinbase export as events (see the module docstring for the mapping)."""
    out = Conversion()
    ranks: Counter[str] = Counter()
    for row in read_rows(path, required=REQUIRED, label="Coinbase transaction history"):
        raw = _event(row, tz, wallet, out)
        if raw is not None:
            raw["id"] = _row_id(row, ranks)
            out.events.append(row.event(raw, tz=tz))
    return out


def _row_id(row: Row, ranks: Counter[str]) -> str:
    """The export's own `ID`; without one (older layouts), a hash of the cells and its rank."""
    own = row.text("ID")
    if own:
        return own
    digest = text_hash(row.cells[name] for name in row.order)
    ranks[digest] += 1
    return f"row-{digest}" if ranks[digest] == 1 else f"row-{digest}-{ranks[digest]}"


def _event(row: Row, tz: ZoneInfo, wallet: str, out: Conversion) -> dict[str, Any] | None:
    kind = row.required(TYPE)
    asset = row.required("Asset")
    if kind in INTERNAL:
        out.skip(row, kind, "internal", INTERNAL_GROUP)
        return None
    if kind in TRANSFERS:
        if asset == "USD":
            out.skip(row, kind, "cash", CASH_GROUP)
            return None
        out.skip(row, kind, "transfer")
        out.warnings.append(transfer_warning(row.where, kind, f"{row.text(QTY).lstrip('-')} {asset}"))
        return None
    if kind not in BUYS | SELLS | INCOME.keys() | {"Convert"}:
        out.not_mapped(row, TYPE, kind, "a transaction type")
        return None
    _check_usd(row)
    base = {"at": _at(row, tz), "wallet": wallet, "txid": row.text("ID") or None, "note": row.text("Notes") or None}
    if kind in BUYS or kind in SELLS:
        return base | _trade(row, asset, buying=kind in BUYS)
    if kind == "Convert":
        return base | _convert(row, asset)
    return base | {"type": "income", "asset": asset, "qty": plain(row.positive(QTY)),
                   "value": plain(_subtotal(row)), "kind": INCOME[kind]}


def _check_usd(row: Row) -> None:
    for column in ("Price Currency", "Spot Price Currency"):
        currency = row.text(column)
        if currency and currency != "USD":
            raise row.error(column, f"{shown(currency)}: gainlog's money is USD; export the history in USD")


def _at(row: Row, tz: ZoneInfo) -> str:
    """'2024-03-01 14:22:41 UTC' (current layout) or an RFC 3339 time (older ones)."""
    raw = row.required("Timestamp")
    match = _UTC.fullmatch(raw)
    return row.timestamp("Timestamp", f"{match[1]}T{match[2]}Z" if match else raw, tz=tz)


def _price(row: Row) -> Decimal | None:
    for column in ("Price at Transaction", "Spot Price at Transaction"):
        if row.text(column):
            return row.amount(column, money=True)
    return None


def _subtotal(row: Row) -> Decimal:
    """The USD value of the row before fees; quantity × price when the cell is empty."""
    value = row.decimal(SUBTOTAL, money=True)
    if value is not None:
        return abs(value)
    price = _price(row)
    if price is None:
        raise row.error(SUBTOTAL, "is empty and there is no price to value the row with")
    return row.amount(QTY) * price


def _fee(row: Row) -> Decimal:
    value = row.decimal(FEES, money=True) if row.has(FEES) else None
    return abs(value) if value is not None else Decimal(0)


def _positive_subtotal(row: Row) -> Decimal:
    total = _subtotal(row)
    if total == 0:
        raise row.error(SUBTOTAL, "must not be zero for a trade")
    return total


def _trade(row: Row, asset: str, *, buying: bool) -> dict[str, Any]:
    """A USD buy or sell; an Advanced Trade quoted in a crypto is a swap of the two assets."""
    qty = row.positive(QTY)
    total = _positive_subtotal(row)
    fee = _fee(row)
    traded = _TRADED.search(row.text("Notes"))
    if traded is None or traded["pair_quote"] == "USD":
        tag = "buy" if buying else "sell"
        return {"type": tag, "asset": asset, "qty": plain(qty), "total": plain(total), "fee": nonzero(fee)}
    quote, quote_qty = traded["pair_quote"], _notes_qty(row, traded["qty"])
    give, get = ((quote, quote_qty), (asset, qty)) if buying else ((asset, qty), (quote, quote_qty))
    return _swap(give, get, total, fee)


def _convert(row: Row, asset: str) -> dict[str, Any]:
    converted = _CONVERTED.search(row.text("Notes"))
    if converted is None:
        raise row.error("Notes", "does not say what was received ('Converted X A to Y B')")
    get = (converted["asset"], _notes_qty(row, converted["qty"]))
    return _swap((asset, row.positive(QTY)), get, _subtotal(row), _fee(row))


def _notes_qty(row: Row, text: str) -> Decimal:
    qty = Decimal(text.replace(",", ""))
    if qty == 0:
        raise row.error("Notes", "names a zero quantity")
    return qty


def _swap(give: tuple[str, Decimal], get: tuple[str, Decimal], value: Decimal, fee: Decimal) -> dict[str, Any]:
    return {
        "type": "swap", "give_asset": give[0], "give_qty": plain(give[1]), "get_asset": get[0],
        "get_qty": plain(get[1]), "value": plain(value), "fee": nonzero(fee),
    }
