"""Charles Schwab brokerage transactions (schwab.com > Accounts > History > Export, CSV).

Header (older exports put a title row "Transactions for account ... as of ..." above it and a
"Transactions Total" row at the end; both are skipped):

    "Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"

Dates are MM/DD/YYYY, or "MM/DD/YYYY as of MM/DD/YYYY" for a late-posted trade: the first date is
taken (the one the brief asks for; it is when the row posted, see docs/formats.md). Amounts look
like "$1,234.56" and "-$5.00"; quantities may have thousands separators ("1,000"). The export has
no time of day, so `at` is a bare date (midday in the ledger's time zone) and no transaction id,
so a row's id is its date, action, symbol and a hash of all its cells (with a rank when identical
rows repeat): a re-export reproduces it; an edited row gets a new id (`--replace` retracts the old).

| Action | event |
|---|---|
| Buy, Reinvest Shares | `buy` class stock, qty = Quantity, total = −Amount − Fees & Comm, fee = Fees & Comm |
| Sell | `sell`, qty = Quantity, total = Amount + Fees & Comm, fee = Fees & Comm |
| dividends, interest, capital-gain distributions, cash moves, fees | skipped (one warning per file) |

The totals come from `Amount`, the cash that moved, so the basis is what was paid and the
proceeds are what the 1099-B shows; `Price` is used only when `Amount` is empty. Cash income is
not a lot: dividends belong on Schedule B from the 1099-DIV. Any other action (options, short
sales, splits, share transfers) changes lots in ways the ledger cannot infer and is refused.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ledger.formats.table import Conversion, Row, nonzero, plain, read_rows, text_hash
from ledger.limits import shown

REQUIRED = ("Date", "Action", "Symbol", "Quantity", "Amount")
FEES = "Fees & Comm"
BUYS = frozenset({"Buy", "Reinvest Shares"})
SELLS = frozenset({"Sell"})
CASH = frozenset(
    {
        "Qualified Dividend", "Cash Dividend", "Non-Qualified Div", "Special Qual Div", "Special Dividend",
        "Reinvest Dividend", "Pr Yr Div Reinvest", "Pr Yr Cash Div", "Qual Div Reinvest", "Long Term Cap Gain",
        "Short Term Cap Gain", "Cap Gain Reinvest", "Credit Interest", "Bank Interest", "Bond Interest",
        "Margin Interest", "MoneyLink Transfer", "MoneyLink Deposit", "Wire Received", "Wire Sent",
        "Wire Funds", "Wire Funds Received", "Funds Received", "Journal", "Bank Transfer", "Service Fee",
        "ADR Mgmt Fee", "Foreign Tax Paid", "NRA Tax Adj", "Cash In Lieu", "Misc Cash Entry",
    }
)
_ID_SAFE = re.compile(r"[^A-Za-z0-9.]+")


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every trade of a Schwab transactions export as an event (see the module docstring)."""
    out = Conversion()
    ranks: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for row in read_rows(path, required=REQUIRED, label="Schwab transactions"):
        if row.text("Date").startswith("Transactions Total"):
            continue
        action = row.required("Action")
        if action in CASH:
            skipped[action] += 1
            out.skip(row, action, "cash")
            continue
        if action not in BUYS | SELLS:
            out.not_mapped(row, "Action", action, "an action")
            continue
        raw = _event(row, action, wallet)
        raw["id"] = _row_id(row, ranks)
        out.events.append(row.event(raw, tz=tz))
    if skipped:
        kinds = ", ".join(f"{n} {a}" for a, n in sorted(skipped.items()))
        out.warnings.append(
            f"{path}: skipped {sum(skipped.values())} cash-only row(s) ({kinds}): cash income is not a lot; "
            "report dividends and interest from the 1099-DIV / 1099-INT"
        )
    return out


def _row_id(row: Row, ranks: Counter[str]) -> str:
    """`DATE-ACTION-SYMBOL-HASH` (`-RANK` from the second identical row on): stable across re-exports."""
    digest = text_hash(row.cells[name] for name in row.order)
    ranks[digest] += 1
    label = _ID_SAFE.sub("-", f"{row.us_date('Date')} {row.text('Action')} {row.text('Symbol')}").strip("-")
    base = f"{label}-{digest[:12]}"
    return base if ranks[digest] == 1 else f"{base}-{ranks[digest]}"


def _event(row: Row, action: str, wallet: str) -> dict[str, Any]:
    buying = action in BUYS
    qty = row.positive("Quantity")
    fee = row.amount(FEES, money=True) if row.text(FEES) else Decimal(0)
    total = _total(row, qty, fee, buying=buying)
    raw: dict[str, Any] = {
        "type": "buy" if buying else "sell", "at": row.us_date("Date"), "wallet": wallet,
        "asset": row.required("Symbol"), "qty": plain(qty), "total": plain(total), "fee": nonzero(fee),
        "note": row.text("Description") or None,
    }
    if buying:
        raw["class"] = "stock"
    return raw


def _total(row: Row, qty: Decimal, fee: Decimal, *, buying: bool) -> Decimal:
    """Quantity × price before fees, from the cash `Amount` (fees out), else from `Price`."""
    amount = row.decimal("Amount", money=True)
    if amount is None:
        total = qty * row.positive("Price", money=True)
    else:
        total = abs(amount) - fee if buying else abs(amount) + fee
    if total <= 0:
        raise row.error("Amount", f"{shown(row.text('Amount'))} leaves nothing once 'Fees & Comm' is taken out")
    return total
