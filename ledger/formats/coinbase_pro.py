"""Coinbase Pro / Coinbase Exchange statements, 2018-2023 (Statements > Coinbase Pro > Generate
custom report: "Fills" or "Account", CSV). `--format coinbase-pro` reads both, told apart by the
header (docs/formats.md says where each was confirmed):

    portfolio,trade id,product,side,created at,size,size unit,price,fee,total,price/fee/total unit
    portfolio,type,time,amount,balance,amount/balance unit,transfer id,trade id,order id

(2018 exports have no `portfolio` column.) Times are RFC 3339 UTC ("2021-03-01T14:22:41.123Z").

Fills, one row per execution: `size` of the base asset (`size unit`) at `price`, `fee` and
`total` in the quote (`price/fee/total unit`); `total` is the cash that moved, negative on a buy
(−(size × price + fee)) and positive on a sale (size × price − fee).

| fill | event |
|---|---|
| BUY, quote USD | `buy` qty = size, total = −total − fee, fee = fee (basis = −total) |
| SELL, quote USD | `sell` qty = size, total = total + fee, fee = fee (proceeds = total) |
| BUY, quote a crypto | `swap` give −total of the quote (fee included), get size; value = size × price |
| SELL, quote a crypto | `swap` give size, get total of the quote (net of the fee); value = total |

A swap's value is its USD value when the quote is a USD stablecoin (USDC, USDT, DAI, counted at
one dollar); otherwise it is left out and valued from `price` events (a warning says so). The fee is
inside the swapped quantities, so a swap has no `fee` (R2.3). A quote in EUR or GBP is not mapped.

Account statement, one row per balance change: a trade is its `match` rows (one per asset: the
amount given is negative, the amount received positive) and its `fee` rows, sharing `trade id`:

| rows | event |
|---|---|
| match USD given + match crypto received (+ fee) | `buy` qty = received, total = USD given, fee = the fee row |
| match crypto given + match USD received (+ fee) | `sell` qty = given, total = USD received, fee = the fee row |
| match crypto given + match crypto received | `swap`, the fee taken out of the asset it was paid in; value as above |
| deposit / withdrawal of a crypto | a transfer leg in / out, id = `transfer id` (Coinbase's own: never the txid) |
| deposit / withdrawal of USD | skipped, counted |
| conversion (USD <-> USDC at par) | `buy` / `sell` of the USDC at one dollar; the USD side skipped, counted |
| anything else | not mapped |

Ids: a fill's is `PRODUCT-TRADEID`; an account trade's `TRADEID-ORDERID`. Both carry the trade id
as `txid`, so importing the fills and the account statement of one account is reported as likely
duplicates: import one of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import InvalidEvent
from ..limits import shown
from .table import Conversion, Row, nonzero, plain, read_table, text_hash

FILLS = ("trade id", "product", "side", "created at", "size", "price", "fee", "total", "price/fee/total unit")
ACCOUNT = ("type", "time", "amount", "amount/balance unit", "trade id", "order id")
STABLECOINS = frozenset({"USDC", "USDT", "DAI", "PYUSD"})
FIAT = frozenset({"EUR", "GBP", "CAD", "JPY", "CHF", "AUD"})
CASH_GROUP = "USD deposit(s) and withdrawal(s) (cash is not a lot)"
CONVERSION_GROUP = "USD side(s) of USD/USDC conversions (cash is not a lot; the USDC side is a buy or sell)"
UNVALUED = ("swap(s) quoted in a crypto that the export gives no USD value for: each is valued from the latest "
            "`price` of what it received (import a price history: `--format prices`); `import --require-values` "
            "refuses them instead")


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every row of a Coinbase Pro fills or account statement (told apart by the header) as events."""
    out = Conversion()
    label = "Coinbase Pro fills or account"
    header, rows = read_table(path, required=("trade id", ("created at", "time")), label=label)
    if "created at" in header:
        _check(path, header, FILLS, "fills")
        unvalued = [where for row in rows if (where := _fill(row, tz, wallet, out)) is not None]
    else:
        _check(path, header, ACCOUNT, "account")
        unvalued = _account(rows, tz, wallet, out)
        out.events.sort(key=lambda parsed: int(parsed.where.rsplit(":", 1)[1]))  # a trade at its first row
    if unvalued:
        lines = ", ".join(where.rsplit(":", 1)[1] for where in unvalued[:5])
        more = f" and {len(unvalued) - 5} more" if len(unvalued) > 5 else ""
        plural = "s" if len(unvalued) > 1 else ""
        out.warnings.append(f"{path}: {len(unvalued)} {UNVALUED} (line{plural} {lines}{more})")
    return out


