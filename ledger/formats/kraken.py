"""Kraken trades export (kraken.com > History > Export > Trades: `trades.csv`).

Header (Kraken's "How to interpret Trades history fields"; newer exports add more columns, which
are ignored):

    "txid","ordertxid","pair","time","type","ordertype","price","cost","fee","vol","margin","misc","ledgers"

`time` is UTC without a zone ("2024-03-01 14:22:41.1234"); `vol` is in the base asset; `cost`
(= price × vol, fees excluded) and `fee` are in the quote asset. `pair` is base + quote in Kraken's
own codes: XXBTZUSD, XETHZUSD, SOLUSD, XETHXXBT (or "BTC/USD" with a slash). Codes are normalised:
the legacy X/Z-prefixed codes lose their prefix (XXBT, ZUSD) and XBT is BTC, XDG is DOGE.

| row | event |
|---|---|
| buy, quote USD | `buy` qty = vol, total = cost, fee = fee |
| sell, quote USD | `sell` qty = vol, total = cost, fee = fee |
| buy, quote a crypto | `swap` give cost + fee of the quote, get vol of the base |
| sell, quote a crypto | `swap` give vol of the base, get cost − fee of the quote |

A crypto-to-crypto trade needs a USD fair market value, which the export does not carry. It is
taken from the USD-quoted leg when there is one: a `value_usd` column the user added (USD value of
`cost`), or a USD stablecoin quote (USDT, USDC, DAI, PYUSD) counted at one dollar. Otherwise the
row is refused with a sentence saying how to supply it.

The fee is paid in the quote asset, so it is already inside the quantities: on a buy the fee units
are part of what is given up (their basis is disposed of for nothing, which deducts the fee once);
on a sell they never arrive. The swap therefore carries no separate `fee` (R2.3 would subtract it
a second time), and `value` is the fair market value actually received: the USD value of `cost` on
a buy, of `cost − fee` on a sell.

Margin trades (a non-zero `margin`) are refused: a leveraged position is not a lot. The event id
is the trade's `txid` (unique per execution), so a re-export gives the same keys.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import InvalidEvent
from ..limits import shown
from .table import Conversion, Row, nonzero, plain, read_table

REQUIRED = ("txid", "pair", "time", "type", "cost", "fee", "vol")
LEDGER_REQUIRED = ("txid", "refid", "time", "type", "asset", "amount", "fee")
QUOTES = ("ZUSD", "USDT", "USDC", "PYUSD", "XXBT", "XETH", "ZEUR", "ZGBP", "ZCAD", "ZJPY",
          "USD", "XBT", "ETH", "DAI", "EUR", "GBP", "CAD", "JPY", "CHF", "AUD")
STABLECOINS = frozenset({"USDT", "USDC", "DAI", "PYUSD"})
FIAT = frozenset({"EUR", "GBP", "CAD", "JPY", "CHF", "AUD"})
LEGACY = {  # Kraken's X/Z-prefixed codes for its oldest assets, and its own names for two more
    "XXBT": "BTC", "XBT": "BTC", "XXDG": "DOGE", "XDG": "DOGE", "XETH": "ETH", "XETC": "ETC", "XLTC": "LTC",
    "XXRP": "XRP", "XXLM": "XLM", "XXMR": "XMR", "XZEC": "ZEC", "XREP": "REP", "XMLN": "MLN",
    "ZUSD": "USD", "ZEUR": "EUR", "ZGBP": "GBP", "ZCAD": "CAD", "ZJPY": "JPY", "ZAUD": "AUD", "ZCHF": "CHF",
}
# Balances Kraken holds apart (staked, opt-in rewards, flexible, bonded, parachain, on hold) carry a
# suffix; some staked codes also differ (ETH2 is staked ETH, DOT28 DOT bonded 28 days): all are the asset.
SUFFIXES = (".S", ".M", ".F", ".B", ".P", ".HOLD")
STAKED = {"ETH2": "ETH", "DOT28": "DOT"}
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)Z?")
CENT = Decimal("0.01")


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every row of a Kraken `trades.csv` or `ledgers.csv` (told apart by the header) as events."""
    out = Conversion()
    header, rows = read_table(path, required=("txid", "time", "type"), label="Kraken trades or ledgers")
    if "refid" in header:
        from . import kraken_ledgers  # it uses this module's asset codes and times

        _check_header(path, header, LEDGER_REQUIRED, "ledgers")
        kraken_ledgers.convert(rows, out, tz=tz, wallet=wallet)
        return out
    _check_header(path, header, REQUIRED, "trades")
    for row in rows:
        raw = _event(row, tz, wallet, out)
        if raw is not None:
            out.events.append(row.event(raw, tz=tz))
    return out


