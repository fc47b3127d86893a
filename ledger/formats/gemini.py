"""Gemini transaction history (gemini.com > Account > Statements & History > Transaction History:
the XLSX export, saved as CSV).

Header: fixed columns, then three columns per asset the account ever held, then ids:

    Date,Time (UTC),Type,Symbol,Specification,Liquidity Indicator,Trading Fee Rate (bps),
    USD Amount USD,Fee (USD) USD,USD Balance USD,BTC Amount BTC,Fee (BTC) BTC,BTC Balance BTC,...,
    Trade ID,Order ID,Order Date,Order Time,Client Order ID,API Session,Tx Hash,
    Deposit Destination,Deposit Tx Output,Withdrawal Destination,Withdrawal Tx Output

Older exports say `Trading Fee (USD) USD` for the fee column. Cells carry their unit and put a
negative amount in parentheses: `$766.12`, `($1.92)`, `(0.07 BTC)`, `"3,595.150506 DAI "`.
`Date` is `2024-03-01` (some re-saves write the whole time in it, or `03/01/2024`) and `Time (UTC)`
`14:22:41.123`. A trade's `Symbol` is base + quote (`BTCUSD`, `ETHBTC`, `SOLGUSD`), split on the
asset columns the header has; a transfer's is the asset. The last row Gemini writes (no date, only
balances) is skipped and counted.

| Type (Specification) | event |
|---|---|
| Buy, quote USD | `buy` qty = base Amount − base Fee, total = −USD Amount, fee = −Fee (USD) |
| Sell, quote USD | `sell` qty = −base Amount, total = USD Amount, fee = −Fee (USD) (proceeds = USD Amount − fee) |
| Buy/Sell, quote a crypto (ETHBTC, SOLGUSD) | `swap` give = left + fee, get = arrived − fee, no `fee` (1) |
| Credit/Debit `Deposit (...)` / `Withdrawal (...)` of a crypto | `out.transfer_leg` (txid = Tx Hash) |
| the same of USD; income credited in USD | skipped, counted (cash is not a lot) |
| Credit naming interest (Earn), staking, a reward, referral, administrative credit | `income` (1) |

(1) value: a USD stablecoin at par, else left out (valued at replay from `price` events).
| a quote in another fiat (SGD, EUR, GBP) | not mapped: gainlog's money is USD |
| anything else | not mapped (listed with every other unknown row) |

The trading fee is in the quote asset and is never inside the Amount: on a buy the USD Amount is
what was paid before the fee (the balance drops by both), on a sell what was received before it.
So a USD trade's fee is the event's `fee` (basis = Amount + fee; proceeds = Amount − fee) and a
crypto-quoted trade's fee units are inside the swap's quantities, never a `fee` too (R2.3).

Event ids: the `Trade ID`; rows without one `row-` + a hash of their cells (`-2`, ... repeated).
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import InvalidEvent
from ..limits import shown
from .table import Conversion, Row, nonzero, plain, read_table, text_hash
from .utc import utc_at

REQUIRED = ("Date", "Time (UTC)", "Type", "Symbol", "Specification")
STABLECOINS = frozenset({"GUSD", "USDC", "USDT", "DAI", "PYUSD", "RLUSD"})
FIAT = frozenset({"EUR", "GBP", "SGD", "CAD", "AUD", "HKD", "CHF", "JPY"})
CASH_GROUP = "cash deposit(s) and withdrawal(s) (cash is not a lot)"
BLANK_GROUP = "row(s) without a date (the balance totals Gemini writes last)"
_AMOUNT_COLUMN = re.compile(r"(?P<asset>[A-Za-z0-9]+) Amount (?P=asset)")
_UNIT = re.compile(r"\s*[A-Za-z][A-Za-z0-9]*$")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})|(\d{1,2})/(\d{1,2})/(\d{4})")
_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
# Specification of a Credit that is income, by what it names (checked in this order)
INCOME_SPECS = (("interest", "interest"), ("staking", "staking"), ("reward", "reward"), ("referral", "reward"),
                ("administrative credit", "reward"))


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every row of a Gemini transaction history as events (see the module docstring)."""
    out = Conversion()
    header, rows = read_table(path, required=REQUIRED, label="Gemini transaction history")
    assets = {m["asset"].upper() for column in header if (m := _AMOUNT_COLUMN.fullmatch(column))}
    ranks: Counter[str] = Counter()
    for row in rows:
        if not row.text("Date"):
            out.skip(row, "(no date)", "internal", BLANK_GROUP)
            continue
        raw = _event(row, assets, tz, wallet, out)
        if raw is not None:
            raw["id"] = _row_id(row, ranks)
            out.events.append(row.event(raw, tz=tz))
    return out


