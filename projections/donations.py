"""`report donations --year Y`: each `donate` of the year with what Form 8283 asks for (Section A:
description, date acquired, how acquired, donor's cost or basis, fair market value; the term
decides whether the deduction is the fair market value or the basis, §170(e)).

One row per donation, with one entry per lot its units came from (`projections.model.Donation`,
made by the lot engine, `engine/corporate.py`). Amounts are rounded half up to cents per row (R2.7);
the totals are sums of the rounded rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .form8949 import CENT, CONTEXT, money, plain
from .model import Donation

ZERO = Decimal(0)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, context=CONTEXT)


def donations_json(donations: Iterable[Donation], year: int, warnings: Iterable[str] = ()) -> dict[str, Any]:
    """{"year", "total_fmv", "total_basis", "rows": [...], "warnings"}: each row {"date", "asset", "qty",
    "wallet", "key", "fmv", "basis", "date_acquired" ("VARIOUS" when its lots differ), "term" ("short",
    "long" or "mixed"), "lots": [{"lot", "qty", "basis", "date_acquired", "term"}]}."""
    rows: list[dict[str, Any]] = []
    total_fmv = total_basis = ZERO
    for d in donations:
        if d.date.year != year:
            continue
        basis = _cents(sum((x.basis for x in d.lots), ZERO))
        fmv = _cents(d.fmv)
        total_fmv += fmv
        total_basis += basis
        dates = {x.date_acquired for x in d.lots}
        terms = {x.term for x in d.lots}
        rows.append({
            "date": d.date.isoformat(), "asset": d.asset, "qty": plain(d.qty), "wallet": d.wallet, "key": d.key,
            "seq": d.seq, "fmv": money(fmv), "basis": money(basis),
            "date_acquired": dates.pop().isoformat() if len(dates) == 1 else "VARIOUS",
            "term": terms.pop() if len(terms) == 1 else "mixed",
            "lots": [
                {"lot": x.lot, "qty": plain(x.qty), "basis": money(_cents(x.basis)),
                 "date_acquired": x.date_acquired.isoformat(), "term": x.term}
                for x in d.lots
            ],
        })
    return {"year": year, "total_fmv": money(total_fmv), "total_basis": money(total_basis), "rows": rows,
            "warnings": list(warnings)}