def _check_header(path: Path, header: tuple[str, ...], required: tuple[str, ...], layout: str) -> None:
    missing = [column for column in required if column not in header]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise InvalidEvent(f"{path}: the header of this Kraken {layout} export has no column {names}")


def asset_code(code: str) -> str:
    """Kraken's code for an asset as everyone else writes it: XXBT -> BTC, ZUSD -> USD, SOL.S -> SOL."""
    code = code.upper()
    for suffix in SUFFIXES:
        if code.endswith(suffix) and len(code) > len(suffix):
            code = code[: -len(suffix)]
            break
    code = LEGACY.get(code, code)
    return STAKED.get(code, code)


def split_pair(row: Row) -> tuple[str, str]:
    """(base, quote) of the `pair` cell, normalised."""
    pair = row.required("pair").upper()
    if "/" in pair:
        base, _, quote = pair.partition("/")
    else:
        quote = next((q for q in QUOTES if pair.endswith(q) and len(pair) > len(q)), "")
        base = pair[: len(pair) - len(quote)]
    if not base or not quote:
        raise row.error("pair", f"{shown(pair)} is not a pair gainlog can split into base and quote")
    return asset_code(base), asset_code(quote)


def _event(row: Row, tz: ZoneInfo, wallet: str, out: Conversion) -> dict[str, Any] | None:
    side = row.required("type").lower()
    if side not in ("buy", "sell"):
        out.not_mapped(row, "type", row.text("type"), "a trade type ('buy' or 'sell')")
        return None
    margin = row.decimal("margin") if row.has("margin") else None
    if margin:
        reason = "a margin trade is not a lot; gainlog imports spot trades only"
        out.not_mapped(row, "margin", "margin trade", "", reason)
        return None
    base, quote = split_pair(row)
    if quote in FIAT:
        raise row.error("pair", f"{shown(row.text('pair'))} is quoted in {quote}; gainlog's money is USD")
    head = {"at": at(row, tz), "wallet": wallet, "id": row.required("txid"), "txid": row.required("txid"),
            "note": _note(row)}
    vol, cost, fee = row.positive("vol"), row.positive("cost"), row.amount("fee")
    if quote == "USD":
        return head | {"type": side, "asset": base, "qty": plain(vol), "total": plain(cost), "fee": nonzero(fee)}
    return head | _swap(row, side, (base, vol), (quote, cost, fee))


def _swap(row: Row, side: str, base: tuple[str, Decimal], quote: tuple[str, Decimal, Decimal]) -> dict[str, Any]:
    """A crypto-to-crypto trade: value = the USD value received; the fee is inside the quantities."""
    (base_asset, vol), (quote_asset, cost, fee) = base, quote
    value = _usd_value(row, quote_asset, cost)
    if side == "buy":
        give, get = (quote_asset, cost + fee), (base_asset, vol)
    else:
        if fee >= cost:
            raise row.error("fee", "is not below 'cost': nothing would be received")
        give, get = (base_asset, vol), (quote_asset, cost - fee)
        value = (value * (cost - fee) / cost).quantize(CENT, rounding=ROUND_HALF_UP)
    return {
        "type": "swap", "give_asset": give[0], "give_qty": plain(give[1]), "get_asset": get[0],
        "get_qty": plain(get[1]), "value": plain(value),
    }


def _usd_value(row: Row, quote: str, cost: Decimal) -> Decimal:
    if row.text("costusd"):  # newer exports: the USD value of `cost`
        return row.positive("costusd", money=True)
    if row.text("value_usd"):
        return row.positive("value_usd", money=True)
    if quote in STABLECOINS:
        return cost
    raise row.error(
        "pair",
        f"{shown(row.text('pair'))} trades {quote} and the export has no USD value: add a 'value_usd' column "
        "with the USD value of 'cost', or record the trade with `gainlog add swap`",
    )


def at(row: Row, tz: ZoneInfo) -> str:
    """Kraken's UTC time without a zone, as RFC 3339 with `Z`."""
    raw = row.required("time")
    match = _TIME.fullmatch(raw)
    return row.timestamp("time", f"{match[1]}T{match[2]}Z" if match else raw, tz=tz)


def _note(row: Row) -> str | None:
    order = row.text("ordertxid")
    kind = row.text("ordertype")
    parts = [f"order {order}" if order else "", kind]
    return " ".join(p for p in parts if p) or None