def amount(row: Row, column: str) -> Decimal | None:
    """A Gemini cell as a signed Decimal: `($1.92)` is −1.92, `0.4995 BTC ` is 0.4995 (None when empty)."""
    raw = row.text(column)
    if not raw:
        return None
    negative = raw.startswith("(") and raw.endswith(")")
    inner = _UNIT.sub("", raw[1:-1] if negative else raw).strip()
    try:
        return Row(row.where, {column: ("-" if negative else "") + inner}).decimal(column, money=True)
    except InvalidEvent as exc:
        reason = str(exc).rsplit("' ", 1)[-1]  # 'is not a USD amount', 'is too large ...'
        raise row.error(column, f"{shown(raw)} {reason.replace('a USD amount', 'an amount')}") from None


def _size(row: Row, column: str) -> Decimal:
    return abs(amount(row, column) or Decimal(0))


def _fee_column(row: Row, asset: str) -> str:
    return row.column((f"Fee ({asset}) {asset}", f"Trading Fee ({asset}) {asset}"))


def _at(row: Row, tz: ZoneInfo) -> str:
    """`Date` + `Time (UTC)`: the day from the first, the time of day from the second."""
    day_cell, time_cell = row.required("Date"), row.required("Time (UTC)")
    day = _DATE.match(day_cell)
    clock = _CLOCK.search(time_cell.split()[-1])
    if day is None:
        raise row.error("Date", f"{shown(day_cell)} is not a date YYYY-MM-DD")
    if clock is None or clock.end() != len(time_cell.split()[-1]):
        raise row.error("Time (UTC)", f"{shown(time_cell)} is not a time of day HH:MM:SS")
    iso = day[1] or f"{day[4]}-{int(day[2]):02d}-{int(day[3]):02d}"
    return utc_at(row, "Time (UTC)", tz=tz, raw=f"{iso} {clock[0]}")


def _row_id(row: Row, ranks: Counter[str]) -> str:
    own = row.text("Trade ID")
    if own:
        return own
    digest = text_hash(row.cells[name] for name in row.order)
    ranks[digest] += 1
    return f"row-{digest}" if ranks[digest] == 1 else f"row-{digest}-{ranks[digest]}"


