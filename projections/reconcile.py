"""R6.6 Reconciliation: a broker's Form 1099-B / 1099-DA rows against the year's Form 8949 rows.

Source: Form 8949 instructions, "How To Complete Form 8949, Columns (f) and (g)". Each broker row
is matched to one ledger row of the same asset (case-insensitive), quantity and date sold,
preferring the one with the same date acquired (a broker's `VARIOUS` or empty date acquired
matches any). What a matched pair disagrees on is listed by field, each with the column (f) code
the difference calls for when the ledger's row is reported (docs/exports.md):

| field | differs when | code |
|---|---|---|
| cost_basis | the broker reported a basis other than the ledger's | B (basis shown on the 1099 is incorrect) |
| term | the broker's short/long term is not the ledger's | T (type of gain or loss shown is incorrect) |
| wash_sale_disallowed | the broker's wash-sale loss disallowed is not the ledger's (g) with code W | W |
| proceeds | the broker's proceeds are above the ledger's (a fee it did not subtract) | E (selling expenses) |
| proceeds | the broker's proceeds are below the ledger's | O (other adjustment) |
| date_acquired | both give a date and they differ (same term) | "" (report the correct date in (b)) |
| box | same term, another box (basis reported or not, 1099-B or 1099-DA) | "" (check the box the 1099 shows) |

Rows left unmatched are then matched per sale: the broker's and the ledger's rows of one asset and
date sold whose quantities add up to the same total (a broker reporting a sale of several lots as
one `VARIOUS` row, or splitting it otherwise than the ledger) are one sale, and its totals of
proceeds, cost basis and wash sale loss disallowed (the ledger's (g) with code W, R4.4) are compared
with the same codes (`SaleDifference`). A broker row still unmatched is `only_broker` (a sale the
ledger lacks); a ledger row still unmatched is `only_ledger` (a sale the broker did not report:
boxes C/F/I/L, or a missing broker row).

Example: the broker shows 10 AAPL sold 2024-03-01 with basis 1,000.00, the ledger 1,100.00 ->
one difference, fields ["cost_basis"], codes {"cost_basis": "B"}.

Reports no problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec

from .form8949 import Row, money, plain, row_json
from .rules.form_box import LONG_BOXES

ZERO = Decimal(0)
FIELD_ORDER = ("date_acquired", "proceeds", "cost_basis", "wash_sale_disallowed", "term", "box")
SALE_FIELDS = ("proceeds", "cost_basis", "wash_sale_disallowed")


class BrokerRow(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a broker's 1099-B / 1099-DA, as read from its file.

    Attributes:
        line: the file's line number of the row.
        asset: the asset's symbol.
        qty: units sold.
        date_acquired: None for `VARIOUS` or not given.
        date_sold: the date sold or disposed.
        proceeds: gross or net proceeds as the broker reported them.
        cost_basis: None when the broker reported no basis.
        wash_sale_disallowed: the broker's wash-sale loss disallowed (0 when none).
        term: "short", "long" or "" (not shown).
        box: the Form 8949 box the broker names ("" when not shown).
    """

    line: int
    asset: str
    qty: Decimal
    date_acquired: date | None
    date_sold: date
    proceeds: Decimal
    cost_basis: Decimal | None
    wash_sale_disallowed: Decimal = ZERO
    term: str = ""
    box: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line, "asset": self.asset, "qty": plain(self.qty),
            "date_acquired": self.date_acquired.isoformat() if self.date_acquired else "VARIOUS",
            "date_sold": self.date_sold.isoformat(), "proceeds": money(self.proceeds),
            "cost_basis": money(self.cost_basis) if self.cost_basis is not None else "",
            "wash_sale_disallowed": money(self.wash_sale_disallowed), "term": self.term, "box": self.box,
        }


class Difference(msgspec.Struct, frozen=True, kw_only=True):
    """A matched pair that disagrees.

    Attributes:
        broker: the broker's row.
        ledger: the ledger's 8949 row.
        row: the ledger row's number in 8949 order (from 1, as `explain --row`).
        fields: what differs, in FIELD_ORDER.
        codes: field -> the Form 8949 column (f) code it calls for ("" for none).
    """

    broker: BrokerRow
    ledger: Row
    row: int
    fields: tuple[str, ...]
    codes: dict[str, str]

    @property
    def code(self) -> str:
        """The row's column (f) codes together, in alphabetical order as the instructions ask."""
        return "".join(sorted({c for c in self.codes.values() if c}))


