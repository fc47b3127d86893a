"""Koinly's universal CSV and CoinTracker's CSV import templates: one row per transaction, a sent side,
a received side and a fee, each an amount and a currency (`--format koinly`, `--format cointracker`).

    Koinly:      Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,
                 Net Worth Amount,Net Worth Currency,Label,Description,TxHash
    CoinTracker: Date,Received Quantity,Received Currency,Sent Quantity,Sent Currency,Fee Amount,Fee Currency,Tag

Times are UTC (the column is `Date`, or `Koinly Date` / `Date (UTC)`): Koinly `2024-01-05 14:25 UTC`
(seconds and `Z` read too), CoinTracker `01/05/2024 14:25:00`. What a row becomes depends on which
sides it has and on its label (Koinly) or tag (CoinTracker), compared without case (`_` as a space):

| sides | label / tag | event |
|---|---|---|
| sent USD, received a crypto | none | `buy` qty = received, total = sent, fee = a USD fee |
| sent a crypto, received USD | none | `sell` qty = sent, total = received, fee = a USD fee |
| sent and received cryptos | none | `swap`, value = Net Worth in USD (Koinly), else left out (valued at replay) |
| received only | an income label (staking, mining, airdrop, fork, reward, income, interest, ...) | `income` |
| received only / sent only | none | one side of a transfer (`out.transfer_leg`) |
| sent only | cost, fee | `fee` (a disposal of the units) |
| fee only | | `fee` |
| USD (or another fiat) only | | skipped, counted (cash is not a lot) |
| anything else (gift, lost, donation, swap, stake, margin, ... labels; another fiat traded) | | not mapped |

The fee is outside the amounts (the balance moves by amount and fee, as both templates define it):
a fee in the asset sent is given up with it, a fee in the asset received arrives less, both
inside the event's quantities (R2.3); a USD fee is the event's `fee`; a fee in a third asset is a
`fee` event of its own (id `...-fee`, value left out: valued at replay). Ids: `row-` + a hash of
the row's cells (`-2`, ... for repeated identical rows); Koinly's `TxHash` is the event's `txid`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..limits import shown
from .table import Conversion, Row, nonzero, plain, read_rows, text_hash
from .utc import utc_at

FIAT = frozenset({"USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "SGD"})
INCOME = {
    "staking": "staking", "staked": "staking", "staking reward": "staking", "mining": "mining", "mined": "mining",
    "airdrop": "airdrop", "fork": "fork", "forked": "fork", "reward": "reward", "other income": "reward",
    "income": "other", "payment": "other", "interest": "interest", "loan interest": "interest",
    "lending interest": "interest",
}
FEES = frozenset({"cost", "fee"})
CASH_GROUP = "cash-only row(s) (cash is not a lot)"
DATES = ("Date", "Koinly Date", "Date (UTC)")  # Koinly's templates name the column either way


@dataclass(frozen=True)
class Layout:
    """One template's column names."""

    name: str
    sent: tuple[str, str]
    received: tuple[str, str]
    label: str
    value: tuple[str, str] | None = None
    txid: str | None = None
    note: str | None = None

    @property
    def required(self) -> tuple[str | tuple[str, ...], ...]:
        return (DATES, *self.sent, *self.received)


KOINLY = Layout("Koinly universal", ("Sent Amount", "Sent Currency"), ("Received Amount", "Received Currency"),
                "Label", ("Net Worth Amount", "Net Worth Currency"), "TxHash", "Description")
COINTRACKER = Layout("CoinTracker", ("Sent Quantity", "Sent Currency"), ("Received Quantity", "Received Currency"),
                     "Tag")


