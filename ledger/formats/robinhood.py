"""Robinhood account activity report (Account > Reports and statements > Reports > Account activity,
CSV).

Header (docs/formats.md says where it was confirmed):

    "Activity Date","Process Date","Settle Date","Instrument","Description","Trans Code","Quantity","Price","Amount"

Dates are M/D/YYYY; `Activity Date` is the trade date (a bare date: the report has no time of
day). Money looks like "$1,234.56", with parentheses for cash that left the account ("($43.64)");
a Description may span several lines ("Apple\\nCUSIP: 037833100"). The last row is a disclaimer
with every cell empty but the last one: not data. The report has no transaction id, so a row's id
is its date, instrument and a hash of its cells (ranked when identical rows repeat).

| Trans Code | event |
|---|---|
| Buy | `buy`, qty = Quantity, total = the cash paid (Amount) |
| Sell | `sell`, qty = Quantity, total = the cash received (Amount, net of the regulatory fees) |
| CIL (cash in lieu) with a Quantity | `sell` of the fractional share, total = Amount |
| CDIV, SLIP, INT, MTCH, DRIP cash | skipped, counted (cash income) |
| ACH, XENT, RTP, WIRE, DCF, ITRF, FUTSWP (cash moved) | skipped, counted |
| GOLD, GMPC, MINT, DTAX, AFEE, DFEE, TAX (cash charged) | skipped, counted |
| MISC | skipped, counted |
| ACATI, REC (shares arriving), ACATO (shares leaving) with a Quantity | a transfer leg in / out |
| SPL (forward split) | `split` {wallet, added_qty = Quantity} (`share_actions.py`) |
| SPR (reverse split: two rows, the old shares and the new) | `split` {removed_qty = old − new} |
| BTO, STC, STO, BTC, OEXP, OASGN, OEXCS (options); BCXL, SOFF, ... | not mapped |

Stocks and funds are class `stock`; a row whose Instrument is a crypto Robinhood lists and whose
Description names it ("BTC", "Bitcoin") is class `crypto` and goes to the wallet `WALLET-crypto`:
Robinhood Crypto is an account of its own (its own lot pool from 2025).
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..limits import shown
from .share_actions import ShareActions
from .table import Conversion, Row, plain, read_rows, text_hash

CODE, QTY, PRICE, AMOUNT, DATE = "Trans Code", "Quantity", "Price", "Amount", "Activity Date"
REQUIRED = (DATE, "Instrument", CODE, QTY, PRICE, AMOUNT)
SELLS = frozenset({"Sell", "CIL"})
SHARES_IN = frozenset({"ACATI", "REC"})
SHARES_OUT = frozenset({"ACATO"})
SPLITS = frozenset({"SPL", "SPR"})
OPTIONS = frozenset({"BTO", "STC", "STO", "BTC", "OEXP", "OASGN", "OEXCS", "OCA"})
GROUPS = {
    "income": ("dividend, interest and stock-lending income row(s) (cash income: report it from the 1099-DIV / "
               "1099-INT / 1099-MISC; not a lot)", frozenset({"CDIV", "SLIP", "INT", "MTCH", "DRIP"})),
    "moves": ("cash transfer row(s) (money moved into or out of the account: not a taxable event)",
              frozenset({"ACH", "XENT", "RTP", "WIRE", "DCF", "ITRF", "FUTSWP", "WITH", "DEP", "T/A"})),
    "charges": ("fee and tax row(s) (cash charged to the account: not part of any lot's basis)",
                frozenset({"GOLD", "GMPC", "MINT", "DTAX", "AFEE", "DFEE", "TAX", "NRA"})),
    "credits": ("other cash row(s) (cash, not a lot)", frozenset({"MISC"})),
}
# Crypto Robinhood lists, by the name its Description gives (a row is crypto only if both agree).
CRYPTO = {
    "BTC": "Bitcoin", "ETH": "Ethereum", "DOGE": "Dogecoin", "SOL": "Solana", "LTC": "Litecoin",
    "BCH": "Bitcoin Cash", "ETC": "Ethereum Classic", "SHIB": "Shiba Inu", "AVAX": "Avalanche",
    "LINK": "Chainlink", "UNI": "Uniswap", "XLM": "Stellar", "COMP": "Compound", "AAVE": "Aave",
    "XTZ": "Tezos", "MATIC": "Polygon", "USDC": "USD Coin", "PEPE": "Pepe", "BONK": "Bonk", "XRP": "XRP",
    "ADA": "Cardano", "WIF": "dogwifhat", "ARB": "Arbitrum", "TRUMP": "Official Trump",
}
_ID_SAFE = re.compile(r"[^A-Za-z0-9.]+")


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every trade of a Robinhood activity report as an event (see the module docstring)."""
    out = Conversion()
    ranks: Counter[str] = Counter()
    shares = ShareActions()
    for row in read_rows(path, required=REQUIRED, label="Robinhood account activity"):
        if not row.text(CODE) and not row.text(DATE):
            continue  # the disclaimer row at the end
        raw = _event(row, wallet, out, shares)
        if raw is not None:
            raw["id"] = _row_id(row, ranks)
            out.events.append(row.event(raw, tz=tz))
            if row.text(CODE) == "CIL":
                shares.in_lieu(raw["at"], raw["wallet"], raw["asset"], Decimal(raw["qty"]))
    shares.emit(out, tz=tz)
    return out


