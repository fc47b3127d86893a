"""Which export a CSV file is, from its header row (`gainlog import FILE.csv` without `--format`).

Only column names are read: the first of the file's first `SCAN_ROWS` non-blank rows that holds
every column of a format's signature is the header, so preamble rows above it (Coinbase's
"Transactions" and "User,NAME,UUID" lines, Schwab's "Transactions for account ..." title) are
skipped. Names are compared without surrounding spaces and case; a row wrapped whole in quotes
(one cell holding the commas) is split again. A header that fits no format is refused with the list
of formats, so the user can name one.

| format | its header holds |
|---|---|
| coinbase | Timestamp, Transaction Type, Asset, Quantity Transacted (every layout since 2018) |
| kraken | txid, pair, time, type, vol (`trades.csv`), or txid, refid, time, type, asset, amount (`ledgers.csv`) |
| schwab | Date, Action, Symbol, Quantity, Amount |
| fidelity | Run Date (or Date), Action, Symbol, Quantity, Amount ($) |
| robinhood | Activity Date, Instrument, Trans Code, Quantity, Amount |
| 1099-b | Date Acquired, Date Sold (or Disposed), Proceeds, Cost Basis (or Cost or Other Basis), also "1b- ..." |
| | or "1099-B-1b Date Acquired", ... (Fidelity's 1099 CSV) |
| coinbase-pro | trade id, product, side, created at, size, ... (fills); type, time, amount, trade id, ... (account) |
| prices | date_or_time, asset, usd; or Date, Open, High, Low, Close (Yahoo-style); or snapped_at, price (CoinGecko) |
| gemini | Date, Time (UTC), Type, Symbol, Specification |
| binanceus | Time, Category, Operation, Primary Asset, Base Asset, Quote Asset, Fee Asset (or with `_` for spaces) |
| koinly | Date (or Koinly Date, Date (UTC)), Sent Amount, Sent Currency, Received Amount, Received Currency |
| cointracker | Date, Received Quantity, Received Currency, Sent Quantity, Sent Currency |
| schwab-realized | Symbol, Closed Date, Opened Date, Quantity, Proceeds, Cost Basis (CB) |

Detection names the format only; reading the file is the converter's job, with its own errors.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import msgspec

from .. import importer
from ..errors import UsageError

SCAN_ROWS = 50
# format -> the column sets, any one of which marks its header (names casefolded)
SIGNATURES: dict[str, tuple[frozenset[str], ...]] = {
    "coinbase": (frozenset({"timestamp", "transaction type", "asset", "quantity transacted"}),),
    "kraken": (
        frozenset({"txid", "pair", "time", "type", "vol"}),
        frozenset({"txid", "refid", "time", "type", "asset", "amount"}),
    ),
    "schwab": (frozenset({"date", "action", "symbol", "quantity", "amount"}),),
    "fidelity": (
        frozenset({"run date", "action", "symbol", "quantity", "amount ($)"}),
        frozenset({"date", "action", "symbol", "quantity", "amount ($)"}),
    ),
    "robinhood": (frozenset({"activity date", "instrument", "trans code", "quantity", "amount"}),),
    "coinbase-pro": (
        frozenset({"trade id", "product", "side", "created at", "size", "price", "fee", "total"}),  # fills
        frozenset({"type", "time", "amount", "balance", "amount/balance unit", "trade id", "order id"}),  # account
    ),
    "1099-b": (  # the common spellings; any other is read with --format 1099-b
        frozenset({"date acquired", "date sold", "proceeds", "cost basis"}),
        frozenset({"date acquired", "date sold or disposed", "proceeds", "cost or other basis"}),
        frozenset({"1b- date acquired", "1c- date sold or disposed", "1d- proceeds", "1e- cost or other basis"}),
        frozenset({"dateacquired", "datesold", "proceeds", "costbasis"}),
        frozenset({"1099-b-1b date acquired", "1099-b-1c date sold or disposed", "1099-b-1d proceeds",
                   "1099-b-1e cost or other basis"}),  # Fidelity's 1099 CSV (lines labelled by section)
    ),
    "prices": (
        frozenset({"date_or_time", "asset", "usd"}),
        frozenset({"date", "open", "high", "low", "close"}),  # Yahoo Finance-style daily history
        frozenset({"snapped_at", "price"}),  # CoinGecko historical data
    ),
}
SIGNATURES["gemini"] = (frozenset({"date", "time (utc)", "type", "symbol", "specification"}),)
SIGNATURES["binanceus"] = (
    frozenset({"time", "category", "operation", "primary asset", "base asset", "quote asset", "fee asset"}),
    frozenset({"time", "category", "operation", "primary_asset", "base_asset", "quote_asset", "fee_asset"}),
)
SIGNATURES["koinly"] = tuple(
    frozenset({date, "sent amount", "sent currency", "received amount", "received currency"})
    for date in ("date", "koinly date", "date (utc)")
)
SIGNATURES["cointracker"] = (
    frozenset({"date", "received quantity", "received currency", "sent quantity", "sent currency"}),
)
SIGNATURES["schwab-realized"] = (
    frozenset({"symbol", "closed date", "opened date", "quantity", "proceeds", "cost basis (cb)"}),
)


class Detected(msgspec.Struct, frozen=True):
    """The format a CSV file's header names, and the line that header is on."""

    name: str
    line: int


def detect(path: Path, *, names: Iterable[str]) -> Detected:
    """The format among `names` whose signature the file's header row holds; UsageError (exit 2)
    naming every format when no row of the first `SCAN_ROWS` is such a header."""
    known = [name for name in SIGNATURES if name in set(names)]
    text = importer.read_text(Path(path)).text
    reader = csv.reader(io.StringIO(text, newline=""))
    seen = 0
    while seen < SCAN_ROWS:
        try:
            cells = next(reader)
        except (StopIteration, csv.Error):
            break
        if not any(cell.strip() for cell in cells):
            continue
        seen += 1
        columns = _columns(cells)
        for name in known:
            if any(signature <= columns for signature in SIGNATURES[name]):
                return Detected(name, reader.line_num)
    listed = ", ".join(("jsonl", *names))
    raise UsageError(
        f"{path}: not an export gainlog recognises (no known header row in its first {SCAN_ROWS} rows); "
        f"give --format: one of {listed} (docs/formats.md)"
    )


def _columns(cells: list[str]) -> frozenset[str]:
    """A row's cells as casefolded column names; a row wrapped whole in quotes is split again."""
    if len(cells) == 1 and "," in cells[0]:
        cells = next(csv.reader([cells[0]]), cells)
    return frozenset(cell.strip().strip('"').strip().casefold() for cell in cells)