def _check(path: Path, header: tuple[str, ...], required: tuple[str, ...], layout: str) -> None:
    missing = [column for column in required if column not in header]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise InvalidEvent(f"{path}: the header of this Coinbase Pro {layout} statement has no column {names}")


def _at(row: Row, column: str, tz: ZoneInfo) -> str:
    raw = row.required(column)
    return row.timestamp(column, raw.replace(" UTC", "Z") if raw.endswith(" UTC") else raw, tz=tz)


def _fill(row: Row, tz: ZoneInfo, wallet: str, out: Conversion) -> str | None:
    """One fill as an event; the row's place when it is a swap without a USD value."""
    side = row.required("side").upper()
    product = row.required("product").upper()
    base, _, quote = product.partition("-")
    unit = row.text("price/fee/total unit").upper() or quote
    if side not in ("BUY", "SELL"):
        out.not_mapped(row, "side", row.text("side"), "a side ('BUY' or 'SELL')")
        return None
    if unit in FIAT:
        out.not_mapped(row, "price/fee/total unit", unit, "", f"{product} is quoted in {unit}; gainlog's money is USD")
        return None
    size, fee, total = row.positive("size"), row.amount("fee"), row.amount("total")
    head = {"at": _at(row, "created at", tz), "wallet": wallet, "id": f"{product}-{row.required('trade id')}",
            "txid": row.required("trade id")}
    buying = side == "BUY"
    if unit == "USD":
        gross = total - fee if buying else total + fee
        if gross <= 0:
            raise row.error("total", f"{shown(row.text('total'))} leaves nothing once the fee is taken out")
        out.events.append(row.event(head | {"type": side.lower(), "asset": base, "qty": plain(size),
                                            "total": plain(gross), "fee": nonzero(fee)}, tz=tz))
        return None
    gross = size * row.positive("price")
    give, get = ((unit, total), (base, size)) if buying else ((base, size), (unit, total))
    if not give[1] or not get[1]:
        raise row.error("total", "must not be zero for a trade")
    value = (gross if buying else total) if unit in STABLECOINS else None
    out.events.append(row.event(head | _swap(give, get, value), tz=tz))
    return None if value is not None else row.where


def _swap(give: tuple[str, Decimal], get: tuple[str, Decimal], value: Decimal | None) -> dict[str, Any]:
    return {"type": "swap", "give_asset": give[0], "give_qty": plain(give[1]), "get_asset": get[0],
            "get_qty": plain(get[1]), "value": plain(value) if value is not None else None}


@dataclass
class _Trade:
    """The account rows of one trade: what each asset's balance did, and the fees by asset."""

    first: Row
    rows: list[Row] = field(default_factory=list)
    moved: dict[str, Decimal] = field(default_factory=dict)
    fees: dict[str, Decimal] = field(default_factory=dict)