def convert_koinly(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    return _convert(path, tz, wallet, KOINLY)


def convert_cointracker(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    return _convert(path, tz, wallet, COINTRACKER)


def _convert(path: Path, tz: ZoneInfo, wallet: str, layout: Layout) -> Conversion:
    out = Conversion()
    ranks: Counter[str] = Counter()
    for row in read_rows(path, required=layout.required, label=f"{layout.name} CSV"):
        made = _events(row, layout, out, tz)
        if not made:
            continue
        digest = text_hash(row.cells[name] for name in row.order)
        ranks[digest] += 1
        own = f"row-{digest}" if ranks[digest] == 1 else f"row-{digest}-{ranks[digest]}"
        head = {"at": utc_at(row, row.column(DATES), tz=tz), "wallet": wallet,
                "txid": row.text(layout.txid) or None if layout.txid else None,
                "note": row.text(layout.note) or None if layout.note else None}
        for suffix, raw in made:
            out.events.append(row.event(head | {"id": own + suffix} | raw, tz=tz))
    return out


def _side(row: Row, columns: tuple[str, str]) -> tuple[str, Decimal] | None:
    """(currency, size) of one side, None when it is empty."""
    qty = row.decimal(columns[0])
    currency = row.text(columns[1]).upper()
    if not qty:
        return None
    if not currency:
        raise row.error(columns[1], f"is empty, but {columns[0]!r} is {plain(abs(qty))}")
    return currency, abs(qty)


def _value(row: Row, layout: Layout) -> str | None:
    """Koinly's Net Worth when it is in USD: the USD value of the transaction (else left out)."""
    if layout.value is None or row.text(layout.value[1]).upper() != "USD":
        return None
    value = row.decimal(layout.value[0], money=True)
    return plain(abs(value)) if value is not None else None


def _events(row: Row, layout: Layout, out: Conversion, tz: ZoneInfo) -> list[tuple[str, dict[str, Any]]]:
    sent, got = _side(row, layout.sent), _side(row, layout.received)
    fee = _side(row, ("Fee Amount", "Fee Currency"))
    raw_label = row.text(layout.label)
    label = " ".join(raw_label.replace("_", " ").casefold().split())
    shown_label = raw_label or ("trade" if sent and got else "receive" if got else "send" if sent else "fee")
    events: list[tuple[str, dict[str, Any]]] = []
    usd_fee = Decimal(0)
    sides = {side[0] for side in (sent, got) if side}
    if fee is not None and fee[0] not in sides:
        if fee[0] == "USD":
            usd_fee = fee[1]
        elif fee[0] not in FIAT:  # a fee in a third asset: a disposal of its own (valued at replay)
            events.append(("-fee" if sent or got else "", {"type": "fee", "asset": fee[0], "qty": plain(fee[1])}))
    fee_qty = fee[1] if fee is not None else Decimal(0)
    if sent and got:
        if label:
            out.not_mapped(row, layout.label, shown_label, "a label")
            return []
        if (sent[0] in FIAT and sent[0] != "USD") or (got[0] in FIAT and got[0] != "USD"):
            out.not_mapped(row, layout.sent[1], shown_label, "", "a trade in another currency than USD: gainlog's "
                           "money is USD")
            return []
        give = sent[1] + (fee_qty if fee and fee[0] == sent[0] and sent[0] != "USD" else 0)
        take = got[1] - (fee_qty if fee and fee[0] == got[0] and got[0] != "USD" else 0)
        if fee and fee[0] == "USD" and "USD" in sides:
            usd_fee = fee_qty
        if take <= 0:
            raise row.error("Fee Amount", "is not below what was received")
        if sent[0] == "USD":
            trade = {"type": "buy", "asset": got[0], "qty": plain(take), "total": plain(sent[1]),
                     "fee": nonzero(usd_fee)}
        elif got[0] == "USD":
            trade = {"type": "sell", "asset": sent[0], "qty": plain(give), "total": plain(got[1]),
                     "fee": nonzero(usd_fee)}
        else:
            trade = {"type": "swap", "give_asset": sent[0], "give_qty": plain(give), "get_asset": got[0],
                     "get_qty": plain(take), "value": _value(row, layout), "fee": nonzero(usd_fee)}
        return [("", trade), *events]
    one = got or sent
    if one is None:
        if events:
            return events
        if fee is not None:
            out.skip(row, shown_label, "cash", CASH_GROUP)
            return []
        out.not_mapped(row, layout.sent[0], shown_label, "", "a row without an amount sent, received or paid")
        return []
    if one[0] in FIAT:
        out.skip(row, shown_label, "cash", CASH_GROUP)
        return events  # a fee in a crypto is still spent
    same_fee = fee_qty if fee and fee[0] == one[0] else Decimal(0)
    if got and label in INCOME:
        qty = got[1] - same_fee
        if qty <= 0:
            raise row.error("Fee Amount", "is not below what was received")
        return [("", {"type": "income", "asset": got[0], "qty": plain(qty), "value": _value(row, layout),
                      "kind": INCOME[label]}), *events]
    if sent and label in FEES:
        return [("", {"type": "fee", "asset": sent[0], "qty": plain(sent[1] + same_fee),
                      "value": _value(row, layout)}), *events]
    if label:
        out.not_mapped(row, layout.label, shown_label, "", f"{shown(raw_label)} on a row that only "
                       f"{'receives' if got else 'sends'} is not a label gainlog maps")
        return []
    out.transfer_leg(row, shown_label, "in" if got else "out", one[0], one[1], fee_qty=same_fee,
                     txid=row.text(layout.txid) or None if layout.txid else None,
                     at=utc_at(row, row.column(DATES), tz=tz))
    return events
