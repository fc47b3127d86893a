"""Charles Schwab brokerage transactions (schwab.com > Accounts > History > Export, CSV).

Header (older exports put a title row "Transactions for account ... as of ..." above it and a
"Transactions Total" row at the end; both are skipped):

    "Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"

Dates are MM/DD/YYYY, or "MM/DD/YYYY as of MM/DD/YYYY" for a row posted on the first date for a
trade made on the second: the trade date ("as of") is the event's date, the one the 1099-B uses
(a sale posted 01/02/2025 as of 12/31/2024 belongs to 2024). Amounts look like "$1,234.56" and
"-$5.00"; quantities may have thousands separators ("1,000"). The export has no time of day, so
`at` is a bare date (midday in the ledger's time zone) and no transaction id, so a row's id is
its posting date, action, symbol and a hash of all its cells (with a rank when identical rows
repeat): a re-export reproduces it; an edited row gets a new id (`--replace` retracts the old).

| Action | event |
|---|---|
| Buy, Reinvest Shares | `buy` class stock, qty = Quantity, total = −Amount − Fees & Comm, fee = Fees & Comm |
| Sell | `sell`, qty = Quantity, total = Amount + Fees & Comm, fee = Fees & Comm |
| Cash In Lieu | `sell` of the fractional share (Quantity), total = Amount; without a Quantity skipped with a warning |
| dividends, interest, capital-gain distributions (also reinvested), Div Adjustment | skipped, counted |
| MoneyLink, wires, Funds Received, Journal, Internal Transfer | skipped, counted |
| Advisor Fee, Service Fee, ADR Mgmt Fee, Foreign Tax Paid, Margin Interest | skipped, counted |
| Misc Credits | skipped, counted |
| Stock Split | `split` {wallet, added_qty = Quantity} (`share_actions.py`) |
| Reverse Split (old shares out, new in) | `split` {removed_qty = old − new}; a `rename` if the symbol changes |
| Name Change (two rows: old symbol out, new symbol in) | `rename` |

The totals come from `Amount`, the cash that moved, so the basis is what was paid and the
proceeds are what the 1099-B shows; `Price` is used only when `Amount` is empty. Cash income is
not a lot: dividends belong on Schedule B from the 1099-DIV. Any other action (options, short
sales, share transfers) changes lots in ways the ledger cannot infer and is not mapped.

A split row gives the shares added (or, for a reverse split, the shares out and in), not the ratio:
the `split` event carries them, and its ratio is computed when the reports replay the log from
the account's holding at the split (docs/events.md `split`). The cash in lieu of the fraction is a
`sell` of it after the split (the split leaves the fraction in the lots for that sale). Rows that
do not pair are skipped with a warning naming the event to write.

Journaled Shares and Security Transfer rows with a Symbol and Quantity are shares moved in
(Quantity > 0) or out: a transfer leg, skipped with a warning as Fidelity's and Robinhood's are
(`Conversion.transfer_leg`: write the `transfer`, or a `gift_in` / `gift_out`, by hand). Spin-off
and Stock Merger rows are refused (or skipped with --skip-unknown) naming `gainlog add reorg`: the
export carries the shares but not the share of the basis they take (the issuer's Form 8937).
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..limits import shown
from .share_actions import Kind, ShareActions
from .table import Conversion, Row, nonzero, plain, read_rows, text_hash

REQUIRED = ("Date", "Action", "Symbol", "Quantity", "Amount")
FEES = "Fees & Comm"
BUYS = frozenset({"Buy", "Reinvest Shares"})
SELLS = frozenset({"Sell", "Cash In Lieu"})  # cash in lieu: the sale of a fractional share
# Cash-only actions, by what the cash is: each kind is summarised in its own words.
INCOME_CASH = frozenset(
    {
        "Qualified Dividend", "Cash Dividend", "Non-Qualified Div", "Special Qual Div", "Special Non Qual Div",
        "Special Dividend", "Reinvest Dividend", "Pr Yr Div Reinvest", "Pr Yr Cash Div", "Qual Div Reinvest",
        "Div Adjustment", "Long Term Cap Gain", "Short Term Cap Gain", "Cap Gain Reinvest",
        "Long Term Cap Gain Reinvest", "Short Term Cap Gain Reinvest", "Credit Interest", "Bank Interest",
        "Bond Interest",
    }
)
MOVES = frozenset(
    {
        "MoneyLink Transfer", "MoneyLink Deposit", "MoneyLink Adj", "Wire Received", "Wire Sent", "Wire Funds",
        "Wire Funds Received", "Funds Received", "Journal", "Bank Transfer", "Internal Transfer",
        "Misc Cash Entry",
    }
)
CHARGES = frozenset(
    {"Advisor Fee", "Service Fee", "ADR Mgmt Fee", "Foreign Tax Paid", "NRA Tax Adj", "Margin Interest"}
)
CREDITS = frozenset({"Misc Credits"})
CASH = INCOME_CASH | MOVES | CHARGES | CREDITS
# Share actions the export does not carry enough for: each names the event to write by hand (docs/events.md).
SPLITS: dict[str, Kind] = {"Stock Split": "split", "Reverse Split": "reverse", "Name Change": "rename"}
SHARE_ACTIONS = {
    "Spin-off": "a `reorg` event (gainlog add reorg): the row gives the new shares, not the share of the basis "
                "they take (the issuer's Form 8937)",
    "Stock Merger": "a `reorg` event (gainlog add reorg): the rows give the shares exchanged, not the share of "
                    "the basis (the issuer's Form 8937)",
}
SHARE_MOVES = frozenset({"Journaled Shares", "Security Transfer"})  # shares in (Quantity > 0) or out: a transfer leg
GROUPS = (
    (INCOME_CASH, "dividend, interest and capital-gain distribution row(s) (cash income: report it from "
                  "the 1099-DIV / 1099-INT; not a lot)"),
    (MOVES, "cash transfer row(s) (money moved into, out of or between accounts: not a taxable event)"),
    (CHARGES, "fee and tax row(s) (cash charged to the account: not part of any lot's basis)"),
    (CREDITS, "other cash credit row(s) (cash, not a lot: the 1099 says how any of it is taxed)"),
)
_ID_SAFE = re.compile(r"[^A-Za-z0-9.]+")


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every trade of a Schwab transactions export as an event (see the module docstring)."""
    out = Conversion()
    ranks: Counter[str] = Counter()
    shares = ShareActions()
    for row in read_rows(path, required=REQUIRED, label="Schwab transactions"):
        if row.text("Date").startswith("Transactions Total"):
            continue
        action = row.required("Action")
        if action in CASH:
            out.skip(row, action, "cash", next(group for actions, group in GROUPS if action in actions))
            continue
        if action in SPLITS:
            qty = row.decimal("Quantity")
            if not qty:
                raise row.error("Quantity", f"must not be empty or zero for a {shown(action)} row")
            shares.add(row, action, SPLITS[action], row.us_date("Date", as_of=True), wallet, row.required("Symbol"),
                       qty)
            continue
        if action in SHARE_MOVES and row.text("Symbol") and row.decimal("Quantity"):
            qty = row.decimal("Quantity") or Decimal(0)
            out.transfer_leg(row, action, "in" if qty > 0 else "out", row.text("Symbol"), abs(qty),
                             at=row.us_date("Date", as_of=True))
            continue
        if action in SHARE_ACTIONS:
            out.not_mapped(row, "Action", action, "an action",
                           f"{shown(action)} changes lots in a way the export does not spell out: write it as "
                           f"{SHARE_ACTIONS[action]}")
            continue
        if action not in BUYS | SELLS:
            out.not_mapped(row, "Action", action, "an action")
            continue
        if action == "Cash In Lieu" and not row.text("Quantity"):
            out.skip(row, action, "unvalued")
            out.warnings.append(
                f"{row.where}: skipped 'Cash In Lieu' of {row.text('Symbol') or '?'} for {row.text('Amount')}: "
                "the sale of a fractional share, but the row has no Quantity; record it with `gainlog add sell`"
            )
            continue
        raw = _event(row, action, wallet)
        raw["id"] = _row_id(row, ranks)
        out.events.append(row.event(raw, tz=tz))
        if action == "Cash In Lieu":
            shares.in_lieu(raw["at"], wallet, raw["asset"], Decimal(raw["qty"]))
    shares.emit(out, tz=tz)
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
        "type": "buy" if buying else "sell", "at": row.us_date("Date", as_of=True), "wallet": wallet,
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
