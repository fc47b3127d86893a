"""Binance.US transaction history / tax report (binance.us > Tax Documents (or Transaction History) >
Export, CSV).

Two spellings of one layout are read (column names compared without case, `_` as a space, and a
trailing `_Value` dropped):

    User_Id,Time,Category,Operation,Order_Id,Transaction_Id,Primary_Asset,
    Realized_Amount_For_Primary_Asset,Realized_Amount_For_Primary_Asset_In_USD_Value,Base_Asset,
    Realized_Amount_For_Base_Asset,Realized_Amount_For_Base_Asset_In_USD_Value,Quote_Asset,
    Realized_Amount_For_Quote_Asset,Realized_Amount_For_Quote_Asset_In_USD_Value,Fee_Asset,
    Realized_Amount_For_Fee_Asset,Realized_Amount_For_Fee_Asset_In_USD_Value,Payment_Method,
    Withdrawal_Method,Additional_Note

and the newer `User ID,Time,Category,Operation,Order ID,Transaction ID,Primary Asset,Realized Amount
For Primary Asset,Realized Amount for Primary Asset in USD,...,Withdraw Method,Additional Note`.
`Time` is UTC (`2021-08-04 16:15:55.614`); amounts are plain positive decimals, each with its USD
value at the time.

| Category (Operation) | event |
|---|---|
| Spot Trading (Buy), quote USD | `buy` qty = Base − a fee in Base, total = Quote, fee = a USD fee |
| Spot Trading (Sell), quote USD | `sell` qty = Base + a fee in Base, total = Quote, fee = a USD fee |
| Spot Trading, quote a crypto | `swap` (Buy gives Quote, Sell gives Base), a fee in either inside the quantities |
| Buy, Sell, Quick Buy, Quick Sell, Convert (instant) | Base given, Quote received (fee included); against USD the |
| | Operation (Buy/Sell) says which side was given |
| Distribution (Staking Rewards) | `income` kind staking, value = Primary in USD; a negative one a `fee` |
| Distribution (Referral Commission); (Others) | `income` kind reward; other |
| Deposit, Withdrawal of a crypto | one side of a transfer (`out.transfer_leg`): Primary sent or received, a fee |
| | in the asset charged on top; id = Transaction_Id (Binance.US's own: never the txid); a fee in another |
| | crypto is a `fee` event of those units (id `-fee`) |
| Deposit, Withdrawal of USD | skipped, counted (cash is not a lot) |
| anything else | not mapped (listed with every other unknown row) |

Fees, counted once: on Spot Trading the fee is charged apart from the traded amounts, in the asset
received or another one (BNB); a fee in a traded asset is inside the event's quantities (R2.3), a
USD fee is the event's `fee`, and a fee in a third asset is a `fee` event (the disposal of those
units at their USD value) whose value is also the trade's `fee`. An instant trade's fee is already
inside its amounts: the USD paid includes it (basis = Base), the USD received is net of it.

A swap's value is the USD value the export gives for what was received, scaled to the units that
arrived net of a fee and rounded to cents. Event ids: `Transaction_Id` (`row-` + a hash of the
cells without one); the `fee` event of a trade adds `-fee`.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..limits import shown
from .table import Conversion, Row, nonzero, plain, read_table, text_hash
from .utc import utc_at

CENT = Decimal("0.01")
FIAT = frozenset({"USD", "EUR", "GBP", "CAD", "AUD"})
INSTANT = frozenset({"buy", "sell", "quick buy", "quick sell", "convert"})
CASH_GROUP = "cash deposit(s) and withdrawal(s) (cash is not a lot)"
DISTRIBUTIONS = {"staking rewards": "staking", "referral commission": "reward", "others": "other"}
KEYS = ("time", "category", "operation", "transaction id", "order id", "primary asset",
        "realized amount for primary asset", "realized amount for primary asset in usd", "base asset",
        "realized amount for base asset", "realized amount for base asset in usd", "quote asset",
        "realized amount for quote asset", "realized amount for quote asset in usd", "fee asset",
        "realized amount for fee asset", "realized amount for fee asset in usd")


def key(column: str) -> str:
    """A Binance.US column name in one spelling: `Realized_Amount_For_Base_Asset_In_USD_Value` ->
    `realized amount for base asset in usd`."""
    name = " ".join(column.replace("_", " ").casefold().split())
    return name.removesuffix(" value")


class _Cells:
    """One row's cells by the spelling-free `key` of their column."""

    def __init__(self, row: Row, names: dict[str, str]) -> None:
        self.row, self.names = row, names

    def column(self, name: str) -> str:
        return self.names.get(name, name)

    def text(self, name: str) -> str:
        return self.row.text(self.column(name))

    def asset(self, side: str) -> str:
        return self.text(f"{side} asset").upper()

    def qty(self, side: str) -> Decimal:
        value = self.row.decimal(self.column(f"realized amount for {side} asset"))
        return abs(value) if value is not None else Decimal(0)

    def usd(self, side: str) -> Decimal | None:
        value = self.row.decimal(self.column(f"realized amount for {side} asset in usd"), money=True)
        return abs(value) if value is not None else None


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every row of a Binance.US transaction history as events (see the module docstring)."""
    out = Conversion()
    header, rows = read_table(path, required=("Time", "Category", "Operation", ("Primary Asset", "Primary_Asset")),
                              label="Binance.US transaction history")
    names = {key(column): column for column in header}
    ranks: Counter[str] = Counter()
    for row in rows:
        cells = _Cells(row, names)
        made = _events(cells, tz, wallet, out)
        if not made:
            continue
        own = cells.text("transaction id")
        if not own:
            digest = text_hash(row.cells[name] for name in row.order)
            ranks[digest] += 1
            own = f"row-{digest}" if ranks[digest] == 1 else f"row-{digest}-{ranks[digest]}"
        head = {"at": utc_at(row, cells.column("time"), tz=tz), "wallet": wallet,
                "txid": cells.text("transaction id") or None}
        for suffix, raw in made:
            out.events.append(row.event(head | {"id": own + suffix} | raw, tz=tz))
    return out


def _events(cells: _Cells, tz: ZoneInfo, wallet: str, out: Conversion) -> list[tuple[str, dict[str, Any]]]:
    row = cells.row
    category, operation = cells.text("category"), cells.text("operation")
    label = f"{category} ({operation})" if operation else category
    kind = category.casefold()
    if kind in ("deposit", "withdrawal"):
        asset = cells.asset("primary")
        if asset in FIAT:
            out.skip(row, label, "cash", CASH_GROUP)
        else:
            fee_asset, fee = cells.asset("fee"), cells.qty("fee")
            out.transfer_leg(row, label, "in" if kind == "deposit" else "out", asset, cells.qty("primary"),
                             fee_qty=fee if fee_asset == asset else Decimal(0),
                             at=utc_at(row, cells.column("time"), tz=tz), event_id=cells.text("transaction id") or None)
            if fee and fee_asset not in FIAT | {"", asset}:  # paid in another crypto (BNB): a disposal of its own
                usd = cells.usd("fee")
                return [("-fee", {"type": "fee", "asset": fee_asset, "qty": plain(fee),
                                  "value": plain(usd) if usd is not None else None})]
        return []
    if kind == "distribution":
        return _distribution(cells, label, operation.casefold(), out)
    if kind == "spot trading" and operation.casefold() in ("buy", "sell"):
        return _trade(cells, label, out, instant=False, buying=operation.casefold() == "buy")
    if kind in INSTANT:
        return _trade(cells, label, out, instant=True, buying=False)
    out.not_mapped(row, cells.column("category"), label, "a category")
    return []


def _distribution(cells: _Cells, label: str, operation: str, out: Conversion) -> list[tuple[str, dict[str, Any]]]:
    row = cells.row
    if operation not in DISTRIBUTIONS:
        out.not_mapped(row, cells.column("operation"), label, "a distribution")
        return []
    asset = cells.asset("primary")
    signed = row.decimal(cells.column("realized amount for primary asset"))
    if not signed or not asset:
        raise row.error(cells.column("realized amount for primary asset"), "is empty or zero for a distribution")
    usd = cells.usd("primary")
    value = plain(usd) if usd is not None else None
    if signed < 0:  # a negative staking reward: Binance.US's service fee, paid in the asset
        return [("", {"type": "fee", "asset": asset, "qty": plain(-signed), "value": value})]
    return [("", {"type": "income", "asset": asset, "qty": plain(signed), "value": value,
                  "kind": DISTRIBUTIONS[operation]})]


def _trade(cells: _Cells, label: str, out: Conversion, *, instant: bool,
           buying: bool) -> list[tuple[str, dict[str, Any]]]:
    """Spot Trading: Buy gives Quote for Base, Sell the reverse, the fee apart; instant: Base for Quote."""
    row = cells.row
    base, quote, fee_asset = cells.asset("base"), cells.asset("quote"), cells.asset("fee")
    for side, asset in (("base", base), ("quote", quote)):
        if not asset or not cells.qty(side):
            raise row.error(cells.column(f"realized amount for {side} asset"), f"is empty or zero for a {label} row")
    if {base, quote} & (FIAT - {"USD"}):
        out.not_mapped(row, cells.column("quote asset"), label, "", f"{label} in {shown(quote)} / {shown(base)}: "
                       "gainlog's money is USD")
        return []
    give, get = ("quote", "base") if buying else ("base", "quote")
    if instant and "USD" in (base, quote) and cells.text("operation").casefold() in ("buy", "sell"):
        # which column holds the USD differs between instant categories: the Operation says the direction
        usd_side = "base" if base == "USD" else "quote"
        crypto_side = "quote" if usd_side == "base" else "base"
        give, get = (usd_side, crypto_side) if cells.text("operation").casefold() == "buy" else (crypto_side, usd_side)
    give_asset, get_asset = cells.asset(give), cells.asset(get)
    give_qty, get_qty = cells.qty(give), cells.qty(get)
    fee_qty = cells.qty("fee") if fee_asset else Decimal(0)
    fee_usd = cells.usd("fee") or Decimal(0)
    events: list[tuple[str, dict[str, Any]]] = []
    usd_fee = Decimal(0)
    if fee_qty and fee_asset == "USD":  # the event's fee (an instant trade's is inside the USD amount)
        usd_fee = fee_qty
    elif fee_qty and fee_asset not in (give_asset, get_asset):  # BNB: those units are disposed of at their value
        events.append(("-fee", {"type": "fee", "asset": fee_asset, "qty": plain(fee_qty),
                                "value": plain(fee_usd) if cells.usd("fee") is not None else None}))
        usd_fee = fee_usd
    elif fee_qty and not instant:  # charged apart from the traded amounts: inside the quantities (R2.3)
        if fee_asset == give_asset:
            give_qty += fee_qty
        else:
            get_qty -= fee_qty
    if get_qty <= 0:
        raise row.error(cells.column("realized amount for fee asset"), "is not below what was received")
    if give_asset == "USD":
        total = give_qty - usd_fee if instant else give_qty
        events.insert(0, ("", {"type": "buy", "asset": get_asset, "qty": plain(get_qty), "total": plain(total),
                               "fee": nonzero(usd_fee)}))
    elif get_asset == "USD":
        total = get_qty + usd_fee if instant else get_qty
        events.insert(0, ("", {"type": "sell", "asset": give_asset, "qty": plain(give_qty), "total": plain(total),
                               "fee": nonzero(usd_fee)}))
    else:
        usd = cells.usd(get)
        value = None if usd is None else (usd * get_qty / cells.qty(get)).quantize(CENT, rounding=ROUND_HALF_UP)
        events.insert(0, ("", {"type": "swap", "give_asset": give_asset, "give_qty": plain(give_qty),
                               "get_asset": get_asset, "get_qty": plain(get_qty),
                               "value": plain(value) if value is not None else None, "fee": nonzero(usd_fee)}))
    return events
