"""The contract's JSON reports (CONTRACT §3), shaped from the projection's values.

Amounts are strings with exactly two decimals, quantities normalized plain decimals; key order is
the contract's. Pure functions: the CLI writes what they return.

Income (R7.1, Rev. Rul. 2023-14, 2019-24): each income event is ordinary income at its fair
market value when received; a row's value is rounded half up to cents and the totals are sums of
the rounded rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from .form8949 import CENT, CONTEXT, Row, money, plain, rows_json
from .model import IncomeRow
from .tax_year import Amounts, Carry, ScheduleD

ZERO = Decimal(0)


def _amounts(a: Amounts) -> dict[str, str]:
    return {
        "proceeds": money(a.proceeds), "cost_basis": money(a.cost_basis),
        "adjustments": money(a.adjustments), "gain": money(a.gain),
    }


def _carry(c: Carry) -> dict[str, str]:
    return {"short_term": money(c.short_term), "long_term": money(c.long_term)}


def schedule_d_json(sd: ScheduleD) -> dict[str, Any]:
    """`report schedule-d --json`, keys in the contract's order."""
    return {
        "year": sd.year,
        "filing_status": sd.filing_status,
        "short_term": _amounts(sd.short_term),
        "long_term": _amounts(sd.long_term),
        "carryover_in": _carry(sd.carryover_in),
        "net_short_term": money(sd.netting.line7),
        "net_long_term": money(sd.netting.line15),
        "net": money(sd.netting.line16),
        "deduction": money(sd.netting.deduction),
        "carryover_out": _carry(sd.carryover_out),
        "warnings": list(sd.warnings),
    }


def form8949_json(form_rows: Sequence[Row]) -> list[dict[str, Any]]:
    """`report 8949 --json`: the rows in form order."""
    return rows_json(form_rows)


def income_rows_json(income_rows: Iterable[IncomeRow], year: int) -> dict[str, Any]:
    """`report income --json`: {"year", "total", "by_kind", "rows"} for one tax year (R7.1), from the
    income rows (`Booked.income`, or only those of `year`)."""
    rows: list[dict[str, Any]] = []
    kind_to_total: dict[str, Decimal] = {}
    total = ZERO
    for income in income_rows:
        if income.date.year != year:
            continue
        value = income.value.quantize(CENT, context=CONTEXT)
        total = CONTEXT.add(total, value)
        kind_to_total[income.kind] = CONTEXT.add(kind_to_total.get(income.kind, ZERO), value)
        rows.append({
            "date": income.date.isoformat(), "asset": income.asset, "qty": plain(income.qty),
            "value": money(value), "kind": income.kind, "wallet": income.wallet, "key": income.key,
            "seq": income.seq,
        })
    return {
        "year": year,
        "total": money(total),
        "by_kind": {k: money(v) for k, v in sorted(kind_to_total.items())},
        "rows": rows,
    }