class SaleDifference(msgspec.Struct, frozen=True, kw_only=True):
    """One sale (asset, date sold) that no row matched one to one, matched by its totals, that disagrees.

    Attributes:
        asset: the asset sold.
        date_sold: the date sold.
        qty: the units sold (the same total on both sides).
        broker: the broker's rows of the sale.
        ledger: (number, row) of the ledger's 8949 rows of the sale, in 8949 order.
        fields: what differs, in SALE_FIELDS order.
        codes: field -> the Form 8949 column (f) code it calls for.
    """

    asset: str
    date_sold: date
    qty: Decimal
    broker: tuple[BrokerRow, ...]
    ledger: tuple[tuple[int, Row], ...]
    fields: tuple[str, ...]
    codes: dict[str, str]

    @property
    def code(self) -> str:
        """The sale's column (f) codes together, in alphabetical order."""
        return "".join(sorted({c for c in self.codes.values() if c}))

    def totals(self) -> dict[str, dict[str, str]]:
        """{"broker": {field: amount}, "ledger": {field: amount}} of the compared totals."""
        broker, ledger = _broker_totals(self.broker), _ledger_totals([r for _, r in self.ledger])
        return {side: {f: money(v) if v is not None else "" for f, v in amounts.items()}
                for side, amounts in (("broker", broker), ("ledger", ledger))}


