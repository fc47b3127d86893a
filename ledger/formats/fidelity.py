"""Fidelity Accounts History CSV (Accounts & Trade > Activity & Orders > History > Download:
`History_for_Account_X12345678.csv`, or for "All accounts" `Accounts_History.csv`).

Three layouts are read (docs/formats.md says where each was confirmed, and maps every action);
blank rows above the header and the disclaimer rows below the data are skipped:

    Run Date,Action,Symbol,Security Description,Security Type,Quantity,Price ($),Commission ($),
        Fees ($),Accrued Interest ($),Amount ($),Settlement Date
    Run Date,Action,Symbol,Description,Type,Quantity,Price ($),Commission ($),Fees ($),
        Accrued Interest ($),Amount ($),Cash Balance ($),Settlement Date
    Run Date,Account,Account Number,Action,Symbol,Description,Type,Price ($),Quantity,
        Commission ($),Fees ($),Accrued Interest ($),Amount ($),Settlement Date

(Newer single-account downloads say `Date` for `Run Date`; columns are found by name.)

The all-accounts file has an `Account` column (older: "INDIVIDUAL X12345678"; newer: the account's
name, its number in `Account Number`): each account is its own wallet, `WALLET-NUMBER`
(`fidelity-X12345678`), as each account is its own lot pool; a one-account download named
`History_for_Account_NUMBER.csv` goes to the same wallet (unless `--wallet` names one). Dates are MM/DD/YYYY (no time of
day: `at` is a bare date). Amounts are plain signed numbers; a sale's Quantity is negative. There
is no transaction id: a row's id is its date, symbol and a hash of its cells (ranked if repeated).

`Action` is a sentence ("YOU BOUGHT APPLE INC (AAPL) (Cash)") classified by how it starts:

- YOU BOUGHT, REINVESTMENT: `buy` class stock, total = -Amount - Commission - Fees, fee = both;
- YOU SOLD (IN LIEU OF FRX SHARE with a Quantity): `sell`, total = Amount + Commission + Fees;
- the same on the core money market (SPAXX, FDRXX, ...), PURCHASE INTO / REDEMPTION FROM CORE
  ACCOUNT, dividends, capital-gain distributions, interest, cash transfers, taxes and fees: skipped,
  counted; RETURN OF CAPITAL: skipped with a counted warning (it lowers a basis: enter by hand);
- TRANSFERRED FROM/TO, JOURNALED, TRANSFER OF ASSETS of shares: a transfer leg in or out;
- DISTRIBUTION of shares without cash (a forward split), STOCK SPLIT, FORWARD SPLIT: a `split`
  {wallet, added_qty = Quantity}; REVERSE SPLIT R/S TO (the old shares, negative) with R/S FROM (the
  new): a `split` {removed_qty = old − new} (and a `rename` when the new shares have another
  symbol); NAME CHANGED pairs (old symbol out, new in): a `rename` (`share_actions.py`: the ratio
  is computed at replay from the account's holding; a cash in lieu sale of the same day is left its
  fraction; rows that do not pair are skipped with a warning). Shares distributed by a spin-off
  look like a forward split of a symbol the account does not hold: the reports warn
  (`split-unapplied`), and the spin-off is a `reorg` to write by hand;
- short sales, options and anything else: not mapped.
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

DATE = ("Run Date", "Date")  # newer single-account downloads say "Date"
REQUIRED = (DATE, "Action", "Symbol", "Quantity", "Amount ($)")
COMMISSION, FEES, PRICE, AMOUNT = "Commission ($)", "Fees ($)", "Price ($)", "Amount ($)"
DESCRIPTION = ("Security Description", "Description")
# Fidelity's core money-market positions: the account's cash (bought and redeemed at $1, never a gain)
CORE = frozenset({"SPAXX", "FDRXX", "FZFXX", "SPRXX", "FCASH", "FZDXX", "FDLXX", "CORE"})
BUYS = ("YOU BOUGHT", "REINVESTMENT")
SELLS = ("YOU SOLD",)
NOT_SPOT = ("SHORT", "OPENING TRANSACTION", "CLOSING TRANSACTION")  # short sales; options (Symbol "-AAPL...")
IN_LIEU = ("IN LIEU OF FRX SHARE", "IN LIEU OF FRACTIONAL SHARE")
SHARE_MOVES = ("TRANSFERRED FROM", "TRANSFERRED TO", "TRANSFER OF ASSETS", "JOURNALED", "ACAT")
SPLITS = ("REVERSE SPLIT", "STOCK SPLIT", "FORWARD SPLIT", "NAME CHANGED")
SPLIT_KINDS: dict[str, Kind] = {"REVERSE SPLIT": "reverse", "NAME CHANGED": "rename"}  # else a forward split
RETURN_OF_CAPITAL = ("RETURN OF CAPITAL",)
CORE_MOVES = ("PURCHASE INTO CORE ACCOUNT", "REDEMPTION FROM CORE ACCOUNT")
INCOME = ("DIVIDEND RECEIVED", "LONG-TERM CAP GAIN", "SHORT-TERM CAP GAIN", "INTEREST EARNED", "INTEREST",
          "DISTRIBUTION", "FOREIGN SOURCE INCOME", "MUNI EXEMPT INT", "DIVIDEND")
MOVES = ("ELECTRONIC FUNDS TRANSFER", "DIRECT DEPOSIT", "DIRECT DEBIT", "CHECK RECEIVED", "CHECK PAID",
         "CASH CONTRIBUTION", "PARTIC CONTR", "CONTRIBUTION", "WIRE TRANSFER", "BILL PAYMENT", "DEBIT CARD",
         "TRANSFERRED FROM", "TRANSFERRED TO", "TRANSFER OF ASSETS", "JOURNALED", "NORMAL DISTR", "DEPOSIT",
         "WITHDRAWAL", "CASH ADVANCE")
CHARGES = ("FOREIGN TAX PAID", "FEDERAL TAX WITHHELD", "STATE TAX WITHHELD", "NRA TAX", "MARGIN INTEREST",
           "FEE CHARGED", "ADVISORY FEE", "ADR FEE", "SHORT TERM REDEMPTION FEE", "ACCOUNT FEE")
GROUPS = {
    "core": "core money-market row(s) (the account's cash, always $1 a share: not a lot)",
    "income": "dividend, interest and capital-gain distribution row(s) (cash income: report it from the "
              "1099-DIV / 1099-INT; a reinvestment is its own REINVESTMENT row)",
    "moves": "cash transfer row(s) (money moved into, out of or between accounts: not a taxable event)",
    "charges": "fee and tax row(s) (cash charged to the account: not part of any lot's basis)",
    "roc": "return-of-capital row(s): each lowers the basis of the shares it was paid on, which gainlog cannot "
           "infer; lower the `total` of those buys by hand (`gainlog add` / a corrected .jsonl)",
}
_ACCOUNT_NUMBER = re.compile(r"\b([A-Z]?\d{6,})\b")
_ID_SAFE = re.compile(r"[^A-Za-z0-9.]+")
_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
_FILE_ACCOUNT = re.compile(r"History_for_Account_([A-Za-z0-9]+)", re.IGNORECASE)


def convert(path: Path, tz: ZoneInfo, wallet: str) -> Conversion:
    """Every trade of a Fidelity Accounts History export as an event (see the module docstring)."""
    out = Conversion()
    ranks: Counter[str] = Counter()
    shares = ShareActions()
    rows = read_rows(path, required=REQUIRED, label="Fidelity Accounts History")
    default = file_account(path, wallet)
    dated = [i for i, row in enumerate(rows) if _DATE.match(row.text(row.column(DATE)))]
    for row in rows[: dated[-1] + 1 if dated else 0]:  # below the last dated row: the disclaimer
        if not row.text("Action"):
            continue
        raw = _event(row, wallet, out, default, shares)
        if raw is not None:
            raw["id"] = _row_id(row, ranks)
            out.events.append(row.event(raw, tz=tz))
    shares.emit(out, tz=tz)
    return out


def account_wallet(row: Row, wallet: str, default: str = "") -> str:
    """`wallet-NUMBER` in the all-accounts file (one wallet per account); else `wallet`, or
    `wallet-DEFAULT` when the file's name gave the account number."""
    number = row.text("Account Number")
    if not number and row.text("Account"):
        found = _ACCOUNT_NUMBER.search(row.text("Account"))
        number = found[1] if found else row.text("Account")
    number = number or default
    return f"{wallet}-{number}" if number else wallet