def _event(row: Row, assets: set[str], tz: ZoneInfo, wallet: str, out: Conversion) -> dict[str, Any] | None:
    kind = row.required("Type")
    spec = row.text("Specification")
    label = f"{kind} ({spec})" if spec else kind
    if kind in ("Buy", "Sell"):
        pair = _split(row, assets)
        if pair is None:
            reason = f"{shown(row.text('Symbol'))} is not a pair of assets this export has columns for"
            out.not_mapped(row, "Symbol", label, "", reason)
            return None
        base, quote = pair
        if quote in FIAT:
            out.not_mapped(row, "Symbol", label, "", f"{shown(row.text('Symbol'))} is quoted in {quote}; gainlog's "
                           "money is USD")
            return None
        head = {"at": _at(row, tz), "wallet": wallet, "txid": row.text("Trade ID") or None,
                "note": " ".join(p for p in (row.text("Order ID") and f"order {row.text('Order ID')}", spec) if p)
                or None}
        return head | _trade(row, kind == "Buy", base, quote)
    if kind not in ("Credit", "Debit"):
        out.not_mapped(row, "Type", label, "a transaction type")
        return None
    asset = row.required("Symbol").upper()
    column = f"{asset} Amount {asset}"
    if asset not in assets:
        out.not_mapped(row, "Symbol", label, "", f"{shown(asset)} has no {column!r} column in this export")
        return None
    lowered = spec.lower()
    if lowered.startswith(("deposit", "withdrawal")):
        if asset == "USD" or asset in FIAT:
            out.skip(row, label, "cash", CASH_GROUP)
            return None
        direction = "in" if kind == "Credit" else "out"
        out.transfer_leg(row, label, direction, asset, _size(row, column), fee_qty=_size(row, _fee_column(row, asset)),
                         txid=row.text("Tx Hash") or None, at=_at(row, tz))
        return None
    income = next((k for word, k in INCOME_SPECS if word in lowered), None)
    if kind == "Credit" and income is not None and (asset == "USD" or asset in FIAT):
        out.skip(row, label, "cash", CASH_GROUP.replace("deposit(s) and withdrawal(s)", "credit(s)"))
        return None
    if kind == "Credit" and income is not None:
        qty = _size(row, column) - _size(row, _fee_column(row, asset))
        if qty <= 0:
            out.not_mapped(row, column, label, "", f"a {label} row that adds nothing is not income")
            return None
        value = plain(qty) if asset in STABLECOINS else None
        return {"type": "income", "at": _at(row, tz), "wallet": wallet, "asset": asset, "qty": plain(qty),
                "value": value, "kind": income, "txid": row.text("Tx Hash") or None, "note": spec}
    out.not_mapped(row, "Specification", label, "a transaction type")
    return None


def _split(row: Row, assets: set[str]) -> tuple[str, str] | None:
    """(base, quote) of the trade's Symbol among the header's assets, preferring the two whose cells moved."""
    symbol = row.required("Symbol").upper()
    pairs = [(symbol[: -len(q)], q) for q in assets if symbol.endswith(q) and symbol[: -len(q)] in assets]
    moved = [p for p in pairs if all(row.text(f"{a} Amount {a}") for a in p)]
    chosen = moved or pairs
    return chosen[0] if len(chosen) == 1 else None


def _trade(row: Row, buying: bool, base: str, quote: str) -> dict[str, Any]:
    base_column, quote_column = f"{base} Amount {base}", f"{quote} Amount {quote}"
    base_qty, quote_qty = _size(row, base_column), _size(row, quote_column)
    base_fee, quote_fee = _size(row, _fee_column(row, base)), _size(row, _fee_column(row, quote))
    for column, qty in ((base_column, base_qty), (quote_column, quote_qty)):
        if qty == 0:
            raise row.error(column, "is empty or zero for a trade")
    if quote == "USD":
        side = "buy" if buying else "sell"
        qty = base_qty - base_fee if buying else base_qty + base_fee  # a fee in the asset arrives less / leaves too
        return {"type": side, "asset": base, "qty": plain(qty), "total": plain(quote_qty), "fee": nonzero(quote_fee)}
    # crypto-quoted: the fee units are inside what left or arrived, so there is no `fee` (R2.3)
    if buying:
        give, get = (quote, quote_qty + quote_fee), (base, base_qty - base_fee)
        value = quote_qty if quote in STABLECOINS else None
    else:
        if quote_fee >= quote_qty:
            raise row.error(_fee_column(row, quote), "is not below the amount received: nothing would arrive")
        give, get = (base, base_qty + base_fee), (quote, quote_qty - quote_fee)
        value = get[1] if quote in STABLECOINS else None
    return {"type": "swap", "give_asset": give[0], "give_qty": plain(give[1]), "get_asset": get[0],
            "get_qty": plain(get[1]), "value": plain(value) if value is not None else None}