class Reconciled(msgspec.Struct, frozen=True, kw_only=True):
    """The result of `reconcile`.

    Attributes:
        year: the tax year.
        matched: broker rows matched to a ledger row (with or without differences).
        differences: the matched pairs that disagree, in broker file order.
        only_broker: broker rows with no ledger row.
        only_ledger: (number, row) of ledger rows with no broker row, in 8949 order.
        by_sale: of `matched`, the broker rows matched per sale (not row to row).
        sales: the sales matched per sale that disagree, in broker file order.
    """

    year: int
    matched: int
    differences: tuple[Difference, ...]
    only_broker: tuple[BrokerRow, ...]
    only_ledger: tuple[tuple[int, Row], ...]
    by_sale: int = 0
    sales: tuple[SaleDifference, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """CONTRACT §4 `reconcile --json`, with each difference's `codes`, `code` and ledger `row`."""
        return {
            "year": self.year, "matched": self.matched,
            "differences": [
                {"broker": d.broker.to_json(), "ledger": {**row_json(d.ledger), "row": d.row},
                 "fields": list(d.fields), "codes": d.codes, "code": d.code}
                for d in self.differences
            ],
            "only_broker": [b.to_json() for b in self.only_broker],
            "only_ledger": [{**row_json(r), "row": n} for n, r in self.only_ledger],
            "matched_by_sale": self.by_sale,
            "sales": [
                {"asset": d.asset, "date_sold": d.date_sold.isoformat(), "qty": plain(d.qty),
                 "broker_lines": [b.line for b in d.broker], "ledger_rows": [n for n, _ in d.ledger],
                 **d.totals(), "fields": list(d.fields), "codes": d.codes, "code": d.code}
                for d in self.sales
            ],
        }


def _key(asset: str, qty: Decimal, sold: date) -> tuple[str, Decimal, date]:
    return asset.casefold(), qty.normalize(), sold


def compare(broker: BrokerRow, row: Row) -> dict[str, str]:
    """field -> code for what a matched pair disagrees on (empty when they agree)."""
    out: dict[str, str] = {}
    if broker.date_acquired is not None and broker.date_acquired != row.date_acquired:
        out["date_acquired"] = ""
    if broker.proceeds != row.proceeds:
        out["proceeds"] = "E" if broker.proceeds > row.proceeds else "O"
    if broker.cost_basis is not None and broker.cost_basis != row.cost_basis:
        out["cost_basis"] = "B"
    ledger_wash = row.adjustment if "W" in row.code else ZERO
    if broker.wash_sale_disallowed != ledger_wash:
        out["wash_sale_disallowed"] = "W"
    broker_term = broker.term or (("long" if broker.box in LONG_BOXES else "short") if broker.box else "")
    if broker_term and broker_term != row.term:
        out["term"] = "T"
    elif broker.box and broker.box != row.box:
        out["box"] = ""
    return {f: out[f] for f in FIELD_ORDER if f in out}


def reconcile(
    year: int, broker_rows: Sequence[BrokerRow], ledger_rows: Sequence[Row], *, numbers: Sequence[int] | None = None
) -> Reconciled:
    """Match the broker's rows to the year's 8949 rows (in 8949 order) and list what differs; `numbers`:
    each ledger row's number in the year's 8949 order (default 1, 2, ...) when only some rows are given."""
    row_to_number = list(numbers) if numbers is not None else list(range(1, len(ledger_rows) + 1))
    key_to_numbers: dict[tuple[str, Decimal, date], list[int]] = {}
    for n, r in enumerate(ledger_rows, 1):
        key_to_numbers.setdefault(_key(r.asset, r.qty, r.date_sold), []).append(n)
    taken: set[int] = set()
    differences: list[Difference] = []
    only_broker: list[BrokerRow] = []
    matched = 0
    for b in broker_rows:
        candidates = [n for n in key_to_numbers.get(_key(b.asset, b.qty, b.date_sold), []) if n not in taken]
        if not candidates:
            only_broker.append(b)
            continue
        same_date = [n for n in candidates if ledger_rows[n - 1].date_acquired == b.date_acquired]
        number = (same_date or candidates)[0]
        taken.add(number)
        matched += 1
        codes = compare(b, ledger_rows[number - 1])
        if codes:
            differences.append(Difference(broker=b, ledger=ledger_rows[number - 1], row=row_to_number[number - 1],
                                          fields=tuple(codes), codes=codes))
    left = [(n, r) for n, r in enumerate(ledger_rows, 1) if n not in taken]
    sales, only_broker, left = _per_sale(only_broker, left)
    by_sale = sum(len(s.broker) for s in sales)
    only_ledger = tuple((row_to_number[n - 1], r) for n, r in left)
    return Reconciled(
        year=year, matched=matched + by_sale, differences=tuple(differences), only_broker=tuple(only_broker),
        only_ledger=only_ledger, by_sale=by_sale,
        sales=tuple(msgspec.structs.replace(s, ledger=tuple((row_to_number[n - 1], r) for n, r in s.ledger))
                    for s in sales if s.fields),
    )


def _per_sale(
    broker_rows: list[BrokerRow], ledger_rows: list[tuple[int, Row]]
) -> tuple[list[SaleDifference], list[BrokerRow], list[tuple[int, Row]]]:
    """The unmatched rows grouped by (asset, date sold); a group whose quantities add up to the same
    total on both sides is one sale (compared by its totals). Returns the sales (each with its fields,
    empty when they agree) and the rows still unmatched."""
    def key(asset: str, sold: date) -> tuple[str, date]:
        return asset.casefold(), sold

    broker_groups: dict[tuple[str, date], list[BrokerRow]] = {}
    for b in broker_rows:
        broker_groups.setdefault(key(b.asset, b.date_sold), []).append(b)
    ledger_groups: dict[tuple[str, date], list[tuple[int, Row]]] = {}
    for n, r in ledger_rows:
        ledger_groups.setdefault(key(r.asset, r.date_sold), []).append((n, r))
    sales: list[SaleDifference] = []
    for k, brokers in broker_groups.items():
        ledgers = ledger_groups.get(k)
        qty = sum((b.qty for b in brokers), ZERO)
        if not ledgers or qty != sum((r.qty for _, r in ledgers), ZERO):
            continue
        broker, ledger = _broker_totals(brokers), _ledger_totals([r for _, r in ledgers])
        codes: dict[str, str] = {}
        if broker["proceeds"] != ledger["proceeds"]:
            codes["proceeds"] = "E" if broker["proceeds"] > ledger["proceeds"] else "O"  # type: ignore[operator]
        if broker["cost_basis"] is not None and broker["cost_basis"] != ledger["cost_basis"]:
            codes["cost_basis"] = "B"
        if broker["wash_sale_disallowed"] != ledger["wash_sale_disallowed"]:
            codes["wash_sale_disallowed"] = "W"
        sales.append(SaleDifference(asset=ledgers[0][1].asset, date_sold=k[1], qty=qty, broker=tuple(brokers),
                                    ledger=tuple(ledgers), fields=tuple(codes), codes=codes))
    matched_lines = {b.line for s in sales for b in s.broker}
    matched_rows = {n for s in sales for n, _ in s.ledger}
    return (sales, [b for b in broker_rows if b.line not in matched_lines],
            [(n, r) for n, r in ledger_rows if n not in matched_rows])


def _broker_totals(rows: Sequence[BrokerRow]) -> dict[str, Decimal | None]:
    """A sale's totals on the broker's side (cost basis None when a row reported none)."""
    bases = [b.cost_basis for b in rows]
    return {"proceeds": sum((b.proceeds for b in rows), ZERO),
            "cost_basis": None if None in bases else sum((b for b in bases if b is not None), ZERO),
            "wash_sale_disallowed": sum((b.wash_sale_disallowed for b in rows), ZERO)}


def _ledger_totals(rows: Sequence[Row]) -> dict[str, Decimal | None]:
    """A sale's totals of the ledger's 8949 rows (the wash sale: (g) of the rows with code W)."""
    return {"proceeds": sum((r.proceeds for r in rows), ZERO), "cost_basis": sum((r.cost_basis for r in rows), ZERO),
            "wash_sale_disallowed": sum((r.adjustment for r in rows if "W" in r.code), ZERO)}
