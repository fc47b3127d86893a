"""Brokers' split, reverse-split and name-change rows as `split` and `rename` events (issue #16).

An export states a split by the shares it added to (or removed from) the account, never by its
ratio: one row for a forward split (Schwab "Stock Split", Fidelity "DISTRIBUTION" of shares,
Robinhood "SPL"), two for a reverse split, the old shares out and the new ones in (Schwab
"Reverse Split", Fidelity "REVERSE SPLIT R/S TO" / "R/S FROM", Robinhood "SPR"), and two for a
name change (old symbol out, new symbol in). A converter hands each such row to `ShareActions`
with its date, account and signed quantity; `emit` groups them per (date, account, kind) and writes:

- a forward split: `split` {wallet, asset, added_qty = the shares added};
- a reverse split pair of one symbol: `split` {removed_qty = old − new};
- a reverse split pair whose new shares have another symbol: that `split` of the old symbol, then a
  `rename` to the new one;
- a name-change pair (old symbol out, the same quantity of a new symbol in): `rename`.

The cash in lieu of a fractional share is a sale of the fraction after the split (Pub 550): the
converter makes that `sell` from the in-lieu row and reports its quantity here (`in_lieu`: the same
symbol and account, from the split's day to 30 days later, as brokers pay it a few days after), so
the split leaves the fraction in the lots for the sale to take: added_qty + fraction, removed_qty −
fraction. A reverse-split pair that is not signed (Robinhood's SPR rows) is read as the larger
quantity out and the smaller in. The split's ratio is the wallet's holding after over its holding before, computed when
the reports replay the log (docs/events.md `split`).

Each event's `at` is 00:00 of the row's date in the ledger's time zone: before that day's trades,
so a cash-in-lieu sale of the same date (midday) comes after it. Its `id` is `KIND-DATE-SYMBOL-HASH`
of the rows' cells (stable across re-exports). Rows that do not pair (a lone half of a reverse
split, shares in under one symbol and out under two) are skipped with a warning naming the event to
write by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from .table import Conversion, Row, plain, text_hash

Kind = Literal["split", "reverse", "rename"]
LIEU_DAYS = timedelta(days=30)  # a cash-in-lieu row belongs to a split of its symbol up to this many days before it
UNPAIRED = {
    "split": "a `split` event (gainlog add split)",
    "reverse": "a `split` event (gainlog add split --ratio, or --removed-qty), and a `rename` when the symbol "
               "changes: the rows do not pair into the old shares out and the new shares in",
    "rename": "a `rename` event (gainlog add rename): the rows do not pair into the old symbol out and the same "
              "number of shares of the new symbol in",
}


@dataclass
class _Group:
    rows: list[tuple[Row, str, Decimal]] = field(default_factory=list)  # (row, symbol, signed quantity)
    labels: list[str] = field(default_factory=list)  # each row's type, as the export writes it


@dataclass
class ShareActions:
    """The share-action rows of one export, gathered until `emit` (see the module docstring)."""

    groups: dict[tuple[str, str, Kind], _Group] = field(default_factory=dict)
    sales: list[tuple[str, str, str, Decimal]] = field(default_factory=list)  # cash in lieu: (day, wallet, symbol, qty)

    def add(self, row: Row, label: str, kind: Kind, day: str, wallet: str, symbol: str, qty: Decimal) -> None:
        """One row of type `label`: `qty` signed, positive for shares in (a forward split's are all in)."""
        group = self.groups.setdefault((day, wallet, kind), _Group())
        group.rows.append((row, symbol, qty))
        group.labels.append(label)

    def in_lieu(self, day: str, wallet: str, symbol: str, qty: Decimal) -> None:
        """A cash-in-lieu sale of `qty` (a fraction) of `symbol` on `day`, made a `sell` by the converter."""
        self.sales.append((day, wallet, symbol, qty))

    def _lieu(self, day: str, wallet: str, symbols: set[str]) -> Decimal:
        """The fraction sold for cash in lieu of `symbols` in `wallet` from `day` to LIEU_DAYS later."""
        start = date.fromisoformat(day)
        return sum(
            (qty for sold, w, symbol, qty in self.sales
             if w == wallet and symbol in symbols and start <= date.fromisoformat(sold) <= start + LIEU_DAYS),
            Decimal(0),
        )

    def emit(self, out: Conversion, *, tz: ZoneInfo) -> None:
        """The gathered rows as events (appended to `out.events`), or skipped with a warning."""
        for (day, wallet, kind), group in self.groups.items():
            events = _events(kind, day, wallet, group, self._lieu, tz)
            if events is None:
                for (row, _, _), label in zip(group.rows, group.labels, strict=True):
                    out.skip(row, label, "split")
                first = group.rows[0][0]
                where = ", ".join(row.where.rsplit(":", 1)[1] for row, _, _ in group.rows)
                out.warnings.append(
                    f"{first.where}: skipped the {kind_name(kind)} row(s) of {day} (line(s) {where}): "
                    f"write it as {UNPAIRED[kind]}"
                )
                continue
            first = group.rows[0][0]
            for raw in events:
                out.events.append(first.event(raw, tz=tz))


def kind_name(kind: Kind) -> str:
    return {"split": "stock split", "reverse": "reverse split", "rename": "name change"}[kind]


def _events(
    kind: Kind, day: str, wallet: str, group: _Group, in_lieu: Callable[[str, str, set[str]], Decimal], tz: ZoneInfo
) -> list[dict[str, object]] | None:
    """The events one group of rows stands for, or None when they do not pair."""
    at = datetime.combine(date.fromisoformat(day), time(0), tzinfo=tz).isoformat()
    digest = text_hash(cell for row, _, _ in group.rows for cell in (row.cells[n] for n in row.order or row.cells))
    symbols = list(dict.fromkeys(symbol for _, symbol, _ in group.rows))
    note = "; ".join(dict.fromkeys(group.labels))

    def head(event_kind: str, symbol: str) -> dict[str, object]:
        return {"type": event_kind, "at": at, "id": f"{event_kind}-{day}-{symbol}-{digest[:12]}", "note": note}

    def split(symbol: str, change: Decimal, lieu: Decimal) -> dict[str, object] | None:
        change += lieu
        if change == 0:
            return None
        units = {"added_qty": plain(change)} if change > 0 else {"removed_qty": plain(-change)}
        return head("split", symbol) | {"wallet": wallet, "asset": symbol, **units}

    if kind == "split":
        if any(qty <= 0 for _, _, qty in group.rows) or len(symbols) != 1:
            return None
        lieu = in_lieu(day, wallet, {symbols[0]})
        event = split(symbols[0], sum((q for _, _, q in group.rows), Decimal(0)), lieu)
        return [event] if event is not None else None
    signed = [(s, q) for _, s, q in group.rows]
    if kind == "reverse" and len(signed) == 2 and all(q > 0 for _, q in signed) and signed[0][1] != signed[1][1]:
        # an export that does not sign them (Robinhood SPR): a reverse split leaves fewer shares than it takes
        signed.sort(key=lambda pair: pair[1])
        signed[1] = (signed[1][0], -signed[1][1])
    out_rows = [(s, q) for s, q in signed if q < 0]
    in_rows = [(s, q) for s, q in signed if q > 0]
    if not out_rows or not in_rows:
        return None
    old_symbols = {s for s, _ in out_rows}
    new_symbols = {s for s, _ in in_rows}
    if len(old_symbols) != 1 or len(new_symbols) != 1:
        return None
    old, new = old_symbols.pop(), new_symbols.pop()
    removed = sum((-q for _, q in out_rows), Decimal(0))
    added = sum((q for _, q in in_rows), Decimal(0))
    if kind == "rename":
        if old == new or removed != added:
            return None
        return [head("rename", old) | {"asset": old, "to": new}]
    event = split(old, added - removed, in_lieu(day, wallet, {old, new}))
    if event is None:
        return None
    return [event] if old == new else [event, head("rename", old) | {"asset": old, "to": new}]