def file_account(path: Path, wallet: str) -> str:
    """The account number a single-account download's name gives (`History_for_Account_X12345678.csv`),
    when the wallet is the format's default (an explicit `--wallet` is used as given)."""
    found = _FILE_ACCOUNT.match(path.name)
    return found[1] if found and wallet == "fidelity" else ""


def _prefix(action: str, prefixes: tuple[str, ...]) -> str | None:
    """The prefix of `prefixes` the action starts with (the row's kind, its label in summaries)."""
    upper = action.upper()
    return next((p for p in prefixes if upper.startswith(p)), None)


def _event(row: Row, wallet: str, out: Conversion, default: str, shares: ShareActions) -> dict[str, Any] | None:
    action = row.text("Action")
    symbol = row.text("Symbol")
    qty = row.decimal("Quantity") or Decimal(0)
    amount = row.decimal(AMOUNT, money=True) or Decimal(0)
    trade = _prefix(action, BUYS + SELLS + IN_LIEU)
    if trade and (any(word in action.upper() for word in NOT_SPOT) or symbol.startswith("-")):
        out.not_mapped(row, "Action", action, "an action")  # options and short sales are not lots
        return None
    core = _prefix(action, CORE_MOVES)
    if core or (trade and symbol.upper() in CORE):
        out.skip(row, core or f"{trade} {symbol.upper()}", "cash", GROUPS["core"])
        return None
    if trade in BUYS + SELLS:
        return _trade(row, account_wallet(row, wallet, default), buying=trade in BUYS)
    if trade:  # cash in lieu of a fractional share
        if not qty:
            out.skip(row, trade, "unvalued")
            out.warnings.append(
                f"{row.where}: skipped {shown(trade)} of {symbol or '?'} for {row.text(AMOUNT)}: the sale of a "
                "fractional share, but the row has no Quantity; record it with `gainlog add sell`"
            )
            return None
        sold = _trade(row, account_wallet(row, wallet, default), buying=False)
        shares.in_lieu(sold["at"], sold["wallet"], sold["asset"], Decimal(sold["qty"]))
        return sold
    split = _prefix(action, SPLITS) or (_prefix(action, ("DISTRIBUTION",)) if qty and not amount else None)
    if split:
        if not qty or not symbol:
            raise row.error("Quantity" if symbol else "Symbol", f"must not be empty for a {shown(split)} row")
        shares.add(row, split, SPLIT_KINDS.get(split, "split"), row.us_date(row.column(DATE)),
                   account_wallet(row, wallet, default), symbol, qty)
        return None
    moved = _prefix(action, SHARE_MOVES)
    if moved and symbol and qty and symbol.upper() not in CORE:
        out.transfer_leg(row, moved, "in" if qty > 0 else "out", symbol, abs(qty), at=row.us_date(row.column(DATE)),
                         wallet=account_wallet(row, wallet, default))
        return None
    for kind, prefixes in (("roc", RETURN_OF_CAPITAL), ("charges", CHARGES), ("income", INCOME), ("moves", MOVES)):
        label = _prefix(action, prefixes)
        if label:
            out.skip(row, label, "cash", GROUPS[kind], warn=kind == "roc")
            return None
    out.not_mapped(row, "Action", action, "an action")
    return None