def _account(rows: Iterable[Row], tz: ZoneInfo, wallet: str, out: Conversion) -> list[str]:
    trades: dict[tuple[str, str], _Trade] = {}
    for row in rows:
        kind = row.required("type").lower()
        unit = row.required("amount/balance unit").upper()
        if kind in ("match", "fee") and row.text("trade id"):
            trade = trades.setdefault((row.text("trade id"), row.text("order id")), _Trade(row))
            trade.rows.append(row)
            book = trade.moved if kind == "match" else trade.fees
            book[unit] = book.get(unit, Decimal(0)) + (row.decimal("amount") or Decimal(0))
        elif kind in ("deposit", "withdrawal"):
            if unit == "USD" or unit in FIAT:
                out.skip(row, kind, "cash", CASH_GROUP)
            else:
                # `transfer id` is Coinbase's own id of the transfer, not an on-chain hash: the leg's id, never
                # its txid (a txid the other side does not carry would keep the two from pairing)
                out.transfer_leg(row, kind, "in" if kind == "deposit" else "out", unit, row.amount("amount"),
                                 event_id=row.text("transfer id") or None, at=_at(row, "time", tz))
        elif kind == "conversion":
            _conversion(row, unit, tz, wallet, out)
        else:
            out.not_mapped(row, "type", row.text("type"), "an account row type")
    unvalued: list[str] = []
    for (trade_id, order_id), trade in trades.items():
        raw = _trade(trade, trade_id, out)
        if raw is None:
            continue
        if raw["type"] == "swap" and raw.get("value") is None:
            unvalued.append(trade.first.where)
        head = {"at": _at(trade.first, "time", tz), "wallet": wallet, "txid": trade_id,
                "id": f"{trade_id}-{order_id}" if order_id else f"{trade_id}-{text_hash(trade.first.cells.values())}"}
        out.events.append(trade.first.event(head | raw, tz=tz))
    return unvalued


def _trade(trade: _Trade, trade_id: str, out: Conversion) -> dict[str, Any] | None:
    given = [(asset, -amount) for asset, amount in trade.moved.items() if amount < 0]
    received = [(asset, amount) for asset, amount in trade.moved.items() if amount > 0]
    row = trade.first
    if len(given) != 1 or len(received) != 1:
        out.not_mapped(row, "trade id", trade_id, "", f"trade {trade_id}: its match rows are not one asset given "
                                                      "and one received; record it with `gainlog add`")
        return None
    (give_asset, give_qty), (get_asset, get_qty) = given[0], received[0]
    fees = {asset: -amount for asset, amount in trade.fees.items() if amount}
    if FIAT & {give_asset, get_asset}:
        out.not_mapped(row, "amount/balance unit", "fiat trade", "", "a trade against EUR, GBP, ... is not in USD; "
                                                                     "gainlog's money is USD")
        return None
    if give_asset == "USD" or get_asset == "USD":
        fee = fees.pop("USD", Decimal(0))
        if fees:
            raise row.error("amount/balance unit", f"trade {trade_id} pays a fee in {', '.join(fees)}, not USD")
        # the match rows are the gross amounts; the fee is a row of its own
        if give_asset == "USD":
            return {"type": "buy", "asset": get_asset, "qty": plain(get_qty), "total": plain(give_qty),
                    "fee": nonzero(fee)}
        return {"type": "sell", "asset": give_asset, "qty": plain(give_qty), "total": plain(get_qty),
                "fee": nonzero(fee)}
    give_qty += fees.pop(give_asset, Decimal(0))
    get_qty -= fees.pop(get_asset, Decimal(0))
    if fees:
        raise row.error("amount/balance unit", f"trade {trade_id} pays a fee in {', '.join(fees)}, neither side")
    if get_qty <= 0:
        raise row.error("amount", f"trade {trade_id}: the fee takes all of the {get_asset} received")
    value = get_qty if get_asset in STABLECOINS else (given[0][1] if give_asset in STABLECOINS else None)
    return _swap((give_asset, give_qty), (get_asset, get_qty), value)


def _conversion(row: Row, unit: str, tz: ZoneInfo, wallet: str, out: Conversion) -> None:
    """USD <-> USDC at par: the USDC side is a buy or a sale at one dollar, the USD side cash."""
    if unit == "USD":
        out.skip(row, "conversion", "cash", CONVERSION_GROUP)
        return
    amount = row.decimal("amount")
    if unit not in STABLECOINS or not amount:
        out.not_mapped(row, "type", "conversion", "", f"a conversion of {unit} is not one gainlog maps (USD <-> USDC)")
        return
    qty = abs(amount)
    ident = row.text("transfer id") or f"conversion-{text_hash(row.cells[name] for name in row.order)}"
    raw = {"type": "buy" if amount > 0 else "sell", "at": _at(row, "time", tz), "wallet": wallet, "asset": unit,
           "qty": plain(qty), "total": plain(qty), "id": ident, "note": "conversion at par"}
    out.events.append(row.event(raw, tz=tz))
