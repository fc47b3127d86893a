"""Kraken ledgers export (kraken.com > History > Export > Ledgers: `ledgers.csv`), read by `--format kraken`.

Kraken recommends this export: it is the only one with staking rewards, deposits and withdrawals,
and it shows the fees actually deducted, in the asset they were deducted in. Header (Kraken's
"How to interpret Ledger history fields"; older exports have no `wallet`, some add `subclass`):

    "txid","refid","time","type","subtype","aclass","asset","wallet","amount","fee","balance"

Each row changes one asset's balance by `amount − fee` (both in that asset). The rows of one trade
share a `refid` (which is the trade's id in the trades export). Asset codes are normalised as in
`kraken.asset_code` (XXBT -> BTC, ZUSD -> USD, SOL.S / ETH2.S / DOT.S / USDC.M -> the base asset),
so moves between the spot, staking and earn wallets change no lot.

| type (subtype) | event |
|---|---|
| trade, spend/receive: USD given | `buy` qty = received − its fee, total = USD given, fee = USD fee |
| trade, spend/receive: USD received | `sell` qty = given + its fee, total = USD received, fee = USD fee |
| trade, spend/receive: two cryptos | `swap` give = given + fee, get = received − fee, value = USD received |
| staking; earn (reward) | `income` kind staking, qty = amount − fee; no USD value: no `value` (priced at replay) |
| invite bonus; reward; dividend | `income` kind reward |
| withdrawal of a crypto | `withdrawal` qty = −amount + fee, fee_qty = fee (a leg `gainlog transfers` pairs) |
| deposit of a crypto | `deposit` qty = amount − fee (a transfer leg) |
| deposit, withdrawal of cash | skipped, counted |
| transfer (spottostaking, ...); earn (allocation, deallocation, autoallocation, ...) | skipped, counted |
| a row without `txid` | skipped, counted (Kraken lists a deposit once pending, without txid, and again completed) |
| anything else (margin, rollover, settled, adjustment, transfer without subtype ...) | not mapped |

A USD value comes from the row itself (a USD or USD-stablecoin amount, counted at one dollar), or
from a `value_usd` column the user adds (or an `amountusd` column when the export has one) on the
received row. Income or a swap without one is skipped with a warning listing it: record it with
`gainlog add income` / `add swap`, or add the column.

Event ids: a trade's is its `refid` (one event from its rows); any other row's its ledger `txid`.
Every event's `txid` is the `refid`, the id the trades export uses for the same trade.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ..limits import shown
from .kraken import CENT, FIAT, STABLECOINS, asset_code, at
from .table import Conversion, Row, nonzero, plain

TRADES = frozenset({"trade", "spend", "receive"})
INTERNAL_SUBTYPES = frozenset(
    {"spottostaking", "stakingfromspot", "stakingtospot", "spotfromstaking", "spottofutures", "spotfromfutures"}
)
EARN_INTERNAL = frozenset({"allocation", "deallocation", "autoallocation", "migration"})
REWARDS = frozenset({"invite bonus", "reward", "dividend"})
INTERNAL_GROUP = "move(s) between Kraken's spot, staking and earn wallets (no lot changes, not taxable)"
CASH_GROUP = "cash deposit(s) and withdrawal(s) (cash is not a lot)"
PENDING_GROUP = "row(s) without a txid (pending entries Kraken lists again once completed)"
UNVALUED_GROUP = (
    "row(s) without a USD value (record each with `gainlog add income` / `add swap`, or add a 'value_usd' "
    "column with the USD value received)"
)
PRICED_NOTE = (
    "{count} income row(s) without a USD value ({lines}) are imported without `value`: each is valued at replay "
    "from the log's price events (`gainlog import PRICES.csv --format prices`); reports warn about any no price values"
)


def convert(rows: list[Row], out: Conversion, *, tz: ZoneInfo, wallet: str) -> None:
    """Every ledger row as events, skipped rows or rows not mapped (see the module docstring)."""
    refid_to_rows: dict[str, list[Row]] = {}
    for row in rows:
        if row.text("txid") and row.text("type").lower() in TRADES:
            refid_to_rows.setdefault(row.required("refid"), []).append(row)
    done: set[str] = set()
    unvalued: list[str] = []  # income rows imported without `value`
    for row in rows:
        kind, subtype = row.text("type").lower(), row.text("subtype").lower()
        label = f"{kind} ({subtype})" if subtype else kind
        if not row.text("txid"):
            out.skip(row, label, "pending", PENDING_GROUP)
        elif kind in TRADES:
            refid = row.required("refid")
            if refid not in done:
                done.add(refid)
                raw = _trade(refid_to_rows[refid], out)
                if raw is not None:
                    out.events.append(row.event(_head(row, tz, wallet, refid) | raw, tz=tz))
        elif kind in ("deposit", "withdrawal"):
            _move(row, kind, out, tz=tz)
        elif (kind == "transfer" and subtype in INTERNAL_SUBTYPES) or (kind == "earn" and subtype in EARN_INTERNAL):
            out.skip(row, label, "internal", INTERNAL_GROUP)
        elif kind == "staking" or (kind == "earn" and subtype == "reward") or kind in REWARDS:
            raw = _income(row, label, "reward" if kind in REWARDS else "staking", out)
            if raw is not None:
                out.events.append(row.event(_head(row, tz, wallet, row.required("txid")) | raw, tz=tz))
                if "value" not in raw:
                    unvalued.append(row.where)
        else:
            out.not_mapped(row, "type", label, "a ledger type")
    if unvalued:
        lines = ", ".join(where.rsplit(":", 1)[1] for where in unvalued[:5])
        more = f" and {len(unvalued) - 5} more" if len(unvalued) > 5 else ""
        path = unvalued[0].rsplit(":", 1)[0]
        out.notes.append(f"{path}: " + PRICED_NOTE.format(count=len(unvalued), lines=f"line(s) {lines}{more}"))


def _head(row: Row, tz: ZoneInfo, wallet: str, event_id: str) -> dict[str, Any]:
    return {"at": at(row, tz), "wallet": wallet, "id": event_id, "txid": row.required("refid")}


def _net(row: Row) -> Decimal:
    """What the row moved, fee included: `amount − fee` (negative when the balance went down)."""
    amount = row.decimal("amount")
    if amount is None:
        raise row.error("amount", "is empty")
    return amount - (row.decimal("fee") or Decimal(0))


def _move(row: Row, kind: str, out: Conversion, *, tz: ZoneInfo) -> None:
    asset = asset_code(row.required("asset"))
    if asset == "USD" or asset in FIAT:
        out.skip(row, kind, "cash", CASH_GROUP)
        return
    amount = row.decimal("amount") or Decimal(0)
    direction = "out" if amount < 0 else "in"
    out.transfer_leg(
        row, kind, direction, asset, abs(amount), fee_qty=row.decimal("fee") or Decimal(0), at=at(row, tz),
        event_id=row.required("txid"),
    )


def _income(row: Row, label: str, kind: str, out: Conversion) -> dict[str, Any] | None:
    asset = asset_code(row.required("asset"))
    qty = _net(row)
    if qty <= 0:
        net = plain(qty.normalize())
        reason = f"a {label} row that does not add to the balance (amount − fee is {net}) is not income"
        out.not_mapped(row, "amount", label, "", reason)
        return None
    value = _usd(row, asset, qty)  # None: valued at replay from price events (CONTRACT §4 Prices)
    raw = {"type": "income", "asset": asset, "qty": plain(qty), "kind": kind}
    return raw if value is None else raw | {"value": plain(value)}


def _usd(row: Row, asset: str, qty: Decimal) -> Decimal | None:
    """The USD value of `qty` received on `row`: USD and USD stablecoins at par, else a value column."""
    if asset == "USD" or asset in STABLECOINS:
        return qty
    for column in ("value_usd", "amountusd"):
        if row.text(column):
            return row.amount(column, money=True)
    return None


def _trade(rows: list[Row], out: Conversion) -> dict[str, Any] | None:
    """One trade from the rows sharing its refid: what left (amount + fee) and what arrived (amount − fee)."""
    first = rows[0]
    moving = [row for row in rows if row.decimal("amount")]
    gives = [row for row in moving if _net(row) < 0]
    gets = [row for row in moving if _net(row) > 0]
    fees = [row for row in rows if not row.decimal("amount")]
    usd_fee_rows = all(asset_code(r.text("asset")) == "USD" for r in fees)
    if len(gives) != 1 or len(gets) != 1 or len(moving) != 2 or not usd_fee_rows:
        reason = (f"the trade {shown(first.text('refid'))} has {len(rows)} ledger rows that are not one asset given "
                  "and one received; record it with `gainlog add`")
        out.not_mapped(first, "refid", "trade", "", reason)
        return None
    give, get = gives[0], gets[0]
    give_asset, get_asset = asset_code(give.required("asset")), asset_code(get.required("asset"))
    for row, asset in ((give, give_asset), (get, get_asset)):
        if asset in FIAT:
            raise row.error("asset", f"{shown(row.text('asset'))} is not USD; gainlog's money is USD")
    extra_fee = sum((abs(_net(row)) for row in fees), Decimal(0))  # a USD fee in a row of its own
    given, received = abs(_net(give)), _net(get)
    if give_asset == "USD":  # a purchase: the USD row's fee is the trade fee; a fee in the asset arrives less
        fee = (give.decimal("fee") or Decimal(0)) + extra_fee
        return {"type": "buy", "asset": get_asset, "qty": plain(received), "total": plain(give.amount("amount")),
                "fee": nonzero(fee)}
    if get_asset == "USD":  # a sale: what left (a fee in the asset included), proceeds before the USD fee
        fee = (get.decimal("fee") or Decimal(0)) + extra_fee
        return {"type": "sell", "asset": give_asset, "qty": plain(given), "total": plain(get.amount("amount")),
                "fee": nonzero(fee)}
    value = _usd(get, get_asset, received)
    if value is None and give_asset in STABLECOINS:  # what was given (fee excluded), for what arrived net
        value = (give.amount("amount") * received / get.amount("amount")).quantize(CENT, rounding=ROUND_HALF_UP)
    if value is None:
        out.skip(give, "trade", "unvalued", UNVALUED_GROUP, warn=True)
        out.skip(get, "trade", "unvalued", UNVALUED_GROUP, warn=True)
        return None
    # fees taken out of the swapped quantities are not a `fee` too (R2.3); a USD fee on top is
    return {"type": "swap", "give_asset": give_asset, "give_qty": plain(given), "get_asset": get_asset,
            "get_qty": plain(received), "value": plain(value), "fee": nonzero(extra_fee)}