def _trade(row: Row, wallet: str, *, buying: bool) -> dict[str, Any]:
    qty = row.positive("Quantity")
    fee = sum((row.amount(c, money=True) for c in (COMMISSION, FEES) if row.text(c)), Decimal(0))
    amount = row.decimal(AMOUNT, money=True)
    if amount is None:
        total = qty * row.positive(PRICE, money=True)
    else:
        total = abs(amount) - fee if buying else abs(amount) + fee
    if total <= 0:
        raise row.error(AMOUNT, f"{shown(row.text(AMOUNT))} leaves nothing once the commission and fees are taken out")
    description = row.text(row.column(DESCRIPTION))
    raw: dict[str, Any] = {
        "type": "buy" if buying else "sell", "at": row.us_date(row.column(DATE)), "wallet": wallet,
        "asset": row.required("Symbol"), "qty": plain(qty), "total": plain(total), "fee": nonzero(fee),
        "note": row.text("Action") if not description else f"{row.text('Action')}: {description}",
    }
    if buying:
        raw["class"] = "stock"
    return raw


def _row_id(row: Row, ranks: Counter[str]) -> str:
    """`DATE-SYMBOL-HASH` (`-RANK` from the second identical row on): stable across re-exports."""
    digest = text_hash(row.cells[name] for name in row.order)
    ranks[digest] += 1
    label = _ID_SAFE.sub("-", f"{row.us_date(row.column(DATE))} {row.text('Symbol')}").strip("-")
    base = f"{label}-{digest[:12]}"
    return base if ranks[digest] == 1 else f"{base}-{ranks[digest]}"