def is_crypto(row: Row) -> bool:
    name = CRYPTO.get(row.text("Instrument").upper())
    description = row.text("Description").casefold()
    return name is not None and (description.startswith(name.casefold()) or description == row.text("Instrument")
                                 .casefold())


def _event(row: Row, wallet: str, out: Conversion, shares: ShareActions) -> dict[str, Any] | None:
    code = row.required(CODE)
    for group, codes in GROUPS.values():
        if code in codes:
            out.skip(row, code, "cash", group)
            return None
    crypto = is_crypto(row)
    account = f"{wallet}-crypto" if crypto else wallet
    if code in SPLITS:
        qty = _number(row, QTY)
        if not qty:
            raise row.error(QTY, f"must not be empty or zero for a {shown(code)} row")
        shares.add(row, code, "split" if code == "SPL" else "reverse", row.us_date(DATE), account,
                   row.required("Instrument"), qty)
        return None
    if code in SHARES_IN | SHARES_OUT and row.text("Instrument") and _number(row, QTY):
        direction = "in" if code in SHARES_IN else "out"
        out.transfer_leg(row, code, direction, row.text("Instrument"), abs(_number(row, QTY) or Decimal(0)),
                         at=row.us_date(DATE), wallet=account)
        return None
    if code == "CIL" and not _number(row, QTY):
        out.skip(row, code, "unvalued")
        out.warnings.append(
            f"{row.where}: skipped 'CIL' of {row.text('Instrument') or '?'} for {row.text(AMOUNT)}: the sale of a "
            "fractional share, but the row has no Quantity; record it with `gainlog add sell`"
        )
        return None
    if code in OPTIONS:
        out.not_mapped(row, CODE, code, "", "an option trade is not a lot; gainlog imports shares and crypto only")
        return None
    if code != "Buy" and code not in SELLS:
        out.not_mapped(row, CODE, code, "a Trans Code")
        return None
    qty = _number(row, QTY)
    if not qty:
        raise row.error(QTY, "must not be empty or zero for a trade")
    total = _number(row, AMOUNT, money=True)
    if total is None:
        total = abs(qty) * (_number(row, PRICE, money=True) or Decimal(0))
    if not total:
        raise row.error(AMOUNT, f"{shown(row.text(AMOUNT))}: a trade needs the cash that moved (or a Price)")
    raw: dict[str, Any] = {
        "type": "buy" if code == "Buy" else "sell", "at": row.us_date(DATE), "wallet": account,
        "asset": row.required("Instrument"), "qty": plain(abs(qty)), "total": plain(abs(total)),
        "note": " ".join(row.text("Description").split()) or None,
    }
    if code == "Buy":
        raw["class"] = "crypto" if crypto else "stock"
    return raw


def _number(row: Row, column: str, *, money: bool = False) -> Decimal | None:
    """A cell as a Decimal: "($43.64)" is −43.64, and a trailing "S" on a quantity is dropped."""
    raw = row.text(column)
    negative = raw.startswith("(") and raw.endswith(")")
    if negative:
        raw = raw[1:-1].strip()
    if not money and raw.upper().endswith("S"):
        raw = raw[:-1]
    value = Row(row.where, {column: raw}).decimal(column, money=money)
    return -value if negative and value is not None else value


def _row_id(row: Row, ranks: Counter[str]) -> str:
    """`DATE-INSTRUMENT-HASH` (`-RANK` from the second identical row on): stable across re-exports."""
    digest = text_hash(row.cells[name] for name in row.order)
    ranks[digest] += 1
    label = _ID_SAFE.sub("-", f"{row.us_date(DATE)} {row.text('Instrument')}").strip("-")
    base = f"{label}-{digest[:12]}"
    return base if ranks[digest] == 1 else f"{base}-{ranks[digest]}"
